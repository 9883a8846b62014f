package org.align4j.grpo;

import org.align4j.policy.testing.TestFixtures;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.model.ModelConfig;
import org.align4j.reward.model.RewardModel;
import org.align4j.reward.model.RewardModelKind;
import org.align4j.reward.model.train.ReplayBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

class IterativeGrpoTest {

    private static Path tokenizerDir() throws Exception {
        return TestFixtures.arithTokenizer();
    }

    private static ModelConfig tiny() {
        return ModelConfig.llama(16, 16, 32, 1, 2, 1, 64, null, new int[] {15});
    }

    static GrpoConfig config(Path dir) throws Exception {
        Path tok = tokenizerDir();
        Path policy = dir.resolve("policy");
        HfCheckpoint.save(CausalLM.initialize(tiny(), DataType.FLOAT, 3), policy, tok);
        Path rm = dir.resolve("rm0");
        RewardModel.create(CausalLM.initialize(tiny(), DataType.FLOAT, 4), RewardModelKind.ORM, 5).save(rm, tok);
        StringBuilder sb = new StringBuilder();
        Random r = new Random(1);
        for (int i = 0; i < 16; i++) {
            int a = r.nextInt(5);
            int b = r.nextInt(5);
            sb.append("{\"prompt\": \"").append(a).append('+').append(b).append("=\", \"answer\": ").append(a + b)
                    .append("}\n");
        }
        Path prompts = dir.resolve("prompts.jsonl");
        Files.writeString(prompts, sb.toString());
        GrpoConfig c = new GrpoConfig();
        c.modelNameOrPath = policy.toString();
        c.trainFile = prompts.toString();
        c.outputDir = dir.resolve("run").toString();
        c.numGenerations = 4;
        c.batchSize = 8;
        c.maxCompletionLength = 6;
        c.learningRate = 1e-2;
        c.loggingSteps = 1;
        c.saveSteps = 0;
        c.iterative = new GrpoConfig.IterativeConfig();
        c.iterative.iterations = 2;
        c.iterative.stepsPerIteration = 2;
        c.iterative.rewardModel = rm.toString();
        c.iterative.rewardTrainSteps = 4;
        c.iterative.rewardBatchSize = 8;
        c.iterative.rewardLearningRate = 1e-2;
        c.iterative.labelPrompts = 8;
        c.iterative.labelGenerations = 4;
        c.iterative.heldOutFraction = 0.25;
        // ground truth for the toy task: a completion is correct when it is all digits
        Map<String, Object> checker = new LinkedHashMap<>();
        checker.put("class", DigitShareReward.class.getName());
        c.iterative.labelRewards = new ArrayList<>(List.of(checker));
        c.validate();
        return c;
    }

    @Test
    void twoIterationsRetrainTheRewardModelWithReplayAndLogEachIteration(@TempDir Path dir) throws Exception {
        GrpoConfig c = config(dir);
        IterativeGrpo.Result r = new IterativeGrpo(c, false, new PrintStream(new ByteArrayOutputStream())).train();
        List<JsonNode> m = GrpoTrainerTest.metrics(r.runDir());
        assertEquals(2, m.size());
        for (int k = 0; k < 2; k++) {
            JsonNode row = m.get(k);
            assertEquals(k + 1, row.get("step").asInt());
            for (String key : List.of("policy/reward", "policy/accuracy", "samples/labelled", "rm/loss_before",
                    "rm/accuracy_before", "rm/auc_before", "rm/accuracy_after", "rm/train_loss")) {
                assertTrue(row.has(key), "iteration " + (k + 1) + " logs " + key);
            }
            assertEquals(32, row.get("samples/labelled").asInt(), "every sample gets a label");
            assertEquals(2, GrpoTrainerTest.metrics(r.runDir().resolve("iter-" + (k + 1))).size());
        }
        // iteration 2 starts from iteration 1's policy and is rewarded by the reward model retrained after it
        String inner = Files.readString(r.runDir().resolve("iter-2/config.yaml"));
        assertTrue(inner.contains(r.runDir().resolve("iter-1/final").toString()), inner);
        assertTrue(inner.contains(r.runDir().resolve("rm-1/final").toAbsolutePath().toString()), inner);
        assertTrue(inner.contains("reward_model"), inner);
        assertEquals(r.runDir().resolve("rm-2/final"), r.finalRewardModel());
        // the buffer holds both iterations' retraining rows; the second retraining replayed the first's
        ReplayBuffer buffer = ReplayBuffer.open(r.runDir().resolve("replay"), 1, 0);
        assertEquals(48, buffer.size());
        double share = GrpoTrainerTest.metrics(r.runDir().resolve("rm-2")).stream()
                .mapToDouble(j -> j.get("replay_share").asDouble()).average().orElseThrow();
        assertEquals(0.1, share, 0.05);
        assertTrue(Files.isRegularFile(r.finalPolicy().resolve("model.safetensors")));
        assertTrue(Files.isRegularFile(r.runDir().resolve("metrics.png")));
    }

    @Test
    void resumeContinuesAfterTheLastCompleteIteration(@TempDir Path dir) throws Exception {
        GrpoConfig one = config(dir);
        one.iterative.iterations = 1;
        new IterativeGrpo(one, false, new PrintStream(new ByteArrayOutputStream())).train();
        GrpoConfig two = config(dir.resolve("again"));
        two.outputDir = one.outputDir;
        two.modelNameOrPath = one.modelNameOrPath;
        two.iterative.rewardModel = one.iterative.rewardModel;
        two.iterative.iterations = 2;
        IterativeGrpo.Result r = new IterativeGrpo(two, true, new PrintStream(new ByteArrayOutputStream())).train();
        List<JsonNode> m = GrpoTrainerTest.metrics(r.runDir());
        assertEquals(List.of(1, 2), m.stream().map(j -> j.get("step").asInt()).toList());
        assertTrue(Files.readString(r.runDir().resolve("iter-2/config.yaml"))
                .contains(r.runDir().resolve("iter-1/final").toString()));
    }

    @Test
    void aProcessRewardModelRunsProcessSupervisionAndLearnsFromStepLabels(@TempDir Path dir) throws Exception {
        GrpoConfig c = config(dir);
        Path prm = dir.resolve("prm0");
        RewardModel.create(CausalLM.initialize(tiny(), DataType.FLOAT, 6), RewardModelKind.PRM, 7)
                .save(prm, tokenizerDir());
        c.iterative.rewardModel = prm.toString();
        c.iterative.iterations = 1;
        c.iterative.labelRewards = new ArrayList<>(List.of(new LinkedHashMap<>(Map.of("type", "math_answer"))));
        IterativeGrpo.Result r = new IterativeGrpo(c, false, new PrintStream(new ByteArrayOutputStream())).train();
        String inner = Files.readString(r.runDir().resolve("iter-1/config.yaml"));
        assertTrue(inner.contains("supervision: process") && inner.contains("process_reward_model"), inner);
        List<String> rows = Files.readAllLines(r.runDir().resolve("samples-1.jsonl"));
        assertTrue(!rows.isEmpty() && rows.stream().allMatch(l -> l.contains("\"step_labels\"")), rows.toString());
        assertTrue(metrics(r.runDir()).get(0).has("rm/accuracy_after"));
        assertEquals(RewardModelKind.PRM, RewardModel.load(r.finalRewardModel()).kind());
    }

    static List<JsonNode> metrics(Path run) throws IOException {
        return GrpoTrainerTest.metrics(run);
    }
}
