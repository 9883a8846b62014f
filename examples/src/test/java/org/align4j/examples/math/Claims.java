package org.align4j.examples.math;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.align4j.reward.math.FinalAnswer;

/** Test-side reading of a completion's text, independent of how the generator built it. */
final class Claims {

    private static final Pattern CLAIM = Pattern.compile("(\\d+) ([-+*/]) (\\d+) = (\\d+)");

    /** One arithmetic claim a op b = c read from a line. */
    record Claim(long a, char op, long b, long c) {
        boolean holds() {
            return switch (op) {
                case '+' -> a + b == c;
                case '-' -> a - b == c;
                case '*' -> a * b == c;
                case '/' -> b != 0 && a % b == 0 && a / b == c;
                default -> false;
            };
        }
    }

    private Claims() {
    }

    /** The claims of the step lines (all lines but the last); fails unless each has exactly one. */
    static List<Claim> of(String completion) {
        String[] lines = completion.split("\n", -1);
        List<Claim> out = new ArrayList<>();
        for (int i = 0; i + 1 < lines.length; i++) {
            Matcher m = CLAIM.matcher(lines[i]);
            if (!m.find()) {
                throw new AssertionError("line " + i + " has no claim: " + lines[i]);
            }
            out.add(new Claim(Long.parseLong(m.group(1)), m.group(2).charAt(0), Long.parseLong(m.group(3)),
                    Long.parseLong(m.group(4))));
            if (m.find()) {
                throw new AssertionError("line " + i + " has two claims: " + lines[i]);
            }
        }
        return out;
    }

    /** The final answer as the reward module reads it, or null. */
    static String finalAnswer(String completion) {
        return FinalAnswer.extract(completion).map(FinalAnswer::text).orElse(null);
    }

    static String lastLine(String completion) {
        String[] lines = completion.split("\n", -1);
        return lines[lines.length - 1];
    }
}
