package org.align4j.examples.demo;

import java.util.List;
import java.util.Locale;
import org.align4j.examples.eval.ReportTable;

/** What the demo prints when it ends: the before/after table and where to look next. */
public final class DemoReport {

    private DemoReport() {
    }

    /** The code demo's table: the same columns, and how many greedy completions hard-code a constant. */
    public static String render(CodeDemoSummary s, DemoOutput out) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%ncode demo: %d held-out Python function tasks (unit tests in the sandbox, "
                        + "%s), %d samples each at temperature %s, seed %d%n%n", s.nProblems(), s.sandbox(),
                s.samplesPerProblem(), s.evalTemperature(), s.seed()));
        b.append(ReportTable.render(List.of(new ReportTable.Row("before RL (SFT)", s.before()),
                new ReportTable.Row("after RL (GRPO)", s.after()))));
        b.append(String.format(Locale.ROOT, "%nbefore RL: %s%nafter RL:  %s%n",
                s.greedyHardCoding().get("before").describe(), s.greedyHardCoding().get("after").describe()));
        b.append(String.format(Locale.ROOT, "%,d-parameter model, %d SFT steps, %d GRPO steps; %.0f s wall, "
                        + "%.0f s CPU%n", s.modelParameters(), s.sftSteps(), s.grpoSteps(), s.wallSeconds().get("total"),
                s.cpuSeconds().get("total")));
        b.append("run directory: ").append(out.dir()).append('\n');
        s.plots().forEach((name, png) -> b.append(name).append(" metrics: ").append(png).append('\n'));
        b.append("per-task completions: ").append(out.evalRows("before")).append(", ")
                .append(out.evalRows("after")).append('\n');
        b.append("summary: ").append(out.summary()).append('\n');
        return b.toString();
    }

    public static String render(DemoSummary s, DemoOutput out) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%nmini DeepSeekMath: %d held-out %s problems, %d samples each at "
                        + "temperature %s, seed %d, %s%n%n", s.nProblems(), s.difficulty(),
                s.samplesPerProblem(), s.evalTemperature(), s.seed(),
                s.iterative() ? "iterative RL with a learned outcome reward model" : s.supervision() + " supervision"));
        b.append(ReportTable.render(List.of(new ReportTable.Row("before RL (SFT)", s.before()),
                new ReportTable.Row("after RL (GRPO)", s.after()))));
        b.append(String.format(Locale.ROOT, "%nbefore RL: %s%nafter RL:  %s%n", s.greedyWorking().get("before").describe(),
                s.greedyWorking().get("after").describe()));
        b.append(String.format(Locale.ROOT, "%,d-parameter model, %d SFT steps, %d GRPO steps; %.0f s wall, "
                        + "%.0f s CPU%n", s.modelParameters(), s.sftSteps(), s.grpoSteps(), s.wallSeconds().get("total"),
                s.cpuSeconds().get("total")));
        b.append("run directory: ").append(out.dir()).append('\n');
        s.plots().forEach((name, png) -> b.append(name).append(" metrics: ").append(png).append('\n'));
        b.append("per-problem completions: ").append(out.evalRows("before")).append(", ")
                .append(out.evalRows("after")).append('\n');
        b.append("summary: ").append(out.summary()).append('\n');
        return b.toString();
    }
}
