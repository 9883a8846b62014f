package org.align4j.examples.demo;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.align4j.examples.eval.EvalReport;
import org.align4j.examples.eval.ReportTable;

/** What the demo prints when it ends: the before/after table and where to look next. */
public final class DemoReport {

    private DemoReport() {
    }

    /** The code demo's table: the same columns, and how many greedy completions hard-code a constant. */
    public static String render(CodeDemoSummary s, DemoOutput out) {
        String title = String.format(Locale.ROOT, "code demo: %d held-out Python function tasks (unit tests in the "
                        + "sandbox, %s), %d samples each at temperature %s, seed %d", s.nProblems(), s.sandbox(),
                s.samplesPerProblem(), s.evalTemperature(), s.seed());
        return render(title, s.before(), s.after(), s.greedyHardCoding(), s.training(), "per-task", out);
    }

    public static String render(DemoSummary s, DemoOutput out) {
        String title = String.format(Locale.ROOT, "mini DeepSeekMath: %d held-out %s problems, %d samples each at "
                        + "temperature %s, seed %d, %s", s.nProblems(), s.difficulty(), s.samplesPerProblem(),
                s.evalTemperature(), s.seed(),
                s.iterative() ? "iterative RL with a learned outcome reward model" : s.supervision() + " supervision");
        return render(title, s.before(), s.after(), s.greedyWorking(), s.training(), "per-problem", out);
    }

    private static String render(String title, EvalReport before, EvalReport after,
                                 Map<String, ? extends GreedyHabit> habits, DemoTraining t, String rows,
                                 DemoOutput out) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%n%s%n%n", title));
        b.append(ReportTable.render(List.of(new ReportTable.Row("before RL (SFT)", before),
                new ReportTable.Row("after RL (GRPO)", after))));
        b.append(String.format(Locale.ROOT, "%nbefore RL: %s%nafter RL:  %s%n", habits.get("before").describe(),
                habits.get("after").describe()));
        b.append(String.format(Locale.ROOT, "%,d-parameter model, %d SFT steps, %d GRPO steps; %.0f s wall, "
                        + "%.0f s CPU%n", t.modelParameters(), t.sftSteps(), t.grpoSteps(), t.wallSeconds().get("total"),
                t.cpuSeconds().get("total")));
        b.append("run directory: ").append(out.dir()).append('\n');
        t.plots().forEach((name, png) -> b.append(name).append(" metrics: ").append(png).append('\n'));
        b.append(rows).append(" completions: ").append(out.evalRows("before")).append(", ")
                .append(out.evalRows("after")).append('\n');
        b.append("summary: ").append(out.summary()).append('\n');
        return b.toString();
    }
}
