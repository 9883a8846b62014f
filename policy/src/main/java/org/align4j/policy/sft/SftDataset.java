package org.align4j.policy.sft;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.align4j.policy.io.JsonlReader;
import org.align4j.policy.text.ConversationalRow;
import org.align4j.policy.text.HfChatTemplate;
import org.align4j.policy.text.RenderedConversation;
import org.align4j.policy.tokenizer.StreamingDecoder;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.policy.util.BadInputException;

/**
 * Reads SFT rows from JSONL and tokenizes them: {"prompt", "completion"} (the prompt, then the completion
 * and EOS; loss on the completion only unless completion_only_loss is false), {"text"} (loss on every
 * token), or pre-tokenized {"prompt_ids", "completion_ids"} / {"input_ids"}. Conversational rows go through
 * the tokenizer's chat template ({@link ConversationalRow}): {"messages": [...]} (loss on every token, or on
 * the assistant turns only with assistant_only_loss) and {"prompt": [...], "completion": [...]} (loss on the
 * completion, as for text); each may carry "tools" and "chat_template_kwargs".
 */
public final class SftDataset {
    private SftDataset() {
    }

    public static List<SftExample> read(Path file, Tokenizer tokenizer, int maxLength, boolean completionOnlyLoss,
                                        int limit) {
        return read(file, tokenizer, maxLength, completionOnlyLoss, false, limit);
    }

    /** @param assistantOnlyLoss for {"messages"} rows: loss on the assistant turns only (TRL's assistant_only_loss) */
    public static List<SftExample> read(Path file, Tokenizer tokenizer, int maxLength, boolean completionOnlyLoss,
                                        boolean assistantOnlyLoss, int limit) {
        List<SftExample> out = new ArrayList<>();
        try (JsonlReader<Map<String, Object>> r = JsonlReader.open(file)) {
            while (r.hasNext() && (limit <= 0 || out.size() < limit)) {
                Map<String, Object> row = r.next();
                String where = file + ":" + r.lineNumber();
                SftExample ex = toExample(row, tokenizer, maxLength, completionOnlyLoss, assistantOnlyLoss, where);
                if (ex != null) {
                    out.add(ex);
                }
            }
        }
        if (out.isEmpty()) {
            throw new BadInputException(file + ": no usable rows");
        }
        return out;
    }

    static SftExample toExample(Map<String, Object> row, Tokenizer tok, int maxLength, boolean completionOnly,
                                String where) {
        return toExample(row, tok, maxLength, completionOnly, false, where);
    }

    static SftExample toExample(Map<String, Object> row, Tokenizer tok, int maxLength, boolean completionOnly,
                                boolean assistantOnly, String where) {
        int[] prompt;
        int[] completion;
        if (row.containsKey("messages")) {
            return conversation(row, tokenizer(tok, where), maxLength, assistantOnly, where);
        } else if (assistantOnly) {
            throw new BadInputException(where + ": assistant_only_loss needs conversational rows {\"messages\": [...]}");
        } else if (ConversationalRow.isConversational(row, "prompt")) {
            Tokenizer t = tokenizer(tok, where);
            HfChatTemplate template = ConversationalRow.template(t, where);
            String promptText = ConversationalRow.promptText(template, row, "prompt", where);
            String completionText = ConversationalRow.completionText(template, row, "prompt", promptText, "completion", where);
            // As TRL: the prompt's ids, and the whole conversation's ids; the loss starts after the prompt's.
            prompt = t.encode(promptText, false);
            int[] all = truncate(t.encode(promptText + completionText, false), maxLength, where);
            if (prompt.length >= all.length) {
                return null;
            }
            return completionOnly ? SftExample.completionOnly(all, prompt.length) : SftExample.allTokens(all);
        } else if (row.containsKey("input_ids")) {
            return SftExample.allTokens(truncate(ids(row, "input_ids", where), maxLength, where));
        } else if (row.containsKey("prompt_ids")) {
            prompt = ids(row, "prompt_ids", where);
            completion = ids(row, "completion_ids", where);
        } else if (row.containsKey("text")) {
            int[] ids = withEos(tokenizer(tok, where).encode(string(row, "text", where), true), tok);
            return SftExample.allTokens(truncate(ids, maxLength, where));
        } else if (row.containsKey("prompt")) {
            Tokenizer t = tokenizer(tok, where);
            prompt = t.encode(string(row, "prompt", where), true);
            completion = withEos(t.encode(string(row, "completion", where), false), t);
        } else {
            throw new BadInputException(where + ": a row needs 'messages', 'prompt' and 'completion', 'text', "
                    + "'prompt_ids' and 'completion_ids', or 'input_ids'");
        }
        int[] ids = truncate(concat(prompt, completion), maxLength, where);
        if (prompt.length >= ids.length) {
            return null; // the prompt alone fills max_length: nothing to learn from this row
        }
        return completionOnly ? SftExample.completionOnly(ids, prompt.length) : SftExample.allTokens(ids);
    }

    /** A {"messages"} row: the rendered conversation; with assistantOnly, loss on the assistant turns' tokens. */
    private static SftExample conversation(Map<String, Object> row, Tokenizer tok, int maxLength, boolean assistantOnly,
                                           String where) {
        HfChatTemplate template = ConversationalRow.template(tok, where);
        List<Map<String, Object>> messages = ConversationalRow.messages(row, "messages", where);
        List<Object> tools = ConversationalRow.tools(row, where);
        Map<String, Object> kwargs = ConversationalRow.kwargs(row, where);
        if (!assistantOnly) {
            return SftExample.allTokens(truncate(tok.encode(template.render(messages, tools, false, kwargs), false),
                    maxLength, where));
        }
        RenderedConversation rendered = RenderedConversation.render(template, messages, tools, kwargs, where);
        int[] ids = tok.encode(rendered.text(), false);
        List<String> pieces = new ArrayList<>(ids.length);
        StreamingDecoder decoder = tok.streamingDecoder(false);
        for (int id : ids) {
            pieces.add(decoder.next(id));
        }
        boolean[] inside = rendered.tokensInSpans(pieces);
        if (inside == null) {
            throw new BadInputException(where + ": the tokens of the rendered conversation do not decode to its text, "
                    + "so the assistant turns cannot be found in them");
        }
        int n = Math.min(ids.length, maxLength);
        int[] kept = truncate(Arrays.copyOf(ids, n), maxLength, where);
        boolean[] loss = new boolean[n - 1];
        boolean any = false;
        for (int t = 0; t < n - 1; t++) {
            loss[t] = inside[t + 1];
            any |= loss[t];
        }
        return any ? new SftExample(kept, loss) : null;
    }

    private static Tokenizer tokenizer(Tokenizer tok, String where) {
        if (tok == null) {
            throw new BadInputException(where + ": text rows need a tokenizer (set tokenizer)");
        }
        return tok;
    }

    private static int[] withEos(int[] ids, Tokenizer tok) {
        Integer eos = tok == null ? null : tok.eosId();
        if (eos == null) {
            return ids;
        }
        int[] out = Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = eos;
        return out;
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static int[] truncate(int[] ids, int maxLength, String where) {
        if (ids.length < 2) {
            throw new BadInputException(where + ": a row needs at least 2 tokens, got " + ids.length);
        }
        return ids.length > maxLength ? Arrays.copyOf(ids, maxLength) : ids;
    }

    private static String string(Map<String, Object> row, String key, String where) {
        Object v = row.get(key);
        if (!(v instanceof String)) {
            throw new BadInputException(where + ": key '" + key + "' must be a string");
        }
        return (String) v;
    }

    private static int[] ids(Map<String, Object> row, String key, String where) {
        Object v = row.get(key);
        if (!(v instanceof List<?>)) {
            throw new BadInputException(where + ": key '" + key + "' must be an array of token ids");
        }
        List<?> l = (List<?>) v;
        int[] out = new int[l.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(l.get(i) instanceof Integer)) {
                throw new BadInputException(where + ": " + key + "[" + i + "] is not an integer");
            }
            out[i] = (Integer) l.get(i);
        }
        return out;
    }
}
