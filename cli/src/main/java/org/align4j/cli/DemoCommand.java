package org.align4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.align4j.examples.demo.CodeDemoConfig;
import org.align4j.examples.demo.DemoConfig;
import org.align4j.examples.demo.DemoOutput;
import org.align4j.examples.demo.DemoReport;
import org.align4j.examples.demo.MiniCodeRl;
import org.align4j.examples.demo.MiniDeepSeekMath;
import org.align4j.policy.util.BadInputException;
import org.align4j.policy.train.ConfigLoader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "demo",
        mixinStandardHelpOptions = true,
        description = {"The mini DeepSeekMath reproduction: SFT then GRPO of a tiny model on built-in math problems "
                + "(or, with --task code, on Python function tasks with unit-test rewards).",
                "Math word problems (train/test split), a BPE tokenizer trained on them, a tiny model trained from "
                        + "scratch by SFT (half the solutions worked, half bare answers: terse_share), GRPO with the "
                        + "rule reward, and a before/after table of held-out Pass@1 (greedy), Maj@K and Pass@K "
                        + "(K = 8), with how many greedy answers show working.",
                "About 8 to 11 minutes on 2 idle CPU cores with the first build (README); --quick under a minute. "
                        + "Writes DIR/summary.json.",
                "--task code (docs/code-demo.md): short Python functions from a spec and an example, SFT data of which "
                        + "half hard-code the example's output, GRPO rewarded by unit tests run in the sandbox, and the "
                        + "same before/after table on held-out tasks."},
        footer = {"", "Examples:",
                "  ./align4j demo                                 # writes runs/demo",
                "  ./align4j demo --quick --out runs/demo-quick   # a smoke test",
                "  ./align4j demo --task code --out runs/code-demo",
                "  ./align4j demo --task code --list-keys          # the code demo's settings",
                "  ./align4j demo --process --seed 2 --out runs/demo-process",
                "  ./align4j demo --set grpo_steps=120 --set beta=0.02 \\",
                "      --out runs/demo-long --force",
                "  ./align4j demo --set terse_share=0 --set train_problems=16000 \\",
                "      --set sft_steps=1600 --out runs/demo-control   # no bare answers"})
final class DemoCommand implements Callable<Integer>, ListKeysOption.ConfigVariant {

    @Mixin
    ListKeysOption listKeys;

    @Spec
    CommandSpec spec;

    @Option(names = "--out", defaultValue = "runs/demo",
            description = "Output directory; refused when not empty unless --force. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--force", description = "Replace the demo's outputs in a non-empty --out (nothing else there "
            + "is touched).")
    boolean force;

    @Option(names = "--quick", description = "A smaller model, fewer problems and steps (under a minute): a smoke "
            + "test, too small to learn the task.")
    boolean quick;

    @Option(names = "--task", paramLabel = "math|code", defaultValue = "math",
            description = "math: word problems, the math_answer reward (default); code: Python function tasks, "
                    + "python_tests rewards in the sandbox (docs/code-demo.md).")
    String task;

    @Option(names = "--seed", description = "Seed of data, weights and samples. Default: 1.")
    Long seed;

    @Option(names = "--process", description = "Process supervision: GRPO rewards every arithmetic step "
            + "(math_steps) instead of only the final answer.")
    boolean process;

    @Option(names = "--iterative", description = "Iterative RL (DeepSeekMath Algorithm 1): GRPO against a learned "
            + "outcome reward model, retrained on fresh labelled samples with 10%% replay between iterations.")
    boolean iterative;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "Override a demo setting (repeatable), e.g. grpo_steps=120, beta=0.02, hidden_size=96.")
    List<String> overrides = new ArrayList<>();

    @Override
    public Integer call() {
        DemoOutput output;
        String report;
        switch (task) {
            case "math" -> {
                List<String> flags = new ArrayList<>();
                if (process) {
                    flags.add("supervision=process");
                }
                if (iterative) {
                    flags.add("iterative=true");
                }
                DemoConfig config = load(DemoConfig.class, DemoConfig.QUICK, flags);
                output = DemoOutput.prepare(out, force);
                report = DemoReport.render(new MiniDeepSeekMath(config, output, System.err).run(), output);
            }
            case "code" -> {
                if (process || iterative) {
                    throw new BadInputException("--process and --iterative are math demo options; the code demo's "
                            + "reward is the unit tests");
                }
                CodeDemoConfig config = load(CodeDemoConfig.class, CodeDemoConfig.QUICK, List.of());
                output = DemoOutput.prepare(out, force);
                report = DemoReport.render(new MiniCodeRl(config, output, System.err).run(), output);
            }
            default -> throw badTask();
        }
        spec.commandLine().getOut().print(report);
        spec.commandLine().getOut().flush();
        return 0;
    }

    /** The task's config: the --quick preset, --seed, the task's flags, then the user's --set, in that order. */
    private <C> C load(Class<C> type, List<String> quickPreset, List<String> taskFlags) {
        List<String> settings = new ArrayList<>(quick ? quickPreset : List.of());
        if (seed != null) {
            settings.add("seed=" + seed);
        }
        settings.addAll(taskFlags);
        settings.addAll(overrides);
        return ConfigLoader.load(null, type, settings);
    }

    /** The code task's keys are listed as their own config ("demo --task code"); the math task's as "demo". */
    @Override
    public String configVariant() {
        return switch (task == null ? "math" : task) {
            case "math" -> "";
            case "code" -> "--task code";
            default -> throw badTask();
        };
    }

    private BadInputException badTask() {
        return new BadInputException("--task must be math or code, got '" + task + "'");
    }
}
