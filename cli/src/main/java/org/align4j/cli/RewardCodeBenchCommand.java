package org.align4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.align4j.reward.RewardInput;
import org.align4j.reward.code.Language;
import org.align4j.reward.code.UnitTestReward;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code align4j reward code-bench}: how many completions per second the Python unit-test reward
 * scores, as a GRPO step would call it (one batch, scored by a pool of sandboxes).
 */
@Command(name = "code-bench",
        mixinStandardHelpOptions = true,
        description = {"Measures how many Python completions per second the sandboxed unit-test reward scores.",
                "Scores batches of synthetic completions (half right, half wrong; each problem has --tests assert "
                        + "statements) with the python_tests reward, as one GRPO step does, and prints JSON: "
                        + "completions per second (median over --rounds timed batches after one warm-up batch), "
                        + "the sandbox and the number of workers."},
        footer = {"", "Examples:",
                "  ./align4j reward code-bench --batch 8 --rounds 1",
                "  ./align4j reward code-bench --workers 1 --batch 8 --rounds 1 --sandbox unshare",
                "  ./align4j reward code-bench --per-sandbox 32 --rounds 1"})
public final class RewardCodeBenchCommand implements Runnable {

    private static final ObjectMapper JSON = new ObjectMapper();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--batch", defaultValue = "64", description = "Completions per batch (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--tests", defaultValue = "8", description = "Unit tests per problem (default: ${DEFAULT-VALUE}).")
    int tests;

    @Option(names = "--rounds", defaultValue = "3", description = "Timed batches (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--per-sandbox", defaultValue = "1", description = "completions_per_sandbox: completions scored "
            + "in one sandbox and one interpreter, each in a forked child (default: ${DEFAULT-VALUE}).")
    int perSandbox;

    @Option(names = "--workers", description = "reward_workers: sandboxes run at once (default: the number of cores).")
    Integer workers;

    @Option(names = "--sandbox", paramLabel = "auto|bwrap|unshare|none", defaultValue = "auto",
            description = "Which sandbox (default: ${DEFAULT-VALUE}).")
    String sandbox;

    @Override
    public void run() {
        if (batch < 1 || tests < 1 || rounds < 1) {
            throw new IllegalArgumentException("--batch, --tests and --rounds must be at least 1");
        }
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("sandbox", sandbox);
        params.put("completions_per_sandbox", perSandbox);
        if (workers != null) {
            params.put("reward_workers", workers);
        }
        try (UnitTestReward reward = new UnitTestReward(Language.PYTHON, params)) {
            Random random = new Random(1);
            reward.score(batch(random)); // warm-up: page cache, JIT
            List<Double> rates = new ArrayList<>();
            double rewardSum = 0;
            for (int r = 0; r < rounds; r++) {
                List<RewardInput> inputs = batch(random);
                long start = System.nanoTime();
                List<Double> scores = reward.score(inputs);
                double seconds = (System.nanoTime() - start) / 1e9;
                rates.add(inputs.size() / seconds);
                rewardSum += scores.stream().mapToDouble(Double::doubleValue).sum();
            }
            List<Double> sorted = rates.stream().sorted().toList();
            ObjectNode out = JSON.createObjectNode();
            out.put("completions_per_second", round(sorted.get(sorted.size() / 2)));
            out.putPOJO("rounds", rates.stream().map(RewardCodeBenchCommand::round).toList());
            out.put("batch", batch);
            out.put("completions_per_sandbox", perSandbox);
            out.put("tests_per_completion", tests);
            out.put("reward_workers", workers != null ? workers : Runtime.getRuntime().availableProcessors());
            out.put("sandbox", reward.runner().isolation().describe());
            out.put("mean_reward", round(rewardSum / (rounds * (double) batch)));
            spec.commandLine().getOut().println(out);
            spec.commandLine().getOut().flush();
        }
    }

    /** A batch of completions of f(x) = a*x + b: even ones right, odd ones off by one for negative x. */
    private List<RewardInput> batch(Random random) {
        List<RewardInput> inputs = new ArrayList<>(batch);
        for (int i = 0; i < batch; i++) {
            int a = random.nextInt(9) + 1;
            int b = random.nextInt(19) - 9;
            List<String> testList = new ArrayList<>();
            for (int t = 0; t < tests; t++) {
                int x = t - tests / 2;
                testList.add(String.format(Locale.ROOT, "assert f(%d) == %d", x, a * x + b));
            }
            String body = i % 2 == 0 ? "return " + a + " * x + " + b
                    : "if x < 0:\n        return " + a + " * x + " + (b + 1) + "\n    return " + a + " * x + " + b;
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("tests", testList);
            inputs.add(new RewardInput("Write f(x) = " + a + "x + " + b, "def f(x):\n    " + body + "\n", null, null, row));
        }
        return inputs;
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
