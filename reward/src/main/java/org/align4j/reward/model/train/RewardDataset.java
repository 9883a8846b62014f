package org.align4j.reward.model.train;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.align4j.policy.io.JsonlReader;
import org.align4j.policy.text.ConversationalRow;
import org.align4j.policy.text.HfChatTemplate;
import org.align4j.policy.util.BadInputException;
import org.align4j.reward.model.RewardEncoder;
import org.align4j.reward.model.RewardModelKind;

/**
 * Reward-model training rows, read from JSONL (or taken from the replay buffer) and encoded:
 * <pre>
 * {"prompt": ..., "chosen": ..., "rejected": ...}          ORM, pairwise preference (Bradley-Terry)
 * {"prompt": ..., "completion": ..., "label": 0 | 1}        ORM, outcome label (BCE); true/false also work
 * {"prompt": ..., "completion": ..., "step_labels": [1,0]}  PRM, one label per non-blank line (BCE)
 * </pre>
 * Conversational rows, with "prompt" a list of messages and each completion a list of messages (or an
 * assistant reply as a string), are rendered by the tokenizer's chat template ({@link ConversationalRow}).
 * Rows longer than max_length are dropped, as TRL's reward trainers filter them, and counted.
 */
public final class RewardDataset {

    /** Encoded examples, their source rows (for the replay buffer) and the rows dropped as too long. */
    public record Loaded(List<RewardExample> examples, List<Map<String, Object>> rows, int tooLong) {
    }

    private RewardDataset() {
    }

    /** Reads up to limit rows (0: all) of file. */
    public static Loaded read(Path file, RewardEncoder encoder, RewardModelKind kind, int limit) {
        List<Map<String, Object>> rows = new ArrayList<>();
        List<String> where = new ArrayList<>();
        try (JsonlReader<Map<String, Object>> r = JsonlReader.open(file)) {
            while (r.hasNext() && (limit <= 0 || rows.size() < limit)) {
                rows.add(r.next());
                where.add(file + ":" + r.lineNumber());
            }
        }
        if (rows.isEmpty()) {
            throw new BadInputException(file + ": no rows");
        }
        return encode(rows, where, encoder, kind);
    }

    /** Encodes rows; where.get(i) names row i in errors (file:line). */
    public static Loaded encode(List<Map<String, Object>> rows, List<String> where, RewardEncoder encoder,
                                RewardModelKind kind) {
        List<RewardExample> examples = new ArrayList<>();
        List<Map<String, Object>> kept = new ArrayList<>();
        int tooLong = 0;
        for (int i = 0; i < rows.size(); i++) {
            RewardExample e;
            try {
                e = example(rows.get(i), encoder, kind, where.get(i));
            } catch (IllegalArgumentException ex) {
                throw new BadInputException(where.get(i) + ": " + ex.getMessage(), ex);
            }
            if (e == null) {
                tooLong++;
            } else {
                examples.add(e);
                kept.add(rows.get(i));
            }
        }
        return new Loaded(examples, kept, tooLong);
    }

    /** The example of one row, or null when it is longer than the encoder's max length. */
    static RewardExample example(Map<String, Object> row, RewardEncoder encoder, RewardModelKind kind) {
        return example(row, encoder, kind, "row");
    }

    static RewardExample example(Map<String, Object> row, RewardEncoder encoder, RewardModelKind kind, String where) {
        RowText texts = ConversationalRow.isConversational(row, "prompt")
                ? conversational(row, encoder, where) : new RowText(text(row, "prompt", true), key -> text(row, key, false), true);
        String prompt = texts.prompt();
        if (row.containsKey("chosen") || row.containsKey("rejected")) {
            requireKind(kind, RewardModelKind.ORM, "preference rows {prompt, chosen, rejected}");
            RewardEncoder.Encoded c = encoder.encode(prompt, texts.completion().apply("chosen"), texts.promptSpecialTokens());
            RewardEncoder.Encoded r = encoder.encode(prompt, texts.completion().apply("rejected"), texts.promptSpecialTokens());
            return c.truncated() || r.truncated() ? null : new RewardExample.Preference(c, r);
        }
        String completion = texts.completion().apply("completion");
        if (row.containsKey("step_labels")) {
            requireKind(kind, RewardModelKind.PRM, "step-label rows {prompt, completion, step_labels}");
            RewardEncoder.Encoded s = encoder.encode(prompt, completion, texts.promptSpecialTokens());
            int[] labels = stepLabels(row.get("step_labels"));
            if (labels.length != s.steps()) {
                throw new IllegalArgumentException("'step_labels' has " + labels.length + " labels but the completion has "
                        + s.steps() + " steps (non-blank lines)");
            }
            if (labels.length == 0) {
                throw new IllegalArgumentException("the completion has no steps to label");
            }
            return s.truncated() ? null : new RewardExample.Steps(s, labels);
        }
        if (row.containsKey("label")) {
            requireKind(kind, RewardModelKind.ORM, "outcome rows {prompt, completion, label}");
            RewardEncoder.Encoded s = encoder.encode(prompt, completion, texts.promptSpecialTokens());
            return s.truncated() ? null : new RewardExample.Outcome(s, label(row.get("label"), "label"));
        }
        throw new IllegalArgumentException("expected 'chosen' and 'rejected' (preference), 'label' (outcome) or "
                + "'step_labels' (process) in a row with keys " + new java.util.TreeSet<>(row.keySet()));
    }

    /**
     * A row's prompt text and its completions' texts; promptSpecialTokens is false for a rendered chat, which
     * carries its own.
     */
    private record RowText(String prompt, java.util.function.Function<String, String> completion,
                           boolean promptSpecialTokens) {
    }

    /** A conversational row (TRL's format): rendered by the tokenizer's chat template. */
    private static RowText conversational(Map<String, Object> row, RewardEncoder encoder, String where) {
        HfChatTemplate template = ConversationalRow.template(encoder.tokenizer(), where);
        String promptText = ConversationalRow.promptText(template, row, "prompt", where);
        return new RowText(promptText,
                key -> ConversationalRow.completionText(template, row, "prompt", promptText, key, where), false);
    }

    private static void requireKind(RewardModelKind kind, RewardModelKind needed, String what) {
        if (kind != needed) {
            throw new IllegalArgumentException(what + " train an " + needed.key() + " reward model, but kind is "
                    + kind.key());
        }
    }

    private static String text(Map<String, Object> row, String key, boolean optional) {
        Object v = row.get(key);
        if (v == null) {
            if (optional) {
                return "";
            }
            throw new IllegalArgumentException("missing '" + key + "'");
        }
        if (!(v instanceof String s)) {
            throw new IllegalArgumentException("'" + key + "' must be a string");
        }
        return s;
    }

    private static int[] stepLabels(Object v) {
        if (!(v instanceof List<?> list)) {
            throw new IllegalArgumentException("'step_labels' must be a list of 0/1 labels");
        }
        int[] out = new int[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = label(list.get(i), "step_labels[" + i + "]");
        }
        return out;
    }

    private static int label(Object v, String key) {
        if (v instanceof Boolean b) {
            return b ? 1 : 0;
        }
        if (v instanceof Number n && (n.doubleValue() == 0 || n.doubleValue() == 1)) {
            return (int) n.doubleValue();
        }
        throw new IllegalArgumentException("'" + key + "' must be 0, 1, true or false, got " + v);
    }
}
