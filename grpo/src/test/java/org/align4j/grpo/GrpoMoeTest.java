package org.align4j.grpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.model.MlaConfig;
import org.align4j.policy.model.ModelConfig;
import org.align4j.policy.model.MoeConfig;
import org.align4j.policy.model.TokenBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** The GRPO trainer, unchanged, on a tiny DeepSeek-V3 policy (multi-head latent attention and DeepSeekMoE). */
class GrpoMoeTest {

    /** The digits toy task's vocabulary; one dense layer, then 4 routed experts (top 2) and a shared one. */
    static ModelConfig tinyDeepSeek() {
        MlaConfig mla = new MlaConfig(8, 8, 8, 4, 8, true, false);
        MoeConfig moe = new MoeConfig(1, 1, 4, 2, 16, 1, MoeConfig.SIGMOID, MoeConfig.NOAUX_TC, 2, 1, true, 1.0);
        return new ModelConfig(ModelConfig.DEEPSEEK_V3, 17, 16, 32, 2, 2, 2, 4, 64, 1e-6, 10000.0, false, false,
                null, new int[] {16}, mla, moe, 0);
    }

    @Test
    void rewardRisesAndExpertsTrain(@TempDir Path dir) throws Exception {
        Path tok = Paths.get(GrpoMoeTest.class.getResource("/digits/tokenizer.json").toURI()).getParent();
        CausalLM start = CausalLM.initialize(tinyDeepSeek(), DataType.FLOAT, 3);
        Path model = dir.resolve("policy");
        HfCheckpoint.save(start, model, tok);
        GrpoConfig c = GrpoTrainerTest.config(dir, model, GrpoTrainerTest.prompts(dir));
        c.maxSteps = 16;
        c.moeAuxLossWeight = 0.01;
        c.auxFreeBiasUpdateSpeed = 0.001;
        GrpoTrainer.Result r = new GrpoTrainer(c, false, new PrintStream(new ByteArrayOutputStream())).train();
        List<JsonNode> m = GrpoTrainerTest.metrics(r.runDir());
        assertEquals(16, m.size());
        double first = (m.get(0).get("reward").asDouble() + m.get(1).get("reward").asDouble()) / 2;
        double last = (m.get(14).get("reward").asDouble() + m.get(15).get("reward").asDouble()) / 2;
        assertTrue(last > first + 0.1, "mean reward rose from " + first + " to " + last);
        for (JsonNode step : m) {
            assertTrue(Double.isFinite(step.get("loss").asDouble()) && Double.isFinite(step.get("grad_norm").asDouble()));
            assertTrue(step.get("moe/load_max").asDouble() >= 1.0, step.toString());
            assertTrue(step.get("moe/load_cv").asDouble() >= 0.0, step.toString());
            double mismatch = step.get("moe/router_mismatch").asDouble();
            assertTrue(mismatch >= 0 && mismatch <= 1, step.toString());
        }
        // the sampler and the trainer hold the same weights (no async rollouts): their routing agrees but for the
        // rounding of decoding against teacher forcing
        assertTrue(m.get(0).get("moe/router_mismatch").asDouble() < 0.05, m.get(0).toString());

        // the saved policy is a DeepSeek-V3 checkpoint whose router and experts moved, and the selection bias too
        CausalLM trained = HfCheckpoint.load(r.finalModel());
        String bias = "model.layers.1.mlp.gate.e_score_correction_bias";
        assertTrue(start.weights().get(bias).sub(trained.weights().get(bias)).amaxNumber().doubleValue() > 1e-4,
                "aux_free_bias_update_speed moved the bias");
        assertEquals(ModelConfig.DEEPSEEK_V3, trained.config().architecture);
        for (String name : List.of("model.layers.1.mlp.gate.weight", "model.layers.1.mlp.experts.0.down_proj.weight",
                "model.layers.1.self_attn.kv_b_proj.weight", "model.layers.1.mlp.shared_experts.up_proj.weight")) {
            INDArray before = start.parameter(name).value();
            INDArray after = trained.parameter(name).value();
            assertTrue(before.sub(after).amaxNumber().doubleValue() > 1e-4, name + " changed");
        }
        trained.resetExpertLoad();
        trained.forward(TokenBatch.of(new int[] {1, 2, 3, 4, 5}, new int[] {6, 7}));
        long[][] load = trained.expertLoad();
        assertEquals(1, load.length);
        assertEquals(7L * 2, java.util.Arrays.stream(load[0]).sum(), "7 tokens, 2 experts each");
    }

    @Test
    void routerReplayTrainsOnTheRolloutsExperts(@TempDir Path dir) throws Exception {
        Path tok = Paths.get(GrpoMoeTest.class.getResource("/digits/tokenizer.json").toURI()).getParent();
        Path model = dir.resolve("policy");
        HfCheckpoint.save(CausalLM.initialize(tinyDeepSeek(), DataType.FLOAT, 3), model, tok);
        GrpoConfig c = GrpoTrainerTest.config(dir, model, GrpoTrainerTest.prompts(dir));
        c.maxSteps = 2;
        c.numIterations = 2;
        c.moeRouterReplay = true;
        GrpoTrainer.Result r = new GrpoTrainer(c, false, new PrintStream(new ByteArrayOutputStream())).train();
        List<JsonNode> m = GrpoTrainerTest.metrics(r.runDir());
        assertEquals(2, m.size());
        for (JsonNode step : m) {
            assertTrue(Double.isFinite(step.get("loss").asDouble()), step.toString());
            double mismatch = step.get("moe/router_mismatch").asDouble();
            assertTrue(mismatch >= 0 && mismatch <= 1, step.toString());
        }
    }
}
