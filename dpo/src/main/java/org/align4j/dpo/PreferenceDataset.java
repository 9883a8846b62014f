package org.align4j.dpo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.align4j.policy.io.JsonlReader;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.policy.util.BadInputException;

/**
 * Preference pairs read from JSONL and fitted to the length limits. A row is either text,
 * {"prompt", "chosen", "rejected"} (the prompt encoded with the tokenizer's special tokens, e.g. BOS; each
 * completion encoded without them and ended with EOS, as TRL does), or pre-tokenized,
 * {"prompt_ids", "chosen_ids", "rejected_ids"}, used as given. Pairs longer than max_length are truncated
 * ({@link PairTruncation}) and counted. Errors name the file and line.
 */
public final class PreferenceDataset {
    private final Path file;
    private final List<PreferencePair> pairs;
    private final int truncated;

    private PreferenceDataset(Path file, List<PreferencePair> pairs, int truncated) {
        this.file = file;
        this.pairs = List.copyOf(pairs);
        this.truncated = truncated;
    }

    /**
     * @param tokenizer  for text rows; may be null when every row is pre-tokenized
     * @param vocabSize  the model's vocabulary: token ids must lie below it
     */
    public static PreferenceDataset read(Path file, Tokenizer tokenizer, PairTruncation truncation, int vocabSize) {
        List<PreferencePair> out = new ArrayList<>();
        int truncated = 0;
        try (JsonlReader<Map<String, Object>> r = JsonlReader.open(file)) {
            while (r.hasNext()) {
                Map<String, Object> row = r.next();
                String where = file + ":" + r.lineNumber();
                PreferencePair p = toPair(row, tokenizer, vocabSize, where);
                PreferencePair fitted = truncation.apply(p);
                if (fitted != p) {
                    truncated++;
                }
                out.add(fitted);
            }
        }
        if (out.isEmpty()) {
            throw new BadInputException(file + ": no preference pairs");
        }
        return new PreferenceDataset(file, out, truncated);
    }

    public Path file() {
        return file;
    }

    public List<PreferencePair> pairs() {
        return pairs;
    }

    public int size() {
        return pairs.size();
    }

    /** Pairs that were longer than max_length and were cut. */
    public int truncated() {
        return truncated;
    }

    /** The longest prompt + completion after truncation. */
    public int longestLength() {
        int m = 0;
        for (PreferencePair p : pairs) {
            m = Math.max(m, p.longestLength());
        }
        return m;
    }

    static PreferencePair toPair(Map<String, Object> row, Tokenizer tok, int vocabSize, String where) {
        int[] prompt;
        int[] chosen;
        int[] rejected;
        if (row.containsKey("prompt_ids")) {
            prompt = ids(row, "prompt_ids", vocabSize, where);
            chosen = ids(row, "chosen_ids", vocabSize, where);
            rejected = ids(row, "rejected_ids", vocabSize, where);
        } else if (row.containsKey("prompt")) {
            if (row.get("prompt") instanceof List<?>) {
                // conversational rows go through the tokenizer's chat template, which policy does not have yet
                throw new BadInputException(where + ": chat-message rows (a list of {role, content}) are not "
                        + "supported yet: give the prompt and completions as text, or as prompt_ids/chosen_ids/"
                        + "rejected_ids");
            }
            if (tok == null) {
                throw new BadInputException(where + ": text rows need a tokenizer (tokenizer.json in "
                        + "model_name_or_path); or give prompt_ids, chosen_ids and rejected_ids");
            }
            prompt = tok.encode(string(row, "prompt", where), true);
            chosen = withEos(tok.encode(string(row, "chosen", where), false), tok);
            rejected = withEos(tok.encode(string(row, "rejected", where), false), tok);
            checkVocabulary(prompt, "prompt", vocabSize, where);
            checkVocabulary(chosen, "chosen", vocabSize, where);
            checkVocabulary(rejected, "rejected", vocabSize, where);
        } else {
            throw new BadInputException(where + ": a row needs 'prompt', 'chosen' and 'rejected', or 'prompt_ids', "
                    + "'chosen_ids' and 'rejected_ids'");
        }
        try {
            return new PreferencePair(prompt, chosen, rejected, where);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage(), e);
        }
    }

    private static int[] withEos(int[] ids, Tokenizer tok) {
        Integer eos = tok.eosId();
        if (eos == null || (ids.length > 0 && ids[ids.length - 1] == eos)) {
            return ids;
        }
        int[] out = Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = eos;
        return out;
    }

    private static String string(Map<String, Object> row, String key, String where) {
        Object v = row.get(key);
        if (!(v instanceof String)) {
            throw new BadInputException(where + ": key '" + key + "' must be a string"
                    + (v == null ? " (missing)" : ""));
        }
        return (String) v;
    }

    private static int[] ids(Map<String, Object> row, String key, int vocabSize, String where) {
        Object v = row.get(key);
        if (!(v instanceof List<?> l)) {
            throw new BadInputException(where + ": key '" + key + "' must be an array of token ids"
                    + (v == null ? " (missing)" : ""));
        }
        int[] out = new int[l.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(l.get(i) instanceof Integer)) {
                throw new BadInputException(where + ": " + key + "[" + i + "] is not an integer");
            }
            out[i] = (Integer) l.get(i);
        }
        checkVocabulary(out, key, vocabSize, where);
        return out;
    }

    private static void checkVocabulary(int[] ids, String key, int vocabSize, String where) {
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocabSize) {
                throw new BadInputException(where + ": " + key + "[" + i + "] = " + ids[i]
                        + " is outside the model's vocabulary of " + vocabSize);
            }
        }
    }
}
