package org.align4j.dpo.kto;

/**
 * One unpaired completion of KTO: prompt and completion token ids, and whether the completion is desirable.
 *
 * @param source file:line it came from, for messages
 */
public record KtoExample(int[] prompt, int[] completion, boolean desirable, String source) {
    public KtoExample {
        if (prompt.length == 0 || completion.length == 0) {
            throw new IllegalArgumentException(source + ": empty prompt or completion");
        }
    }

    public int length() {
        return prompt.length + completion.length;
    }
}
