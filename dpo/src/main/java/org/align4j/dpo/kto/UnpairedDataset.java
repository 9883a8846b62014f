package org.align4j.dpo.kto;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.align4j.dpo.PairTruncation;
import org.align4j.dpo.PreferenceDataset;
import org.align4j.dpo.PreferencePair;
import org.align4j.policy.io.JsonlReader;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.policy.util.BadInputException;

/**
 * KTO's data, as TRL reads it: unpaired rows {@code {"prompt", "completion", "label"}} (label true: desirable;
 * text or chat messages, or pre-tokenized {@code prompt_ids} and {@code completion_ids}), and preference rows
 * {@code {"prompt", "chosen", "rejected"}}, which become a desirable and an undesirable example (TRL's
 * unpair_preference_dataset). Prompts and completions are tokenized and truncated as DPO's pairs are.
 */
public final class UnpairedDataset {
    private UnpairedDataset() {
    }

    public static List<KtoExample> read(Path file, Tokenizer tokenizer, PairTruncation truncation, int vocabSize) {
        List<KtoExample> out = new ArrayList<>();
        try (JsonlReader<Map<String, Object>> r = JsonlReader.open(file)) {
            while (r.hasNext()) {
                Map<String, Object> row = r.next();
                String where = file + ":" + r.lineNumber();
                if (row.containsKey("label")) {
                    if (!(row.get("label") instanceof Boolean desirable)) {
                        throw new BadInputException(where + ": 'label' must be true (desirable) or false (undesirable)");
                    }
                    Map<String, Object> pseudo = new LinkedHashMap<>(row);
                    String key = row.containsKey("prompt_ids") ? "completion_ids" : "completion";
                    String chosen = key.equals("completion_ids") ? "chosen_ids" : "chosen";
                    String rejected = key.equals("completion_ids") ? "rejected_ids" : "rejected";
                    if (!row.containsKey(key)) {
                        throw new BadInputException(where + ": a row with 'label' needs '" + key + "'");
                    }
                    pseudo.put(chosen, row.get(key));
                    pseudo.put(rejected, row.get(key));
                    PreferencePair p = truncation.apply(PreferenceDataset.toPair(pseudo, tokenizer, vocabSize, where));
                    out.add(example(p.prompt(), p.chosen(), desirable, where));
                } else {
                    PreferencePair p = truncation.apply(PreferenceDataset.toPair(row, tokenizer, vocabSize, where));
                    out.add(example(p.prompt(), p.chosen(), true, where));
                    out.add(example(p.prompt(), p.rejected(), false, where));
                }
            }
        }
        if (out.isEmpty()) {
            throw new BadInputException(file + ": no examples");
        }
        return out;
    }

    private static KtoExample example(int[] prompt, int[] completion, boolean desirable, String where) {
        try {
            return new KtoExample(prompt, completion, desirable, where);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(e.getMessage(), e);
        }
    }
}
