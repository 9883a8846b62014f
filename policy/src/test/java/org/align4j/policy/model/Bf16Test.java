package org.align4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.align4j.policy.io.SafeTensors;
import org.align4j.policy.io.ShardedSafeTensors;
import org.align4j.policy.ops.Bf16;
import org.align4j.policy.ops.Ops;
import org.align4j.policy.train.ConfigLoader;
import org.align4j.policy.train.TrainingConfig;
import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Mixed precision on the CPU backend (bf16: true emulated: frozen weights rounded to bf16 values, products in
 * float32): the rounding itself, the models' storage, config.json's dtype and bf16 checkpoints. The GPU side is
 * CudaBf16Test.
 */
class Bf16Test {

    @Test
    void roundsToNearestEvenAsTorch() {
        assertEquals(1.0f, Bf16.round(1.0f));
        // bf16 keeps 7 mantissa bits: 1 + 2^-8 is half an ulp above 1, a tie, which goes to the even neighbour
        assertEquals(1.0f, Bf16.round(1.0f + 0x1p-8f));
        assertEquals(1.0f + 0x1p-6f, Bf16.round(1.0f + 3 * 0x1p-8f));
        assertEquals(1.0f + 0x1p-7f, Bf16.round(1.0f + 0x1p-8f + 0x1p-12f));
        assertEquals(-2.5f, Bf16.round(-2.5f));
        assertEquals(Float.POSITIVE_INFINITY, Bf16.round(Float.MAX_VALUE)); // past the largest bf16
        assertTrue(Float.isNaN(Bf16.round(Float.NaN)));
        assertEquals(Float.floatToIntBits(-0.0f), Float.floatToIntBits(Bf16.round(-0.0f)));
        assertEquals((short) 0x3f80, Bf16.fromFloat(1.0f));
        assertEquals(3.140625f, Bf16.toFloat(Bf16.fromFloat((float) Math.PI)));
    }

    @Test
    void cpuBackendRoundsFrozenWeightsAndLeavesTrainableOnesExact() {
        Nd4j.getRandom().setSeed(3);
        INDArray w = Nd4j.randn(DataType.FLOAT, 6, 5);
        INDArray frozen = w.dup('c');
        INDArray trainable = w.dup('c');
        Ops.cpu().holdInBf16(frozen, false);
        Ops.cpu().holdInBf16(trainable, true);
        assertEquals(w, trainable);
        for (int i = 0; i < w.length(); i++) {
            assertEquals(Bf16.round(w.getFloat(i)), frozen.getFloat(i));
        }
        assertNotEquals(w, frozen);
        assertThrows(IllegalArgumentException.class, () -> Ops.cpu().holdInBf16(w.castTo(DataType.DOUBLE), false));
        assertThrows(IllegalArgumentException.class, () -> Ops.cpu().holdInBf16(w.getRow(1), false));
    }

    private static CausalLM qwen() {
        return HfCheckpoint.load(HfConformanceTest.fixture("model_qwen2"));
    }

    private static double maxLogitDifference(CausalLM a, CausalLM b, TokenBatch batch) {
        return a.forward(batch).logits().sub(b.forward(batch).logits()).amaxNumber().doubleValue();
    }

    private static boolean isBf16(INDArray a) {
        for (int i = 0; i < a.length(); i++) {
            if (Bf16.round(a.getFloat(i)) != a.getFloat(i)) {
                return false;
            }
        }
        return true;
    }

    @Test
    void aFrozenBf16ModelHoldsBf16MatricesAndGivesLogitsCloseToFloat32() {
        CausalLM fp32 = qwen();
        CausalLM ref = fp32.copy();
        ref.storeInBf16(true);
        assertTrue(ref.storedInBf16());
        for (Parameter p : ref.parameters()) {
            INDArray original = fp32.parameter(p.name()).value();
            if (p.value().rank() == 2) {
                assertTrue(isBf16(p.value()), p.name() + " rounded to bf16");
            } else {
                assertEquals(original, p.value(), p.name() + " (a vector) stays float32");
            }
        }
        TokenBatch b = TokenBatch.of(new int[] {1, 5, 300, 7, 42, 9}, new int[] {11, 511, 3});
        double diff = maxLogitDifference(fp32, ref, b);
        assertTrue(diff > 0 && diff < 1e-2, "max |logit difference| " + diff);
        // a copy keeps the storage
        CausalLM again = ref.copy();
        assertTrue(again.storedInBf16());
        assertEquals(0.0, maxLogitDifference(ref, again, b));
    }

    @Test
    void trainableWeightsStayExactFloat32MastersAndLoraBasesAreRounded() {
        CausalLM fp32 = qwen();
        CausalLM full = fp32.copy();
        full.storeInBf16(false);
        for (Parameter p : full.parameters()) {
            assertEquals(fp32.parameter(p.name()).value(), p.value(), p.name() + " stays exact (master weight)");
        }
        // LoRA after bf16: the bases are frozen by the adapters and go to bf16; the adapters stay exact
        CausalLM lora = fp32.copy();
        lora.storeInBf16(false);
        lora.addAdapters(new LoraConfig(4, 8, 0.0, false, java.util.List.of("q_proj", "v_proj"), false), null, 7);
        INDArray base = lora.weights().get("model.layers.0.self_attn.q_proj.weight");
        assertTrue(isBf16(base));
        assertFalse(isBf16(lora.parameter("model.layers.0.self_attn.q_proj.lora_A.weight").value()));
        assertThrows(IllegalStateException.class,
                () -> CausalLM.fromWeights(fp32.config(), fp32.weights(), DataType.DOUBLE).storeInBf16(true));
    }

    @Test
    void configJsonDtypeIsReadAndBf16SourcesAreSavedAsBf16(@TempDir Path tmp) throws IOException {
        Path src = HfConformanceTest.fixture("model_qwen2");
        Path bf16Dir = tmp.resolve("bf16");
        Files.createDirectories(bf16Dir);
        ObjectMapper json = new ObjectMapper();
        ObjectNode cfg = (ObjectNode) json.readTree(src.resolve("config.json").toFile());
        cfg.put("dtype", "bfloat16");
        Files.writeString(bf16Dir.resolve("config.json"), cfg.toString());
        Map<String, INDArray> original = SafeTensors.read(src.resolve(ShardedSafeTensors.SINGLE_FILE));
        SafeTensors.write(bf16Dir.resolve(ShardedSafeTensors.SINGLE_FILE), original, SafeTensors.Dtype.BF16,
                SafeTensors.PT_METADATA);

        CausalLM m = HfCheckpoint.load(bf16Dir);
        assertSame(TorchDtype.BFLOAT16, m.checkpointDtype());
        assertSame(TorchDtype.FLOAT32, HfCheckpoint.load(src).checkpointDtype());
        m.weights().forEach((name, w) -> assertTrue(isBf16(w), name + " loaded as bf16 values"));

        Path saved = tmp.resolve("saved");
        HfCheckpoint.save(m.copy(), saved, null);
        JsonNode savedCfg = json.readTree(saved.resolve("config.json").toFile());
        assertEquals("bfloat16", savedCfg.get("torch_dtype").asText());
        SafeTensors.Header h = SafeTensors.readHeader(saved.resolve(ShardedSafeTensors.SINGLE_FILE));
        h.tensors().forEach(t -> assertEquals(SafeTensors.Dtype.BF16, t.dtype(), t.name()));
        Map<String, INDArray> back = SafeTensors.read(saved.resolve(ShardedSafeTensors.SINGLE_FILE));
        original.forEach((name, w) -> {
            INDArray rounded = w.dup('c');
            Bf16.roundInPlace(rounded);
            assertEquals(rounded, back.get(name), name);
        });
        // float32 sources stay float32
        Path f32 = tmp.resolve("f32");
        HfCheckpoint.save(HfCheckpoint.load(src), f32, null);
        SafeTensors.readHeader(f32.resolve(ShardedSafeTensors.SINGLE_FILE)).tensors()
                .forEach(t -> assertEquals(SafeTensors.Dtype.F32, t.dtype()));
    }

    @Test
    void dtypeKeysAndUnknownNames() throws IOException {
        ObjectMapper json = new ObjectMapper();
        assertSame(TorchDtype.BFLOAT16, TorchDtype.of(json.readTree("{\"torch_dtype\": \"bfloat16\"}")));
        assertSame(TorchDtype.BFLOAT16, TorchDtype.of(json.readTree("{\"dtype\": \"torch.bfloat16\"}")));
        assertSame(TorchDtype.FLOAT32, TorchDtype.of(json.readTree("{\"dtype\": \"float16\"}")));
        assertSame(TorchDtype.FLOAT32, TorchDtype.of(json.readTree("{}")));
        // transformers 5's dtype wins over the older torch_dtype
        assertSame(TorchDtype.FLOAT32,
                TorchDtype.of(json.readTree("{\"dtype\": \"float32\", \"torch_dtype\": \"bfloat16\"}")));
        BadInputException e = assertThrows(BadInputException.class,
                () -> TorchDtype.of(json.readTree("{\"torch_dtype\": \"int8\"}")));
        assertTrue(e.getMessage().contains("torch_dtype") && e.getMessage().contains("int8"), e.getMessage());
    }

    @Test
    void trainerConfigsReadBf16AndApplyItToThePolicyAndASeparateReference(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("c.yaml");
        Files.writeString(f, "bf16: true\n");
        TrainingConfig c = ConfigLoader.load(f, TrainingConfig.class);
        assertTrue(c.bf16);
        assertFalse(new TrainingConfig().bf16, "off by default");
        CausalLM policy = qwen();
        CausalLM reference = policy.copy();
        c.applyTo(policy);
        c.applyToReference(reference, policy);
        assertTrue(policy.storedInBf16() && reference.storedInBf16());
        assertTrue(isBf16(reference.weights().get("model.embed_tokens.weight")));
        assertFalse(isBf16(policy.weights().get("model.embed_tokens.weight")), "the policy keeps float32 masters");
        // a policy that is its own reference is not frozen
        CausalLM alone = qwen();
        c.applyToReference(alone, alone);
        assertFalse(alone.storedInBf16());
    }
}
