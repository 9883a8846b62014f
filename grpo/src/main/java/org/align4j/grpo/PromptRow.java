package org.align4j.grpo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.align4j.policy.io.JsonlReader;
import org.align4j.policy.text.ConversationalRow;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.policy.util.BadInputException;
import org.align4j.rollout.Prompt;

/**
 * A training prompt and the dataset row it came from (the reference answer, tests, ... that rewards
 * read). A prompt is text (encoded with the tokenizer's special tokens) or, as in TRL's conversational
 * datasets, a list of messages rendered by the tokenizer's chat template with the generation prompt (the row
 * may carry "tools" and "chat_template_kwargs"; see {@link ConversationalRow}). Prompts longer than max_prompt_length keep their last tokens, as TRL truncates them (left).
 */
public record PromptRow(Prompt prompt, Map<String, Object> row) {

    public static List<PromptRow> read(Path file, Tokenizer tokenizer, int maxPromptLength, int limit) {
        return read(file, tokenizer, maxPromptLength, limit, null);
    }

    /** @param tools the tools' schemas for conversational rows without their own "tools"; null for none */
    public static List<PromptRow> read(Path file, Tokenizer tokenizer, int maxPromptLength, int limit, List<Object> tools) {
        if (tokenizer == null) {
            throw new BadInputException("GRPO needs a tokenizer: put tokenizer.json in the model directory");
        }
        List<PromptRow> out = new ArrayList<>();
        try (JsonlReader<Map<String, Object>> r = JsonlReader.open(file, "prompt")) {
            while (r.hasNext() && (limit <= 0 || out.size() < limit)) {
                Map<String, Object> row = r.next();
                Object p = row.get("prompt");
                String where = file + ":" + r.lineNumber();
                String text;
                int[] ids;
                if (ConversationalRow.isConversational(row, "prompt")) {
                    // Conversational: the chat template's rendering, which carries its own special tokens.
                    text = ConversationalRow.promptText(ConversationalRow.template(tokenizer, where), row, "prompt", where, tools);
                    ids = tokenizer.encode(text, false);
                } else {
                    if (!(p instanceof String) || ((String) p).isEmpty()) {
                        throw new BadInputException(where + ": 'prompt' must be a non-empty string or a list of messages");
                    }
                    text = (String) p;
                    ids = tokenizer.encode(text, true);
                }
                if (ids.length > maxPromptLength) {
                    ids = Arrays.copyOfRange(ids, ids.length - maxPromptLength, ids.length);
                }
                Object id = row.getOrDefault("id", file.getFileName() + ":" + r.lineNumber());
                out.add(new PromptRow(new Prompt(String.valueOf(id), ids, text, row), row));
            }
        }
        if (out.isEmpty()) {
            throw new BadInputException(file + ": no prompts");
        }
        return out;
    }
}
