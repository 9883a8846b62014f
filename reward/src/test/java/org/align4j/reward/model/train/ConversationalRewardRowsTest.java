package org.align4j.reward.model.train;

import org.align4j.policy.testing.TestFixtures;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.reward.model.RewardEncoder;
import org.align4j.reward.model.RewardModelKind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Reward-model rows in TRL's conversational format, rendered by the tokenizer's chat template. */
class ConversationalRewardRowsTest {

    /** Over the arith tokenizer's characters: a user turn is "3+4=", an assistant turn its content and "#". */
    private static final String TEMPLATE = "{% for m in messages %}{{ m.content }}{% if m.role == 'user' %}={% else %}#{% endif %}"
            + "{% endfor %}";

    @TempDir
    Path dir;

    @Test
    void preferenceAndOutcomeRowsGoThroughTheTemplate() throws Exception {
        Tokenizer tok = tokenizer();
        RewardEncoder encoder = new RewardEncoder(tok, 64);
        ObjectMapper json = new ObjectMapper();
        @SuppressWarnings("unchecked")
        Map<String, Object> pref = json.readValue("{\"prompt\": [{\"role\": \"user\", \"content\": \"3+4\"}],"
                + " \"chosen\": [{\"role\": \"assistant\", \"content\": \"7\"}], \"rejected\": \"8\"}", Map.class);
        RewardDataset.Loaded loaded = RewardDataset.encode(List.of(pref), List.of("rows.jsonl:1"), encoder, RewardModelKind.ORM);
        RewardExample.Preference p = (RewardExample.Preference) loaded.examples().get(0);
        assertArrayEquals(tok.encode("3+4=7#", false), p.chosen().ids());
        assertArrayEquals(tok.encode("3+4=8#", false), p.rejected().ids());
        assertEquals(tok.encode("3+4=", false).length, p.chosen().promptLength());
    }

    private Tokenizer tokenizer() throws Exception {
        Path arith = TestFixtures.arithTokenizer();
        Path out = dir.resolve("tok");
        Files.createDirectories(out);
        Files.copy(arith.resolve("tokenizer.json"), out.resolve("tokenizer.json"));
        Files.writeString(out.resolve("tokenizer_config.json"), new ObjectMapper().writeValueAsString(
                Map.of("eos_token", "</s>", "chat_template", TEMPLATE)));
        return Tokenizer.load(out);
    }
}
