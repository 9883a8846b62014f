package org.align4j.policy.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Our ids equal Hugging Face tokenizers' ids (fixtures written by tokenizers 0.23.2) on every fixture
 * string, for DeepSeek-V3's and Qwen3's tokenizer.json.
 */
class HuggingFaceConformanceTest {

    @ParameterizedTest
    @ValueSource(strings = {"deepseek_v3", "qwen3"})
    void idsEqualHuggingFacesOnEveryFixtureString(String name) throws IOException {
        Tokenizer tokenizer = TestTokenizers.get(name);
        JsonNode cases;
        try (InputStream in = TestTokenizers.resource("/tokenizers/" + name + "/expected_ids.json")) {
            cases = new ObjectMapper().readTree(in);
        }
        assertTrue(cases.size() >= 100, "fixture has its cases");
        List<String> mismatches = new ArrayList<>();
        for (JsonNode c : cases) {
            String text = c.get("text").asText();
            int[] expected = new int[c.get("ids").size()];
            for (int i = 0; i < expected.length; i++) {
                expected[i] = c.get("ids").get(i).asInt();
            }
            int[] actual = tokenizer.encode(text, false);
            if (!Arrays.equals(expected, actual)) {
                mismatches.add(new ObjectMapper().valueToTree(text) + "\n  expected " + Arrays.toString(expected)
                        + "\n  actual   " + Arrays.toString(actual));
            }
        }
        assertEquals(List.of(), mismatches, mismatches.size() + " of " + cases.size() + " strings differ");
    }
}
