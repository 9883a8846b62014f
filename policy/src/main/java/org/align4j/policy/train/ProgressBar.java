package org.align4j.policy.train;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Training progress on stderr: {@code sft 120/1000 12% | 350 tok/s | eta 4:12 | loss 1.234 lr 2.00e-05}.
 * On a terminal the line is rewritten in place (carriage return) at most ten times a second; when stderr goes
 * to a file or a pipe (a log, CI) a plain line is printed every interval instead, so logs stay readable.
 * Rates and the ETA count only the work done since the bar started, so a resumed run shows honest numbers.
 */
public final class ProgressBar {

    private static final long REDRAW_NANOS = TimeUnit.MILLISECONDS.toNanos(100);

    private final String label;
    private final long total;
    private final String unit;
    private final PrintStream out;
    private final boolean interactive;
    private final LongSupplier clock;
    private final long plainIntervalNanos;
    private final long startDone;
    private final long startNanos;
    private long lastPrint = Long.MIN_VALUE;
    private int lastWidth;
    private String lastLine = "";
    private String shownLine;

    /** A bar on stderr for steps start..total, rating throughput in unit ("tok", "it", "samples"). */
    public ProgressBar(String label, long start, long total, String unit) {
        // System.console() is non-null only with a terminal attached; then \r redraws work.
        this(label, start, total, unit, System.err, System.console() != null, System::nanoTime, TimeUnit.SECONDS.toNanos(10));
    }

    public ProgressBar(String label, long start, long total, String unit, PrintStream out, boolean interactive,
                       LongSupplier nanoClock, long plainIntervalNanos) {
        this.label = label;
        this.total = total;
        this.unit = unit;
        this.out = out;
        this.interactive = interactive;
        this.clock = nanoClock;
        this.plainIntervalNanos = plainIntervalNanos;
        this.startDone = start;
        this.startNanos = nanoClock.getAsLong();
    }

    /**
     * Reports done steps of total, units processed since the bar started (tokens, items), and named values
     * to show (in map order). Prints only when a redraw or a plain line is due.
     */
    public void update(long done, long units, Map<String, ? extends Number> values) {
        long now = clock.getAsLong();
        lastLine = format(done, units, values, now);
        long interval = interactive ? REDRAW_NANOS : plainIntervalNanos;
        if (lastPrint != Long.MIN_VALUE && now - lastPrint < interval) {
            return;
        }
        lastPrint = now;
        print(lastLine);
    }

    /** Prints the last state (if not already shown) and ends the line. */
    public void finish() {
        if (!lastLine.equals(shownLine)) {
            print(lastLine);
        }
        if (interactive) {
            out.print('\n');
        }
        out.flush();
    }

    private void print(String line) {
        shownLine = line;
        if (interactive) {
            // pad over the remains of a longer previous line
            String pad = line.length() < lastWidth ? " ".repeat(lastWidth - line.length()) : "";
            out.print('\r' + line + pad);
            lastWidth = line.length();
        } else {
            out.println(line);
        }
        out.flush();
    }

    String format(long done, long units, Map<String, ? extends Number> values, long now) {
        double seconds = (now - startNanos) / 1e9;
        StringBuilder sb = new StringBuilder(label).append(' ').append(done).append('/').append(total);
        if (total > 0) {
            sb.append(' ').append(Math.round(100.0 * done / total)).append('%');
        }
        if (seconds > 0) {
            sb.append(" | ").append(rate(units / seconds)).append(' ').append(unit).append("/s");
            long stepsDone = done - startDone;
            if (stepsDone > 0 && total > done) {
                sb.append(" | eta ").append(duration((long) (seconds / stepsDone * (total - done))));
            }
        }
        if (!values.isEmpty()) {
            sb.append(" |");
            values.forEach((k, v) -> sb.append(' ').append(k).append(' ').append(number(v.doubleValue())));
        }
        return sb.toString();
    }

    private static String rate(double r) {
        if (r >= 1e6) {
            return String.format(Locale.ROOT, "%.1fM", r / 1e6);
        }
        if (r >= 1e4) {
            return String.format(Locale.ROOT, "%.1fk", r / 1e3);
        }
        return r >= 100 ? String.format(Locale.ROOT, "%.0f", r) : String.format(Locale.ROOT, "%.2f", r);
    }

    static String number(double v) {
        double a = Math.abs(v);
        if (v == 0 || !Double.isFinite(v)) {
            return v == 0 ? "0" : Double.toString(v);
        }
        return a >= 1e-3 && a < 1e5 ? String.format(Locale.ROOT, "%.4g", v) : String.format(Locale.ROOT, "%.2e", v);
    }

    static String duration(long seconds) {
        long h = seconds / 3600;
        long m = seconds / 60 % 60;
        long s = seconds % 60;
        return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s) : String.format(Locale.ROOT, "%d:%02d", m, s);
    }
}
