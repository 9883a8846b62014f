package org.align4j.grpo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.align4j.policy.io.JsonlReader;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.policy.util.BadInputException;
import org.align4j.rollout.Prompt;

/**
 * A training prompt and the dataset row it came from (the reference answer, tests, ... that rewards
 * read). Prompts longer than max_prompt_length keep their last tokens, as TRL truncates them (left).
 */
public record PromptRow(Prompt prompt, Map<String, Object> row) {

    public static List<PromptRow> read(Path file, Tokenizer tokenizer, int maxPromptLength, int limit) {
        if (tokenizer == null) {
            throw new BadInputException("GRPO needs a tokenizer: put tokenizer.json in the model directory");
        }
        List<PromptRow> out = new ArrayList<>();
        try (JsonlReader<Map<String, Object>> r = JsonlReader.open(file, "prompt")) {
            while (r.hasNext() && (limit <= 0 || out.size() < limit)) {
                Map<String, Object> row = r.next();
                Object p = row.get("prompt");
                if (!(p instanceof String) || ((String) p).isEmpty()) {
                    throw new BadInputException(file + ":" + r.lineNumber() + ": 'prompt' must be a non-empty string");
                }
                int[] ids = tokenizer.encode((String) p, true);
                if (ids.length > maxPromptLength) {
                    ids = Arrays.copyOfRange(ids, ids.length - maxPromptLength, ids.length);
                }
                Object id = row.getOrDefault("id", file.getFileName() + ":" + r.lineNumber());
                out.add(new PromptRow(new Prompt(String.valueOf(id), ids, (String) p), row));
            }
        }
        if (out.isEmpty()) {
            throw new BadInputException(file + ": no prompts");
        }
        return out;
    }
}
