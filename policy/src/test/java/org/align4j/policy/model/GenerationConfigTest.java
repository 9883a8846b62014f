package org.align4j.policy.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

/** A saved model carries generation_config.json with bos/eos/pad, as transformers' save_pretrained writes it. */
class GenerationConfigTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path resource(String path) throws Exception {
        return Paths.get(GenerationConfigTest.class.getResource(path).toURI());
    }

    @Test
    void idsComeFromTheModelConfigAsTransformersWritesThem(@TempDir Path dir) throws Exception {
        Path hf = resource("/hf/model_llama/config.json").getParent();
        ModelConfig c = ModelConfig.read(hf.resolve("config.json"));
        CausalLM m = CausalLM.initialize(c, DataType.FLOAT, 1);
        HfCheckpoint.save(m, dir.resolve("out"), null);
        JsonNode ours = JSON.readTree(dir.resolve("out/generation_config.json").toFile());
        JsonNode theirs = JSON.readTree(hf.resolve("generation_config.json").toFile()); // transformers 5.17
        for (String key : new String[] {"_from_model_config", "bos_token_id", "eos_token_id"}) {
            assertEquals(theirs.get(key), ours.get(key), key);
        }
        assertFalse(ours.has("pad_token_id"), "no pad id known without a tokenizer");
    }

    @Test
    void padAndMissingIdsComeFromTheTokenizer(@TempDir Path dir) throws Exception {
        Path tok = resource("/tiny_tokenizer/tokenizer.json").getParent(); // <pad>=0 <s>=1 </s>=2
        ModelConfig c = ModelConfig.llama(266, 16, 32, 1, 2, 1, 32, null, new int[0]);
        HfCheckpoint.save(CausalLM.initialize(c, DataType.FLOAT, 1), dir.resolve("out"), tok);
        JsonNode g = JSON.readTree(dir.resolve("out/generation_config.json").toFile());
        assertEquals(1, g.get("bos_token_id").asInt());
        assertEquals(2, g.get("eos_token_id").asInt());
        assertEquals(0, g.get("pad_token_id").asInt());
        assertTrue(g.get("_from_model_config").asBoolean());

        // several eos ids are written as a list; a copied file keeps its settings and gains the ids it lacks
        Path src = Files.createDirectories(dir.resolve("src"));
        for (String f : new String[] {"tokenizer.json", "tokenizer_config.json"}) {
            Files.copy(tok.resolve(f), src.resolve(f));
        }
        Files.writeString(src.resolve("generation_config.json"), "{\"temperature\": 0.6, \"eos_token_id\": null}");
        ModelConfig two = ModelConfig.llama(266, 16, 32, 1, 2, 1, 32, 1, new int[] {2, 5});
        HfCheckpoint.save(CausalLM.initialize(two, DataType.FLOAT, 1), dir.resolve("out2"), src);
        JsonNode g2 = JSON.readTree(dir.resolve("out2/generation_config.json").toFile());
        assertEquals(0.6, g2.get("temperature").asDouble());
        assertEquals("[2,5]", g2.get("eos_token_id").toString());
        assertEquals(0, g2.get("pad_token_id").asInt());
        assertEquals(1, g2.get("bos_token_id").asInt());
    }
}
