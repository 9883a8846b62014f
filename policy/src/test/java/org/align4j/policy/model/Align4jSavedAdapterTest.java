package org.align4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import org.align4j.policy.io.AtomicFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The adapter align4j saved for the tiny Llama fixture, with align4j's logits (hf/peft/align4j_saved/), which
 * bench/gpu/peft_roundtrip.py loads in PEFT on the GPU machine to check that PEFT reads it with the same logits.
 * Regenerate the committed files with -Dalign4j.regenerateAdapter=policy/src/test/resources/hf/peft/align4j_saved.
 */
class Align4jSavedAdapterTest {
    static final String BASE = "model_llama";

    /** A seeded all-linear adapter (rsLoRA, r 4, alpha 8) with non-zero B, saved with align4j's logits. */
    static void write(Path dir) throws IOException {
        CausalLM m = HfCheckpoint.load(HfConformanceTest.fixture(BASE));
        m.addAdapters(new LoraConfig(4, 8, 0.05, true, List.of("all-linear"), false), null, 123);
        Nd4j.getRandom().setSeed(123);
        for (Parameter p : m.parameters()) {
            if (p.name().endsWith("lora_B.weight")) {
                p.value().assign(Nd4j.randn(DataType.FLOAT, p.value().shape()).muli(0.2));
            }
        }
        PeftAdapter.save(m, dir, BASE);
        JsonNode base = HfConformanceTest.expected(HfConformanceTest.fixture(BASE));
        int[][] input = HfConformanceTest.ids(base.get("input_ids"));
        Forward f = m.forward(TokenBatch.of(input));
        ObjectMapper om = new ObjectMapper();
        ObjectNode out = om.createObjectNode();
        out.put("base", BASE);
        out.set("input_ids", base.get("input_ids"));
        ArrayNode logits = out.putArray("logits");
        INDArray l = f.logits();
        for (int b = 0; b < input.length; b++) {
            ArrayNode rows = logits.addArray();
            for (int t = 0; t < input[b].length; t++) {
                ArrayNode row = rows.addArray();
                for (double v : l.getRow(f.rowIndex(b, t)).toDoubleVector()) {
                    row.add((float) v);
                }
            }
        }
        AtomicFiles.writeJson(dir.resolve("align4j_logits.json"), out);
    }

    @Test
    void committedAdapterGivesTheCommittedLogitsAndIsReproducible(@TempDir Path tmp) throws Exception {
        String regen = System.getProperty("align4j.regenerateAdapter");
        if (regen != null) {
            write(Paths.get(regen));
        }
        Path committed = PeftAdapterTest.peft("align4j_saved");
        JsonNode exp = new ObjectMapper().readTree(committed.resolve("align4j_logits.json").toFile());
        CausalLM m = HfCheckpoint.load(HfConformanceTest.fixture(BASE));
        PeftAdapter.load(m, committed);
        int[][] input = HfConformanceTest.ids(exp.get("input_ids"));
        double err = PeftAdapterTest.maxLogitError(m.forward(TokenBatch.of(input)), exp.get("logits"), input);
        assertTrue(err < 1e-5, "max |logit - committed| = " + err);
        write(tmp);
        Map<String, INDArray> fresh = org.align4j.policy.io.SafeTensors.read(tmp.resolve(PeftAdapter.WEIGHTS_FILE));
        Map<String, INDArray> saved = org.align4j.policy.io.SafeTensors.read(committed.resolve(PeftAdapter.WEIGHTS_FILE));
        assertEquals(saved.keySet(), fresh.keySet());
        for (String k : saved.keySet()) {
            assertEquals(0.0, saved.get(k).sub(fresh.get(k)).amaxNumber().doubleValue(), 1e-7, k);
        }
    }
}
