package org.align4j.grpo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.align4j.grpo.kl.KlEstimators;
import org.align4j.grpo.loss.BatchShape;
import org.align4j.grpo.loss.ClipRange;
import org.align4j.grpo.loss.GrpoLoss;
import org.align4j.grpo.loss.ImportanceSamplingLevel;
import org.align4j.grpo.loss.PolicyLosses;
import org.align4j.rollout.Completion;
import org.align4j.rollout.FinishReason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** GRPO with tools: the tokens tools wrote carry no gradient and no KL; a tool-using run goes end to end. */
class GrpoToolsTest {

    @Test
    void toolTokensCarryNoGradientAndNoKl() {
        // policy, tool, tool, policy, policy: tokens 1 and 2 came from the environment
        boolean[] env = {false, true, true, false, false};
        Completion c = new Completion("p", 0, new int[] {5, 6, 7, 8, 9}, new double[5], FinishReason.EOS, 0, null, env, 1, 0);
        double[] mask = {1, 1, 1, 1, 1};
        ToolUse.maskEnvironmentTokens(c, mask);
        assertEquals(List.of(1.0, 0.0, 0.0, 1.0, 1.0), java.util.Arrays.stream(mask).boxed().toList());

        GrpoLoss loss = new GrpoLoss(new GrpoLoss.Options(PolicyLosses.get("grpo"), ImportanceSamplingLevel.TOKEN,
                ClipRange.of(0.2, 0.2), 0.1, KlEstimators.get("k3"), 1.0));
        double[][] logp = {{-1.0, -2.0, -3.0, -1.5, -0.5}};
        // the reference differs from the policy only on the tool tokens: no KL may show
        double[][] ref = {{-1.0, -9.0, -9.0, -1.5, -0.5}};
        double[][] adv = {{1.0, 1.0, 1.0, 1.0, 1.0}};
        GrpoLoss.Result r = loss.compute(new GrpoLoss.Inputs(logp, logp, ref, adv, new double[][] {mask}, null, null),
                BatchShape.whole(1, 3, 16));
        assertEquals(0.0, r.dLogp[0][1]);
        assertEquals(0.0, r.dLogp[0][2]);
        assertNotEquals(0.0, r.dLogp[0][0]);
        assertNotEquals(0.0, r.dLogp[0][3]);
        assertEquals(0.0, r.klSum, 1e-12);
        assertEquals(3, r.tokens);
    }

    @Test
    void aToolUsingRunGoesEndToEnd(@TempDir Path dir) throws Exception {
        Path model = GrpoTrainerTest.tinyPolicy(dir);
        // the digits tokenizer with a chat template over its own characters
        ObjectMapper json = new ObjectMapper();
        Map<String, Object> config = json.readValue(model.resolve("tokenizer_config.json").toFile(), Map.class);
        config.put("chat_template", "{% for m in messages %}{{ m.content }}{% if m.role == 'tool' %}{{ '\\n' }}{% endif %}"
                + "{% endfor %}");
        Files.writeString(model.resolve("tokenizer_config.json"), json.writeValueAsString(config));
        StringBuilder rows = new StringBuilder();
        for (String p : List.of("12", "34", "56", "78")) {
            rows.append("{\"prompt\": [{\"role\": \"user\", \"content\": \"").append(p).append("\"}]}\n");
        }
        Path prompts = dir.resolve("prompts.jsonl");
        Files.writeString(prompts, rows.toString());
        GrpoConfig c = GrpoTrainerTest.config(dir, model, prompts);
        c.maxSteps = 2;
        c.tools = new java.util.ArrayList<>(List.of("python"));
        c.maxToolCallingIterations = 2;
        GrpoTrainer.Result r = new GrpoTrainer(c, false, new PrintStream(new ByteArrayOutputStream())).train();
        List<JsonNode> m = GrpoTrainerTest.metrics(r.runDir());
        assertEquals(2, m.size());
        for (JsonNode step : m) {
            assertTrue(step.has("tools/call_frequency"), step.toString());
            assertTrue(step.has("tools/failure_frequency"), step.toString());
            assertTrue(Double.isFinite(step.get("loss").asDouble()));
        }
    }

    @Test
    void anEnvironmentsRewardIsAWeightedRewardColumn(@TempDir Path dir) throws Exception {
        Path model = GrpoTrainerTest.tinyPolicy(dir);
        ObjectMapper json = new ObjectMapper();
        Map<String, Object> tokConfig = json.readValue(model.resolve("tokenizer_config.json").toFile(), Map.class);
        tokConfig.put("chat_template", "{% for m in messages %}{{ m.content }}{% endfor %}");
        Files.writeString(model.resolve("tokenizer_config.json"), json.writeValueAsString(tokConfig));
        Map<String, Double> weights = Map.of("12", 0.5, "34", 0.25, "56", 1.0, "78", 2.0);
        StringBuilder rows = new StringBuilder();
        for (Map.Entry<String, Double> w : weights.entrySet()) {
            rows.append("{\"prompt\": [{\"role\": \"user\", \"content\": \"").append(w.getKey())
                    .append("\"}], \"weight\": ").append(w.getValue()).append("}\n");
        }
        Path prompts = dir.resolve("prompts.jsonl");
        Files.writeString(prompts, rows.toString());
        GrpoConfig c = GrpoTrainerTest.config(dir, model, prompts);
        c.maxSteps = 1;
        c.maxCompletionLength = 12;
        c.logCompletions = true;
        c.environment = Map.of("class", StepCountEnvironment.class.getName(), "args", Map.of("answer", "ab"));
        c.maxToolCallingIterations = 3;
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("type", "environment");
        env.put("weight", 2.0);
        c.rewards.add(0, env);
        GrpoTrainer.Result r = new GrpoTrainer(c, false, new PrintStream(new ByteArrayOutputStream())).train();
        JsonNode m = GrpoTrainerTest.metrics(r.runDir()).get(0);
        assertTrue(m.has("rewards/environment/mean"), m.toString());
        assertTrue(m.has("rewards/digit_share/mean"), m.toString());
        List<String> logged = Files.readAllLines(r.runDir().resolve(CompletionLog.FILE));
        assertEquals(32, logged.size());
        double sum = 0;
        boolean multiTurn = false;
        for (String line : logged) {
            JsonNode row = json.readTree(line);
            double w = weights.get(row.get("prompt").asText());
            double e = row.get("rewards").get("environment").asDouble();
            double turns = e / w;
            // the row reached the environment; 1 + stepped replies, at most 1 + max_tool_calling_iterations
            assertEquals(Math.rint(turns), turns, 1e-12, line);
            assertTrue(turns >= 1 && turns <= 4, line);
            multiTurn |= turns > 1;
            assertEquals(2.0 * e + row.get("rewards").get("digit_share").asDouble(), row.get("reward").asDouble(), 1e-9, line);
            sum += e;
        }
        assertEquals(sum / logged.size(), m.get("rewards/environment/mean").asDouble(), 1e-9);
        assertTrue(multiTurn, "some completion ended its turn and was answered");
    }

    @Test
    void theEnvironmentRewardNeedsAnEnvironment(@TempDir Path dir) throws Exception {
        GrpoConfig c = GrpoTrainerTest.config(dir, dir.resolve("model"), dir.resolve("p.jsonl"));
        c.rewards = new java.util.ArrayList<>(List.of(Map.of("type", "environment")));
        org.align4j.policy.util.BadInputException e = org.junit.jupiter.api.Assertions.assertThrows(
                org.align4j.policy.util.BadInputException.class, c::validate);
        assertEquals("rewards[0]: type 'environment' passes on the reward of an environment: set the key 'environment' "
                + "(your class, e.g. com.example.MyEnv)", e.getMessage());
    }
}
