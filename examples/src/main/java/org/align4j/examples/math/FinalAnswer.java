package org.align4j.examples.math;

/** Reads the final answer of a completion in this data's format: the text after the last {@code ####}. */
public final class FinalAnswer {

    private FinalAnswer() {
    }

    /** The trimmed text after the last "####", or null when there is none or it is empty. */
    public static String extract(String completion) {
        if (completion == null) {
            return null;
        }
        int at = completion.lastIndexOf("####");
        if (at < 0) {
            return null;
        }
        String rest = completion.substring(at + 4);
        int eol = rest.indexOf('\n');
        String answer = (eol < 0 ? rest : rest.substring(0, eol)).trim();
        return answer.isEmpty() ? null : answer;
    }
}
