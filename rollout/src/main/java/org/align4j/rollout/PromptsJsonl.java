package org.align4j.rollout;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.policy.util.BadInputException;

/**
 * Reads prompts from JSON Lines, one object per line: {@code {"prompt": "text"}} (encoded with the
 * tokenizer, special tokens added) or {@code {"prompt_ids": [1, 2, 3]}}, each optionally with an
 * {@code "id"} (default: the prompt's 0-based row). Blank lines are skipped.
 */
public final class PromptsJsonl {
    private static final ObjectMapper JSON = new ObjectMapper();

    private PromptsJsonl() {
    }

    /** @param tokenizer encodes text prompts; null when every row has prompt_ids */
    public static List<Prompt> read(Path file, Tokenizer tokenizer) {
        List<Prompt> prompts = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int lineNo = 0;
            while ((line = in.readLine()) != null) {
                lineNo++;
                if (!line.isBlank()) {
                    prompts.add(parse(line, file + ":" + lineNo, prompts.size(), tokenizer));
                }
            }
        } catch (java.nio.file.NoSuchFileException e) {
            throw new BadInputException(file + ": no such file");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (prompts.isEmpty()) {
            throw new BadInputException(file + ": no prompts");
        }
        return prompts;
    }

    private static Prompt parse(String line, String where, int row, Tokenizer tokenizer) {
        JsonNode n;
        try {
            n = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new BadInputException(where + ": not valid JSON: " + e.getOriginalMessage());
        }
        if (!n.isObject()) {
            throw new BadInputException(where + ": expected a JSON object");
        }
        JsonNode idNode = n.get("id");
        if (idNode != null && !idNode.isTextual() && !idNode.isIntegralNumber()) {
            throw new BadInputException(where + ": key 'id' must be a string or an integer");
        }
        String id = idNode == null ? String.valueOf(row) : idNode.asText();
        JsonNode text = n.get("prompt");
        JsonNode ids = n.get("prompt_ids");
        if ((text == null) == (ids == null)) {
            throw new BadInputException(where + ": expected exactly one of the keys 'prompt' and 'prompt_ids'");
        }
        if (ids != null) {
            if (!ids.isArray() || ids.isEmpty()) {
                throw new BadInputException(where + ": key 'prompt_ids' must be a non-empty array of token ids");
            }
            int[] out = new int[ids.size()];
            for (int i = 0; i < out.length; i++) {
                if (!ids.get(i).canConvertToInt() || !ids.get(i).isIntegralNumber() || ids.get(i).asInt() < 0) {
                    throw new BadInputException(where + ": prompt_ids[" + i + "] is not a token id: " + ids.get(i));
                }
                out[i] = ids.get(i).asInt();
            }
            return new Prompt(id, out, null);
        }
        if (!text.isTextual() || text.asText().isEmpty()) {
            throw new BadInputException(where + ": key 'prompt' must be a non-empty string");
        }
        if (tokenizer == null) {
            throw new BadInputException(where + ": a text prompt needs a tokenizer (tokenizer.json in the model"
                    + " directory); give 'prompt_ids' instead");
        }
        int[] encoded = tokenizer.encode(text.asText(), true);
        if (encoded.length == 0) {
            throw new BadInputException(where + ": the prompt encodes to no tokens");
        }
        return new Prompt(id, encoded, text.asText());
    }
}
