package org.align4j.reward.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

class RewardModelIoTest {

    @Test
    void saveAndLoadGiveTheSameScores(@TempDir Path dir) throws Exception {
        RewardModel m = RewardModel.create(TestRewardModels.tinyTrunk(DataType.FLOAT, 1), RewardModelKind.PRM, 2);
        m.head().parameters().get(1).value().putScalar(0, 0.25);
        Path out = dir.resolve("rm");
        m.save(out, TestRewardModels.tokenizerDir());
        m.save(out, TestRewardModels.tokenizerDir()); // replacing a saved model works too
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", RewardModel.HEAD_FILE,
                RewardModel.META_FILE)) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        assertTrue(Files.readString(out.resolve(RewardModel.META_FILE)).contains("\"prm\""));
        try (var siblings = Files.list(dir)) {
            assertEquals(List.of(out), siblings.toList(), "no temporary directories are left behind");
        }
        RewardModel back = RewardModel.load(out);
        assertEquals(RewardModelKind.PRM, back.kind());
        List<int[]> seqs = List.of(new int[] {1, 2, 3, 4}, new int[] {5, 6});
        int[][] pos = {{1, 3}, {1}};
        double[][] a = m.score(seqs, pos);
        double[][] b = back.score(seqs, pos);
        for (int i = 0; i < a.length; i++) {
            assertArrayEquals(a[i], b[i], 1e-6);
        }
    }

    @Test
    void aLanguageModelDirectoryIsNotARewardModel(@TempDir Path dir) {
        HfCheckpoint.save(TestRewardModels.tinyTrunk(DataType.FLOAT, 1), dir.resolve("lm"), null);
        BadInputException e = assertThrows(BadInputException.class, () -> RewardModel.load(dir.resolve("lm")));
        assertTrue(e.getMessage().contains(RewardModel.META_FILE), e.getMessage());
    }

    @Test
    void encoderFindsStepEndsAndKeepsTheEndOfLongSequences() {
        RewardEncoder enc = new RewardEncoder(TestRewardModels.tokenizer(), 64);
        RewardEncoder.Encoded e = enc.encode("1+2=", "12\n\n3\n#### 3");
        // prompt: 4 tokens; completion tokens: 1 2 \n \n 3 \n # # # # ' ' 3
        assertEquals(4, e.promptLength());
        assertArrayEquals(new int[] {1, 4, 11}, e.stepCompletionTokens());
        assertArrayEquals(new int[] {5, 8, 15}, e.stepPositions());
        assertEquals(15, e.lastPosition());
        RewardEncoder.Encoded cut = new RewardEncoder(TestRewardModels.tokenizer(), 10).encode("1+2=", "12\n\n3\n#### 3");
        assertTrue(cut.truncated());
        assertEquals(10, cut.ids().length);
        assertArrayEquals(new int[] {0, 2, 9}, cut.stepPositions());
    }
}
