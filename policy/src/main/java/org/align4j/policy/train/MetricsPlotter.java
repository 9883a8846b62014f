package org.align4j.policy.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.align4j.policy.io.AtomicFiles;
import org.align4j.policy.util.BadInputException;
import org.align4j.policy.util.JsonErrors;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Line plots of a run's metrics.jsonl against the step, as PNG files: one image per metric or a grid of them
 * in one image. Rows where a metric is missing or not a finite number are skipped for that metric. Drawing
 * uses java.awt in headless mode, so it works on servers without a display.
 */
public final class MetricsPlotter {

    static {
        // Must precede the first AWT call; without it a server with no X display fails in the toolkit.
        System.setProperty("java.awt.headless", "true");
    }

    public static final int WIDTH = 800;
    public static final int HEIGHT = 500;
    public static final int CELL_WIDTH = 600;
    public static final int CELL_HEIGHT = 380;

    /** One metric's points, in file order. */
    public record Series(String metric, double[] steps, double[] values) {
        public int size() {
            return steps.length;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Color LINE = new Color(31, 119, 180);
    private static final Color GRID = new Color(225, 225, 225);

    private MetricsPlotter() {
    }

    /**
     * Every numeric metric of a metrics.jsonl file (all keys but "step"), in order of first appearance. A torn
     * last line (a run killed mid-write, or still writing) is ignored; a bad line elsewhere is an error.
     */
    public static Map<String, Series> read(Path metricsFile) {
        List<String> lines;
        try {
            lines = Files.readAllLines(metricsFile, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new BadInputException(metricsFile + ": no such file");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + metricsFile + ": " + e.getMessage(), e);
        }
        Map<String, List<double[]>> points = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            JsonNode row;
            try {
                row = JSON.readTree(lines.get(i));
            } catch (JsonProcessingException e) {
                if (i == lines.size() - 1) {
                    break;
                }
                throw new BadInputException(metricsFile + ":" + (i + 1) + ": bad JSON: " + JsonErrors.oneLine(e.getOriginalMessage()));
            }
            JsonNode step = row.get("step");
            if (step == null || !step.isNumber()) {
                continue;
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = row.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!e.getKey().equals("step") && e.getValue().isNumber() && Double.isFinite(e.getValue().asDouble())) {
                    points.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(new double[]{step.asDouble(), e.getValue().asDouble()});
                }
            }
        }
        Map<String, Series> out = new LinkedHashMap<>();
        points.forEach((k, p) -> {
            double[] xs = new double[p.size()];
            double[] ys = new double[p.size()];
            for (int i = 0; i < p.size(); i++) {
                xs[i] = p.get(i)[0];
                ys[i] = p.get(i)[1];
            }
            out.put(k, new Series(k, xs, ys));
        });
        return out;
    }

    /** Writes outDir/METRIC.png (WIDTH x HEIGHT) for each metric (all numeric ones when metrics is empty). */
    public static List<Path> plotEach(Path metricsFile, Path outDir, List<String> metrics) {
        List<Series> series = select(metricsFile, metrics);
        List<Path> files = new ArrayList<>();
        for (Series s : series) {
            BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = start(img);
            draw(g, s, 0, 0, WIDTH, HEIGHT);
            g.dispose();
            Path file = outDir.resolve(s.metric().replaceAll("[^A-Za-z0-9._-]", "_") + ".png");
            writePng(img, file);
            files.add(file);
        }
        return files;
    }

    /** Writes one PNG with a grid of plots (columns ceil(sqrt(n)), cells CELL_WIDTH x CELL_HEIGHT). */
    public static Path plotGrid(Path metricsFile, Path outPng, List<String> metrics) {
        List<Series> series = select(metricsFile, metrics);
        int cols = (int) Math.ceil(Math.sqrt(series.size()));
        int rows = (series.size() + cols - 1) / cols;
        BufferedImage img = new BufferedImage(cols * CELL_WIDTH, rows * CELL_HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = start(img);
        for (int i = 0; i < series.size(); i++) {
            draw(g, series.get(i), (i % cols) * CELL_WIDTH, (i / cols) * CELL_HEIGHT, CELL_WIDTH, CELL_HEIGHT);
        }
        g.dispose();
        writePng(img, outPng);
        return outPng;
    }

    /**
     * The trainers' end-of-run plot: a grid of those of the wanted metrics the run logged (a metric such as
     * eval_loss exists only when evaluation was configured); nothing is written when none was logged.
     */
    public static void plotLogged(Path metricsFile, Path outPng, List<String> wanted) {
        if (!java.nio.file.Files.isRegularFile(metricsFile)) {
            return;
        }
        Map<String, Series> all = read(metricsFile);
        List<String> present = new ArrayList<>();
        for (String m : wanted) {
            if (all.containsKey(m) && all.get(m).size() > 0) {
                present.add(m);
            }
        }
        if (!present.isEmpty()) {
            try {
                plotGrid(metricsFile, outPng, present);
            } catch (RuntimeException | LinkageError | InternalError e) {
                // A machine without fonts (fontconfig) cannot draw text; the run itself is done and saved, so
                // losing its picture must not fail it. metrics.jsonl holds the same numbers.
                System.err.println("align4j: no plot written to " + outPng + ": " + e);
            }
        }
    }

    private static List<Series> select(Path metricsFile, List<String> metrics) {
        Map<String, Series> all = read(metricsFile);
        if (metrics.isEmpty()) {
            if (all.isEmpty()) {
                throw new BadInputException(metricsFile + ": no numeric metrics to plot");
            }
            return new ArrayList<>(all.values());
        }
        List<Series> out = new ArrayList<>();
        for (String m : metrics) {
            Series s = all.get(m);
            if (s == null) {
                throw new BadInputException(metricsFile + ": no values for metric '" + m + "' (has: "
                        + String.join(", ", all.keySet()) + ")");
            }
            out.add(s);
        }
        return out;
    }

    private static Graphics2D start(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        return g;
    }

    /** One plot in the box (x0, y0, w, h): title, axes with ticks and labels, grid, the line. */
    private static void draw(Graphics2D g, Series s, int x0, int y0, int w, int h) {
        int left = x0 + 75;
        int right = x0 + w - 25;
        int top = y0 + 40;
        int bottom = y0 + h - 50;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        FontMetrics fm = g.getFontMetrics();
        g.drawString(s.metric(), x0 + (w - fm.stringWidth(s.metric())) / 2, y0 + 25);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        fm = g.getFontMetrics();

        double[] xr = range(s.steps());
        double[] yr = range(s.values());
        double[] xt = ticks(xr[0], xr[1]);
        double[] yt = ticks(yr[0], yr[1]);
        // extend the axes to whole ticks so the plot starts and ends on a label
        double xmin = Math.min(xr[0], xt[0]);
        double xmax = Math.max(xr[1], xt[xt.length - 1]);
        double ymin = Math.min(yr[0], yt[0]);
        double ymax = Math.max(yr[1], yt[yt.length - 1]);
        double xStep = xt.length > 1 ? xt[1] - xt[0] : 1;
        double yStep = yt.length > 1 ? yt[1] - yt[0] : 1;

        for (double t : yt) {
            int py = py(t, ymin, ymax, top, bottom);
            g.setColor(GRID);
            g.drawLine(left, py, right, py);
            g.setColor(Color.BLACK);
            g.drawLine(left - 5, py, left, py);
            String label = label(t, yStep);
            g.drawString(label, left - 8 - fm.stringWidth(label), py + fm.getAscent() / 2 - 1);
        }
        for (double t : xt) {
            int px = px(t, xmin, xmax, left, right);
            g.setColor(GRID);
            g.drawLine(px, top, px, bottom);
            g.setColor(Color.BLACK);
            g.drawLine(px, bottom, px, bottom + 5);
            String label = label(t, xStep);
            g.drawString(label, px - fm.stringWidth(label) / 2, bottom + 8 + fm.getAscent());
        }
        g.setColor(Color.BLACK);
        g.drawLine(left, top, left, bottom);
        g.drawLine(left, bottom, right, bottom);
        g.drawString("step", (left + right - fm.stringWidth("step")) / 2, y0 + h - 10);

        if (s.size() == 0) {
            g.drawString("no data", (left + right - fm.stringWidth("no data")) / 2, (top + bottom) / 2);
            return;
        }
        g.setColor(LINE);
        g.setStroke(new BasicStroke(2f));
        Path2D.Double line = new Path2D.Double();
        for (int i = 0; i < s.size(); i++) {
            double px = left + (s.steps()[i] - xmin) / (xmax - xmin) * (right - left);
            double py = bottom - (s.values()[i] - ymin) / (ymax - ymin) * (bottom - top);
            if (i == 0) {
                line.moveTo(px, py);
            } else {
                line.lineTo(px, py);
            }
            if (s.size() <= 60) {
                g.fillOval((int) Math.round(px) - 3, (int) Math.round(py) - 3, 6, 6);
            }
        }
        g.draw(line);
        g.setStroke(new BasicStroke(1f));
    }

    private static int px(double v, double min, double max, int left, int right) {
        return (int) Math.round(left + (v - min) / (max - min) * (right - left));
    }

    private static int py(double v, double min, double max, int top, int bottom) {
        return (int) Math.round(bottom - (v - min) / (max - min) * (bottom - top));
    }

    /** [min, max] of values, widened when empty or flat so that the axis has a span. */
    private static double[] range(double[] values) {
        if (values.length == 0) {
            return new double[]{0, 1};
        }
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (double v : values) {
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        if (lo == hi) {
            double pad = lo == 0 ? 1 : Math.abs(lo) * 0.1;
            return new double[]{lo - pad, hi + pad};
        }
        return new double[]{lo, hi};
    }

    /** About five ticks at a "nice" spacing (1, 2 or 5 times a power of ten) covering [lo, hi]. */
    static double[] ticks(double lo, double hi) {
        double raw = (hi - lo) / 5;
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double f = raw / mag;
        double step = (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
        double first = Math.floor(lo / step) * step;
        double last = Math.ceil(hi / step) * step;
        int n = (int) Math.round((last - first) / step) + 1;
        double[] t = new double[n];
        for (int i = 0; i < n; i++) {
            t[i] = first + i * step;
        }
        return t;
    }

    /** A tick label with as many decimals as the tick spacing needs. */
    static String label(double v, double step) {
        if (Math.abs(v) < step * 1e-9) {
            return "0";
        }
        double a = Math.abs(v);
        if (a >= 1e6 || a < 1e-4) {
            return String.format(Locale.ROOT, "%.2g", v);
        }
        int decimals = Math.max(0, (int) -Math.floor(Math.log10(step) + 1e-9));
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    private static void writePng(BufferedImage img, Path file) {
        AtomicFiles.write(file, out -> {
            if (!ImageIO.write(img, "png", out)) {
                throw new IOException("no PNG writer in this JDK");
            }
        });
    }
}
