package org.align4j.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.align4j.examples.code.CodeTask;
import org.align4j.examples.code.CodeTasks;
import org.align4j.examples.io.Jsonl;
import org.align4j.examples.math.Difficulty;
import org.align4j.examples.math.MathProblem;
import org.align4j.examples.math.MathSplit;
import org.align4j.examples.math.MathWordProblems;
import org.align4j.examples.math.PreferencePairs;
import org.align4j.examples.math.ProcessLabels;
import org.align4j.policy.util.BadInputException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "data",
        mixinStandardHelpOptions = true,
        description = {"Writes the built-in data sets as JSONL.",
                "Math word problems (for SFT, GRPO and evaluation), code tasks with tests, DPO pairs and PRM step"
                        + " labels; each subcommand has --help."},
        subcommands = {DataCommand.MathData.class, DataCommand.CodeData.class, DataCommand.DpoData.class,
                DataCommand.PrmData.class},
        footer = {"", "Examples:",
                "  ./align4j data math --n 1000 --out runs/data/math.jsonl \\",
                "      --split runs/data/math-test.jsonl",
                "  ./align4j data code --language python --out runs/data/code-python.jsonl",
                "  ./align4j data dpo --n 500 --out runs/data/dpo.jsonl",
                "  ./align4j data prm --n 500 --out runs/data/prm.jsonl"})
final class DataCommand implements Runnable {

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Which math problems: count, difficulty, seed. */
    static final class MathOptions {
        @Option(names = "--difficulty", defaultValue = "easy", converter = DifficultyConverter.class,
                description = "easy (1-2 steps, numbers to 20), medium (2-3, to 50) or hard (3-4, to 100). "
                        + "Default: ${DEFAULT-VALUE}.")
        Difficulty difficulty;

        @Option(names = "--seed", defaultValue = "1",
                description = "Seed of the problems and of the train/test split. Default: ${DEFAULT-VALUE}.")
        long seed;
    }

    static final class DifficultyConverter implements CommandLine.ITypeConverter<Difficulty> {
        @Override
        public Difficulty convert(String value) {
            try {
                return Difficulty.parse(value);
            } catch (BadInputException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    private static void requirePositive(String option, int value) {
        if (value < 1) {
            throw new BadInputException(option + " must be at least 1, got " + value);
        }
    }

    private static void wrote(List<?> rows, Path out, String what) {
        System.out.println("wrote " + rows.size() + " " + what + " to " + out);
    }

    @Command(name = "math",
            mixinStandardHelpOptions = true,
            description = {"Arithmetic word problems with step-by-step solutions ending in '#### N'.",
                    "Rows: {\"id\", \"prompt\", \"completion\", \"answer\", \"steps\"}. --out gets the train side of"
                            + " the split of --seed, --split the test side: no prompt is in both."},
            footer = {"", "Examples:",
                "  ./align4j data math --n 1000 --difficulty easy --seed 1 \\",
                "      --out runs/data/math.jsonl --split runs/data/math-test.jsonl --test-n 200"})
    static final class MathData implements Callable<Integer> {
        @Mixin
        MathOptions math;

        @Option(names = "--n", defaultValue = "1000", description = "Train problems. Default: ${DEFAULT-VALUE}.")
        int n;

        @Option(names = "--out", required = true, description = "Train JSONL file.")
        Path out;

        @Option(names = "--split", description = "Also write test problems to this JSONL file.")
        Path split;

        @Option(names = "--test-n", defaultValue = "200", description = "Test problems. Default: ${DEFAULT-VALUE}.")
        int testN;

        @Override
        public Integer call() {
            requirePositive("--n", n);
            requirePositive("--test-n", testN);
            if (split != null && split.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
                throw new BadInputException("--split must differ from --out: " + out);
            }
            MathSplit s = MathWordProblems.split(math.seed);
            List<MathProblem> train = s.train(n, math.difficulty);
            Jsonl.write(out, train);
            wrote(train, out, math.difficulty.label() + " train problems");
            if (split != null) {
                List<MathProblem> test = s.test(testN, math.difficulty);
                Jsonl.write(split, test);
                wrote(test, split, math.difficulty.label() + " test problems");
            }
            return 0;
        }
    }

    @Command(name = "code",
            mixinStandardHelpOptions = true,
            description = {"Code tasks with unit tests and reference solutions.",
                    "Rows: {\"id\", \"prompt\", \"tests\", \"language\", \"reference_solution\"}. Python tests are"
                            + " assert statements run after the completion. A Java completion is a class Solution;"
                            + " its tests are boolean expressions such as Solution.add(1, 2) == 3."},
            footer = {"", "Examples:",
                "  ./align4j data code --language java --out runs/data/code-java.jsonl"})
    static final class CodeData implements Callable<Integer> {
        @Option(names = "--language", defaultValue = "python", description = "python or java. Default: ${DEFAULT-VALUE}.")
        String language;

        @Option(names = "--out", required = true, description = "JSONL file.")
        Path out;

        @Override
        public Integer call() {
            List<CodeTask> tasks = CodeTasks.forLanguage(language);
            Jsonl.write(out, tasks);
            wrote(tasks, out, language + " tasks");
            return 0;
        }
    }

    @Command(name = "dpo",
            mixinStandardHelpOptions = true,
            description = {"DPO pairs from train-side math problems.",
                    "Rows: {\"prompt\", \"chosen\", \"rejected\"}. Chosen is the correct solution, rejected a wrong one:"
                            + " one arithmetic step wrong and the error carried to the answer, or a wrong final line."},
            footer = {"", "Examples:",
                "  ./align4j data dpo --n 500 --difficulty medium --out runs/data/dpo.jsonl"})
    static final class DpoData implements Callable<Integer> {
        @Mixin
        MathOptions math;

        @Option(names = "--n", defaultValue = "500", description = "Pairs. Default: ${DEFAULT-VALUE}.")
        int n;

        @Option(names = "--out", required = true, description = "JSONL file.")
        Path out;

        @Override
        public Integer call() {
            requirePositive("--n", n);
            List<MathProblem> problems = MathWordProblems.split(math.seed).train(n, math.difficulty);
            var pairs = PreferencePairs.from(problems, math.seed);
            Jsonl.write(out, pairs);
            wrote(pairs, out, "preference pairs");
            return 0;
        }
    }

    @Command(name = "prm",
            mixinStandardHelpOptions = true,
            description = {"PRM step labels from train-side math problems.",
                    "Rows: {\"prompt\", \"completion\", \"step_labels\"}, one label per completion line: 1 before the"
                            + " first wrong line, 0 from it on. A share of rows is correct (all 1)."},
            footer = {"", "Examples:",
                "  ./align4j data prm --n 500 --correct-share 0.5 --out runs/data/prm.jsonl"})
    static final class PrmData implements Callable<Integer> {
        @Mixin
        MathOptions math;

        @Option(names = "--n", defaultValue = "500", description = "Rows. Default: ${DEFAULT-VALUE}.")
        int n;

        @Option(names = "--correct-share", defaultValue = "0.5",
                description = "Share of rows with the correct solution. Default: ${DEFAULT-VALUE}.")
        double correctShare;

        @Option(names = "--out", required = true, description = "JSONL file.")
        Path out;

        @Override
        public Integer call() {
            requirePositive("--n", n);
            List<MathProblem> problems = MathWordProblems.split(math.seed).train(n, math.difficulty);
            var rows = ProcessLabels.from(problems, correctShare, math.seed);
            Jsonl.write(out, rows);
            wrote(rows, out, "step-labelled solutions");
            return 0;
        }
    }
}
