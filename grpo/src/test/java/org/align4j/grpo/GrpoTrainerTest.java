package org.align4j.grpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.model.ModelConfig;
import org.align4j.policy.train.RunDirectory;
import org.align4j.policy.train.TrainingDivergedException;
import org.align4j.policy.train.TrainingOutOfMemoryException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class GrpoTrainerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    static Path tinyPolicy(Path dir) throws Exception {
        Path tok = Paths.get(GrpoTrainerTest.class.getResource("/digits/tokenizer.json").toURI()).getParent();
        CausalLM m = CausalLM.initialize(ModelConfig.llama(17, 16, 32, 1, 2, 1, 64, null, new int[] {16}),
                DataType.FLOAT, 3);
        Path model = dir.resolve("policy");
        HfCheckpoint.save(m, model, tok);
        return model;
    }

    static Path prompts(Path dir) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String p : List.of("ab", "cd", "ef", "ba", "dc", "fe", "ac", "bd")) {
            sb.append("{\"prompt\": \"").append(p).append("\"}\n");
        }
        Path f = dir.resolve("prompts.jsonl");
        Files.writeString(f, sb.toString());
        return f;
    }

    static GrpoConfig config(Path dir, Path model, Path prompts) {
        GrpoConfig c = new GrpoConfig();
        c.modelNameOrPath = model.toString();
        c.trainFile = prompts.toString();
        c.outputDir = dir.resolve("run").toString();
        c.numGenerations = 8;
        c.batchSize = 16;
        c.gradientAccumulationSteps = 2; // 32 completions = 4 prompts per step
        c.maxCompletionLength = 6;
        c.learningRate = 2e-2;
        c.maxSteps = 25;
        c.loggingSteps = 1;
        c.saveSteps = 0;
        Map<String, Object> reward = new LinkedHashMap<>();
        reward.put("class", DigitShareReward.class.getName());
        c.rewards = new ArrayList<>(List.of(reward));
        return c;
    }

    static List<JsonNode> metrics(Path run) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            out.add(JSON.readTree(line));
        }
        return out;
    }

    @Test
    void meanRewardRisesOnAToyTask(@TempDir Path dir) throws Exception {
        GrpoConfig c = config(dir, tinyPolicy(dir), prompts(dir));
        GrpoTrainer.Result r = new GrpoTrainer(c, false, new PrintStream(new ByteArrayOutputStream())).train();
        List<JsonNode> m = metrics(r.runDir());
        assertEquals(25, m.size());
        double first = (m.get(0).get("reward").asDouble() + m.get(1).get("reward").asDouble()) / 2;
        double last = (m.get(23).get("reward").asDouble() + m.get(24).get("reward").asDouble()) / 2;
        assertTrue(last > first + 0.15, "mean reward rose from " + first + " to " + last);
        JsonNode s0 = m.get(0);
        assertEquals(0.0, s0.get("kl").asDouble(), 1e-6, "the policy equals the reference at the first step");
        assertEquals(0.0, s0.get("clip_ratio/region_mean").asDouble(), 0.0, "ratio is exactly 1 on-policy");
        for (String key : List.of("reward_std", "frac_reward_zero_std", "entropy", "completions/mean_length",
                "completions/clipped_ratio", "grad_norm", "learning_rate", "rewards/digit_share/mean",
                "timing/rollout_s", "rollout_tokens_per_s", "update_tokens_per_s")) {
            assertTrue(s0.has(key), "metric " + key);
        }
        assertTrue(m.get(24).get("kl").asDouble() > 0, "the policy moved away from the reference");
        assertTrue(Files.isRegularFile(r.finalModel().resolve("tokenizer.json")));
        assertTrue(Files.isRegularFile(r.runDir().resolve("metrics.png")));
    }

    @Test
    void resumeContinuesFromTheCheckpoint(@TempDir Path dir) throws Exception {
        Path model = tinyPolicy(dir);
        Path prompts = prompts(dir);
        GrpoConfig a = config(dir, model, prompts);
        a.maxSteps = 3;
        a.saveSteps = 2;
        new GrpoTrainer(a, false, new PrintStream(new ByteArrayOutputStream())).train();
        GrpoConfig b = config(dir, model, prompts);
        b.maxSteps = 4;
        new GrpoTrainer(b, true, new PrintStream(new ByteArrayOutputStream())).train();
        List<JsonNode> m = metrics(dir.resolve("run"));
        assertEquals(4, m.size());
        for (int i = 0; i < 4; i++) {
            assertEquals(i + 1, m.get(i).get("step").asInt());
        }
        // the straight run's step 3 equals the resumed run's step 3 (same weights, data and sampling seed)
        GrpoConfig straight = config(dir, model, prompts);
        straight.outputDir = dir.resolve("straight").toString();
        straight.maxSteps = 3;
        new GrpoTrainer(straight, false, new PrintStream(new ByteArrayOutputStream())).train();
        List<JsonNode> s = metrics(dir.resolve("straight"));
        assertEquals(s.get(2).get("reward").asDouble(), m.get(2).get("reward").asDouble(), 1e-12);
    }

    @Test
    void aStepOutOfMemoryNamesItsPhaseAndLeavesTheCheckpointToResume(@TempDir Path dir) throws Exception {
        Path model = tinyPolicy(dir);
        Path prompts = prompts(dir);
        GrpoConfig a = config(dir, model, prompts);
        a.maxSteps = 4;
        a.saveSteps = 2;
        a.rewards = new ArrayList<>(List.of(Map.of("class", OutOfMemoryReward.class.getName())));
        TrainingOutOfMemoryException e = assertThrows(TrainingOutOfMemoryException.class,
                () -> new GrpoTrainer(a, false, new PrintStream(new ByteArrayOutputStream())).train());
        assertEquals(3, e.step());
        assertTrue(e.phase().startsWith("reward"), e.phase());
        assertTrue(e.getMessage().contains("GPU out of memory: 3.00 GiB requested with 70.00 GiB in use"),
                e.getMessage());
        Path checkpoint = dir.resolve("run").resolve(RunDirectory.CHECKPOINTS).resolve("step-000002");
        assertTrue(e.getMessage().contains(checkpoint + " (step 2) is intact"), e.getMessage());
        assertTrue(Files.isDirectory(checkpoint));
        assertFalse(Files.exists(dir.resolve("run").resolve("final")), "no final model after an out-of-memory");
        GrpoConfig b = config(dir, model, prompts);
        b.maxSteps = 4;
        new GrpoTrainer(b, true, new PrintStream(new ByteArrayOutputStream())).train();
        List<JsonNode> m = metrics(dir.resolve("run"));
        assertEquals(4, m.size(), "steps 1-2 kept, 3-4 taken after the resume");
        assertEquals(4, m.get(3).get("step").asInt());
    }

    @Test
    void trlAndVerlOptionsTrainAndLogTheirMetrics(@TempDir Path dir) throws Exception {
        Path model = tinyPolicy(dir);
        Path prompts = prompts(dir);
        GrpoConfig c = config(dir, model, prompts);
        c.maxSteps = 3;
        c.temperature = 0.7;
        c.lossType = "cispo";
        c.epsilonHigh = 5.0;
        c.importanceSamplingLevel = "sequence";
        c.klEstimator = "k2";
        c.klInReward = true;
        c.advantageEstimator = "rloo";
        c.overlongBufferLength = 2;
        c.topEntropyQuantile = 0.5;
        c.validate();
        GrpoTrainer.Result r = new GrpoTrainer(c, false, new PrintStream(new ByteArrayOutputStream())).train();
        List<JsonNode> m = metrics(r.runDir());
        assertEquals(3, m.size());
        for (JsonNode step : m) {
            for (String key : List.of("cispo_clip_ratio", "rewards/overlong_penalty/mean", "entropy_masked_ratio",
                    "advantages/std", "sampling/importance_sampling_ratio/mean", "kl")) {
                assertTrue(step.has(key), "metric " + key);
            }
            // the trainer scores at the sampling temperature: its log-probs are the sampler's (up to float rounding)
            assertTrue(step.get("sampling/sampling_logp_difference/max").asDouble() < 1e-3,
                    "sampler and trainer log-probs agree: " + step.get("sampling/sampling_logp_difference/max"));
            assertTrue(Math.abs(step.get("sampling/importance_sampling_ratio/mean").asDouble() - 1) < 1e-3);
            assertTrue(step.get("entropy_masked_ratio").asDouble() > 0.3, "about half the tokens are masked");
        }
    }

    @Test
    void dynamicSamplingWithAsyncRolloutsKeepsInformativeGroups(@TempDir Path dir) throws Exception {
        GrpoConfig c = config(dir, tinyPolicy(dir), prompts(dir));
        c.maxSteps = 3;
        c.asyncRollouts = true;
        c.dynamicSampling = true;
        c.maxNumGenBatches = 3;
        c.advantageEstimator = "reinforce_plus_plus_baseline";
        c.scaleRewards = "batch";
        c.lossType = "bnpo";
        c.delta = 1.5;
        c.logCompletions = true;
        c.loggingSteps = 2;
        c.validate();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        GrpoTrainer.Result r = new GrpoTrainer(c, false, new PrintStream(out, true)).train();
        List<JsonNode> m = metrics(r.runDir());
        assertEquals(2, m.size(), "logged at step 2 and at the last step");
        // log_completions: each logged step's completions, with rewards and advantages, and one on the log
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(r.runDir().resolve("completions.jsonl"))) {
            rows.add(JSON.readTree(line));
        }
        assertEquals(List.of(2L, 3L), rows.stream().map(x -> x.get("step").asLong()).distinct().toList());
        assertEquals(2 * c.completionsPerStep(), rows.size());
        for (String key : List.of("prompt", "completion", "reward", "advantage")) {
            assertTrue(rows.get(0).has(key), key);
        }
        assertTrue(rows.get(0).get("rewards").has("digit_share"), rows.get(0).toString());
        assertTrue(out.toString().contains("grpo: step 2 sample: "), out.toString());
        for (JsonNode step : m) {
            int batches = step.get("num_gen_batches").asInt();
            assertTrue(batches >= 1 && batches <= 3, "num_gen_batches " + batches);
            assertTrue(step.has("sampling/importance_sampling_ratio/max"));
            assertTrue(step.has("clip_ratio/region_mean"));
        }
    }

    @Test
    void scaleRewardsTakesTrlsBooleansAndNames() {
        List<String> base = List.of("model_name_or_path=m", "train_file=t");
        for (String v : List.of("true", "false", "group", "batch", "none")) {
            List<String> o = new ArrayList<>(base);
            o.add("scale_rewards=" + v);
            GrpoConfig c = org.align4j.policy.train.ConfigLoader.load(null, GrpoConfig.class, o);
            org.align4j.grpo.advantage.ScaleRewards.parse(c.scaleRewards);
        }
        List<String> bad = new ArrayList<>(base);
        bad.add("advantage_estimator=gae");
        org.align4j.policy.util.BadInputException e = org.junit.jupiter.api.Assertions.assertThrows(
                org.align4j.policy.util.BadInputException.class,
                () -> org.align4j.policy.train.ConfigLoader.load(null, GrpoConfig.class, bad));
        assertTrue(e.getMessage().contains("known: grpo, rloo, reinforce_plus_plus, reinforce_plus_plus_baseline"),
                e.getMessage());
    }

    @Test
    void rewardExecutorGoesToTheCodeRewardsThatDoNotSetTheirOwn() {
        List<String> o = new ArrayList<>(List.of("model_name_or_path=m", "train_file=t", "reward_executor=spark"));
        GrpoConfig c = org.align4j.policy.train.ConfigLoader.load(null, GrpoConfig.class, o);
        c.rewards = List.of(Map.of("type", "math_answer"), Map.of("type", "python_tests"),
                Map.of("type", "cpp_tests", "reward_executor", "local"));
        List<Map<String, Object>> r = c.rewardsWithExecutor();
        assertFalse(r.get(0).containsKey("reward_executor"));
        assertEquals("spark", r.get(1).get("reward_executor"));
        assertEquals("local", r.get(2).get("reward_executor"));
        o.set(2, "reward_executor=ray");
        org.align4j.policy.util.BadInputException e = assertThrows(org.align4j.policy.util.BadInputException.class,
                () -> org.align4j.policy.train.ConfigLoader.load(null, GrpoConfig.class, o));
        assertTrue(e.getMessage().contains("reward_executor"), e.getMessage());
    }

    @Test
    void aBlownUpPolicyStopsTheRunAndKeepsTheLastGoodState(@TempDir Path dir) throws Exception {
        Path model = tinyPolicy(dir);
        GrpoConfig c = config(dir, model, prompts(dir));
        c.learningRate = 1e30;
        c.maxSteps = 6;
        c.saveSteps = 2;
        TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
                () -> new GrpoTrainer(c, false, new PrintStream(new ByteArrayOutputStream())).train());
        assertTrue(e.getMessage().startsWith("grpo diverged at step " + e.step() + ": non-finite "), e.getMessage());
        Path run = dir.resolve("run");
        assertFalse(Files.exists(run.resolve("final")), "no final model from a diverged policy");
        List<RunDirectory.Checkpoint> kept = RunDirectory.checkpoints(run);
        assertEquals(List.of(0L), kept.stream().map(RunDirectory.Checkpoint::step).toList(),
                "the weights before the blow-up (the first update), from memory");
        assertTrue(e.getMessage().endsWith("last good checkpoint " + kept.get(0).dir() + " (step 0)"), e.getMessage());
        Map<String, INDArray> start = HfCheckpoint.load(model).weights();
        Map<String, INDArray> saved = HfCheckpoint.load(kept.get(0).dir().resolve(RunDirectory.MODEL_DIR)).weights();
        start.forEach((name, w) -> assertEquals(w, saved.get(name), name));
        List<JsonNode> rows = metrics(run);
        JsonNode last = rows.get(rows.size() - 1);
        assertEquals(e.step(), last.get("step").asLong());
        assertTrue(last.get("diverged").asText().startsWith("non-finite"), last.toString());
    }
}
