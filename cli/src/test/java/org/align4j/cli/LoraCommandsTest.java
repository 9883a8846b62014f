package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.model.LoraConfig;
import org.align4j.policy.model.ModelConfig;
import org.align4j.policy.model.Parameter;
import org.align4j.policy.model.PeftAdapter;
import org.align4j.policy.model.TokenBatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** score --adapter, and merge-adapter, whose merged checkpoint scores as the adapted model does. */
class LoraCommandsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void scoreWithAdapterEqualsScoreOfTheMergedCheckpoint(@TempDir Path dir) throws Exception {
        CausalLM m = CausalLM.initialize(ModelConfig.llama(40, 16, 32, 2, 2, 1, 32, null, new int[0]),
                DataType.FLOAT, 5);
        HfCheckpoint.save(m, dir.resolve("base"), null);
        m.addAdapters(new LoraConfig(2, 4, 0, false, List.of("all-linear"), false), null, 1);
        Nd4j.getRandom().setSeed(3);
        for (Parameter p : m.parameters()) {
            p.value().assign(Nd4j.randn(DataType.FLOAT, p.value().shape()).muli(0.5));
        }
        PeftAdapter.save(m, dir.resolve("adapter"), null);
        double want = m.forward(TokenBatch.of(new int[] {1, 5, 9, 3})).tokenLogProbs()[0][2];
        Path in = dir.resolve("in.json");
        Files.writeString(in, "{\"input_ids\": [[1, 5, 9, 3]]}");

        CliRun adapted = CliRun.of("score", "--model", dir.resolve("base").toString(), "--adapter",
                dir.resolve("adapter").toString(), "--input", in.toString());
        assertEquals(0, adapted.exit(), adapted.err());
        assertEquals(want, JSON.readTree(adapted.out()).get("token_logprobs").get(0).get(2).asDouble(), 1e-6);

        CliRun merge = CliRun.of("merge-adapter", "--model", dir.resolve("base").toString(), "--adapter",
                dir.resolve("adapter").toString(), "--out", dir.resolve("merged").toString());
        assertEquals(0, merge.exit(), merge.err());
        CliRun merged = CliRun.of("score", "--model", dir.resolve("merged").toString(), "--input", in.toString());
        JsonNode n = JSON.readTree(merged.out());
        assertEquals(want, n.get("token_logprobs").get(0).get(2).asDouble(), 1e-5);

        CliRun again = CliRun.of("merge-adapter", "--model", dir.resolve("base").toString(), "--adapter",
                dir.resolve("adapter").toString(), "--out", dir.resolve("merged").toString());
        assertEquals(2, again.exit());
        assertTrue(again.err().contains("is not empty"), again.err());
        CliRun noAdapter = CliRun.of("score", "--model", dir.resolve("base").toString(), "--adapter",
                dir.resolve("base").toString(), "--input", in.toString());
        assertEquals(2, noAdapter.exit());
        assertTrue(noAdapter.err().contains("adapter_config.json") && noAdapter.err().lines().count() == 1,
                noAdapter.err());
    }
}
