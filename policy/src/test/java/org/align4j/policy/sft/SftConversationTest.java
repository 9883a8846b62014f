package org.align4j.policy.sft;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.align4j.policy.tokenizer.TestTokenizers;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Conversational SFT rows through the real Qwen3 / DeepSeek-V3 chat templates. */
class SftConversationTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void assistantOnlyLossCoversExactlyTheAssistantTurns() throws Exception {
        Tokenizer qwen = TestTokenizers.get("qwen3");
        Map<String, Object> row = row("{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"},"
                + "{\"role\": \"user\", \"content\": \"2+2?\"}, {\"role\": \"assistant\", \"content\": \"4\"},"
                + "{\"role\": \"user\", \"content\": \"and 3+3?\"}, {\"role\": \"assistant\", \"content\": \"6\"}]}");
        SftExample ex = SftDataset.toExample(row, qwen, 512, true, true, "t");
        // Qwen3 writes an empty think block into the last assistant turn (after the last user query).
        assertEquals(List.of("4<|im_end|>", "<think>\n\n</think>\n\n6<|im_end|>"), lossSegments(ex, qwen));
        // The ids are those of the whole rendered conversation, as transformers tokenizes it.
        String rendered = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n2+2?<|im_end|>\n"
                + "<|im_start|>assistant\n4<|im_end|>\n<|im_start|>user\nand 3+3?<|im_end|>\n"
                + "<|im_start|>assistant\n<think>\n\n</think>\n\n6<|im_end|>\n";
        assertArrayEquals(qwen.encode(rendered, false), ex.ids());

        SftExample all = SftDataset.toExample(row, qwen, 512, true, false, "t");
        assertEquals(all.ids().length - 1, all.lossTokens(), "without assistant_only_loss every token counts");
    }

    @Test
    void toolCallsAreTrainedOnAndToolResultsAreNot() throws Exception {
        Tokenizer qwen = TestTokenizers.get("qwen3");
        Map<String, Object> row = row("{\"messages\": [{\"role\": \"user\", \"content\": \"7*6?\"},"
                + "{\"role\": \"assistant\", \"content\": \"\", \"tool_calls\": [{\"type\": \"function\", \"function\":"
                + " {\"name\": \"python\", \"arguments\": {\"code\": \"print(7*6)\"}}}]},"
                + "{\"role\": \"tool\", \"content\": \"42\"}, {\"role\": \"assistant\", \"content\": \"42\"}],"
                + " \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"python\", \"parameters\": {}}}]}");
        SftExample ex = SftDataset.toExample(row, qwen, 512, true, true, "t");
        assertEquals(List.of("<tool_call>\n{\"name\": \"python\", \"arguments\": {\"code\": \"print(7*6)\"}}\n</tool_call><|im_end|>",
                "<think>\n\n</think>\n\n42<|im_end|>"), lossSegments(ex, qwen));
    }

    @Test
    void deepSeekTurnsEndWithEndOfSentence() throws Exception {
        Tokenizer ds = TestTokenizers.get("deepseek_v3");
        Map<String, Object> row = row("{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"},"
                + "{\"role\": \"assistant\", \"content\": \"Hello!\"}, {\"role\": \"user\", \"content\": \"Bye\"},"
                + "{\"role\": \"assistant\", \"content\": \"Bye!\"}]}");
        SftExample ex = SftDataset.toExample(row, ds, 512, true, true, "t");
        assertEquals(List.of("Hello!<｜end▁of▁sentence｜>", "Bye!<｜end▁of▁sentence｜>"), lossSegments(ex, ds));
    }

    @Test
    void conversationalPromptCompletionTrainsOnTheCompletion() throws Exception {
        Tokenizer qwen = TestTokenizers.get("qwen3");
        Map<String, Object> row = row("{\"prompt\": [{\"role\": \"user\", \"content\": \"2+2?\"}],"
                + " \"completion\": [{\"role\": \"assistant\", \"content\": \"4\"}],"
                + " \"chat_template_kwargs\": {\"enable_thinking\": false}}");
        SftExample ex = SftDataset.toExample(row, qwen, 512, true, false, "t");
        // enable_thinking=false puts the empty think block into the prompt.
        assertEquals(List.of("4<|im_end|>\n"), lossSegments(ex, qwen));
    }

    @Test
    void badConversationsAreOneLineErrors() throws Exception {
        Tokenizer qwen = TestTokenizers.get("qwen3");
        BadInputException e = assertThrows(BadInputException.class, () -> SftDataset.toExample(
                row("{\"messages\": [{\"content\": \"x\"}]}"), qwen, 512, true, true, "data.jsonl:3"));
        assertEquals("data.jsonl:3: messages[0] must be an object with a string \"role\"", e.getMessage());
        BadInputException text = assertThrows(BadInputException.class, () -> SftDataset.toExample(
                row("{\"text\": \"x y\"}"), qwen, 512, true, true, "data.jsonl:4"));
        assertTrue(text.getMessage().startsWith("data.jsonl:4: assistant_only_loss needs"), text.getMessage());
    }

    /** The decoded runs of consecutive loss targets. */
    private static List<String> lossSegments(SftExample ex, Tokenizer tok) {
        List<String> out = new ArrayList<>();
        List<Integer> run = new ArrayList<>();
        boolean[] loss = ex.lossOnTarget();
        for (int t = 0; t <= loss.length; t++) {
            if (t < loss.length && loss[t]) {
                run.add(ex.ids()[t + 1]);
            } else if (!run.isEmpty()) {
                out.add(tok.decode(run.stream().mapToInt(Integer::intValue).toArray(), false));
                run.clear();
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> row(String json) throws Exception {
        return JSON.readValue(json, Map.class);
    }

}
