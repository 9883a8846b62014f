package org.align4j.dpo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.align4j.policy.io.JsonlReader;
import org.align4j.policy.text.ChatMessage;
import org.align4j.policy.text.ConversationalRow;
import org.align4j.policy.text.HfChatTemplate;
import org.align4j.policy.text.PromptTemplate;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.policy.util.BadInputException;

/**
 * Preference pairs read from JSONL and fitted to the length limits. A row is text,
 * {"prompt", "chosen", "rejected"} (the prompt encoded with the tokenizer's special tokens, e.g. BOS; each
 * completion encoded without them and ended with EOS, as TRL does); conversational, with "prompt" a list of
 * messages rendered by the tokenizer's Jinja chat template (with the assistant's turn opened) and
 * "chosen"/"rejected" an assistant reply (text, or a list of messages continuing the conversation): what
 * rendering prompt + reply adds after the prompt (see {@link ConversationalRow}; rows may carry "tools" and
 * "chat_template_kwargs"; tokenizers without a chat_template fall back to a guessed format); or pre-tokenized, {"prompt_ids", "chosen_ids", "rejected_ids"}, used as given. Pairs longer than max_length are truncated
 * ({@link PairTruncation}) and counted. Errors name the file and line.
 */
public final class PreferenceDataset {
    private static final List<String> ROLES = List.of("system", "user", "assistant");

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

    /** One row as a pair (before truncation); where names the file and line for errors. */
    public static PreferencePair toPair(Map<String, Object> row, Tokenizer tok, int vocabSize, String where) {
        int[] prompt;
        int[] chosen;
        int[] rejected;
        if (row.containsKey("prompt_ids")) {
            prompt = ids(row, "prompt_ids", vocabSize, where);
            chosen = ids(row, "chosen_ids", vocabSize, where);
            rejected = ids(row, "rejected_ids", vocabSize, where);
        } else if (row.containsKey("prompt") && row.get("prompt") instanceof List<?>
                && HfChatTemplate.of(tokenizer(tok, where).config(), "") != null) {
            // The model's own chat template, as TRL renders conversational pairs: the prompt with the
            // generation prompt; chosen/rejected as what prompt + reply adds after it.
            Tokenizer t = tokenizer(tok, where);
            HfChatTemplate template = ConversationalRow.template(t, where);
            String promptText = ConversationalRow.promptText(template, row, "prompt", where);
            prompt = t.encode(promptText, false);
            chosen = t.encode(ConversationalRow.completionText(template, row, "prompt", promptText, "chosen", where), false);
            rejected = t.encode(ConversationalRow.completionText(template, row, "prompt", promptText, "rejected", where), false);
            checkVocabulary(prompt, "prompt", vocabSize, where);
            checkVocabulary(chosen, "chosen", vocabSize, where);
            checkVocabulary(rejected, "rejected", vocabSize, where);
        } else if (row.containsKey("prompt") && row.get("prompt") instanceof List<?>) {
            // A tokenizer without a chat_template: the format guessed from its special tokens (logged).
            Tokenizer t = tokenizer(tok, where);
            PromptTemplate template = PromptTemplate.chat(t);
            List<ChatMessage> messages = messages(row, "prompt", where);
            String promptText = template.render(messages, true);
            prompt = t.encode(promptText, false);
            chosen = t.encode(completionText(row, "chosen", messages, promptText, template, where), false);
            rejected = t.encode(completionText(row, "rejected", messages, promptText, template, where), false);
            checkVocabulary(prompt, "prompt", vocabSize, where);
            checkVocabulary(chosen, "chosen", vocabSize, where);
            checkVocabulary(rejected, "rejected", vocabSize, where);
        } else if (row.containsKey("prompt")) {
            Tokenizer t = tokenizer(tok, where);
            prompt = t.encode(string(row, "prompt", where), true);
            chosen = withEos(t.encode(string(row, "chosen", where), false), t);
            rejected = withEos(t.encode(string(row, "rejected", where), false), t);
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

    private static Tokenizer tokenizer(Tokenizer tok, String where) {
        if (tok == null) {
            throw new BadInputException(where + ": text rows need a tokenizer (tokenizer.json in "
                    + "model_name_or_path); or give prompt_ids, chosen_ids and rejected_ids");
        }
        return tok;
    }

    /**
     * The text of a completion that follows a chat prompt: a string is one assistant reply; a list of messages
     * continues the conversation, and its text is what rendering prompt + messages adds after the rendered
     * prompt (TRL tokenizes the whole conversation and takes what follows the prompt, the same split).
     */
    private static String completionText(Map<String, Object> row, String key, List<ChatMessage> prompt,
                                         String promptText, PromptTemplate template, String where) {
        if (row.get(key) instanceof String text) {
            return template.renderCompletion(text);
        }
        List<ChatMessage> all = new ArrayList<>(prompt);
        all.addAll(messages(row, key, where));
        String full = template.render(all, false);
        if (!full.startsWith(promptText)) {
            throw new BadInputException(where + ": '" + key + "' must start with an assistant turn");
        }
        return full.substring(promptText.length());
    }

    private static List<ChatMessage> messages(Map<String, Object> row, String key, String where) {
        if (!(row.get(key) instanceof List<?> list) || list.isEmpty()) {
            throw new BadInputException(where + ": key '" + key + "' must be text or a non-empty list of messages");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map<?, ?> m) || !(m.get("role") instanceof String role)
                    || !(m.get("content") instanceof String content)) {
                throw new BadInputException(where + ": " + key + "[" + i + "] must be {\"role\": ..., \"content\": ...}"
                        + " with string values");
            }
            if (!ROLES.contains(role)) {
                throw new BadInputException(where + ": " + key + "[" + i + "]: unknown role '" + role
                        + "' (known: system, user, assistant)");
            }
            out.add(new ChatMessage(role, content));
        }
        return out;
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
