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
        Map<String, Object> python = new LinkedHashMap<>();
        python.put("type", "python");
        python.put("timeout_seconds", 5);
        c.tools = new java.util.ArrayList<>(List.of(python));
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
}
