package org.align4j.examples.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Renders evaluation reports as a plain-text table, one row per model, as DeepSeekMath's tables put them:
 * greedy accuracy (Pass@1), Maj@k and Pass@k in percent. With two rows a third gives the change in
 * percentage points, the number the demo is about.
 */
public final class ReportTable {

    /** A labelled report (one table row). */
    public record Row(String label, EvalReport report) {
    }

    private ReportTable() {
    }

    public static String render(List<Row> rows) {
        if (rows.isEmpty()) {
            throw new IllegalArgumentException("no rows");
        }
        int k = rows.get(0).report().k();
        List<String[]> cells = new ArrayList<>();
        cells.add(new String[] {"", "Pass@1 (greedy)", "Maj@" + k, "Pass@" + k, "problems"});
        for (Row r : rows) {
            EvalReport e = r.report();
            cells.add(new String[] {r.label(), percent(e.pass1()), percent(e.majAtK()), percent(e.passAtK()),
                    Integer.toString(e.nProblems())});
        }
        if (rows.size() == 2) {
            EvalReport a = rows.get(0).report();
            EvalReport b = rows.get(1).report();
            cells.add(new String[] {"change (points)", points(b.pass1() - a.pass1()), points(b.majAtK() - a.majAtK()),
                    points(b.passAtK() - a.passAtK()), ""});
        }
        int[] width = new int[cells.get(0).length];
        for (String[] row : cells) {
            for (int c = 0; c < row.length; c++) {
                width[c] = Math.max(width[c], row[c].length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (String[] row : cells) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < row.length; c++) {
                // labels left-aligned, numbers right-aligned so that their decimals line up
                String cell = c == 0 ? pad(row[c], width[c], false) : pad(row[c], width[c], true);
                line.append(c == 0 ? "" : "  ").append(cell);
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
        return out.toString();
    }

    private static String percent(double v) {
        return String.format(Locale.ROOT, "%.1f%%", 100 * v);
    }

    private static String points(double v) {
        return String.format(Locale.ROOT, "%+.1f", 100 * v);
    }

    private static String pad(String s, int width, boolean right) {
        String fill = " ".repeat(width - s.length());
        return right ? fill + s : s + fill;
    }
}
