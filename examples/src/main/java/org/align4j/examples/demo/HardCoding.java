package org.align4j.examples.demo;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.align4j.examples.eval.UnitTestEvaluator;

/**
 * How many greedy completions compute from their argument (a general function) rather than return a constant
 * (the example's output hard-coded), and how many of each pass the tests. The code demo's SFT data mixes both
 * habits; this shows whether RL changed the habit, the code, or both.
 */
public record HardCoding(@JsonProperty("general") int general,
                         @JsonProperty("general_correct") int generalCorrect,
                         @JsonProperty("hard_coded") int hardCoded,
                         @JsonProperty("hard_coded_correct") int hardCodedCorrect) implements GreedyHabit {

    /** The argument names of the demo's functions (x, s, xs) as a word after the first line. */
    private static final Pattern USES_ARGUMENT = Pattern.compile("\\b(x|s|xs)\\b");

    public static HardCoding of(List<UnitTestEvaluator.Row> rows) {
        int general = 0;
        int generalCorrect = 0;
        int hard = 0;
        int hardCorrect = 0;
        for (UnitTestEvaluator.Row r : rows) {
            if (usesArgument(r.greedy())) {
                general++;
                generalCorrect += r.greedyCorrect() ? 1 : 0;
            } else {
                hard++;
                hardCorrect += r.greedyCorrect() ? 1 : 0;
            }
        }
        return new HardCoding(general, generalCorrect, hard, hardCorrect);
    }

    /** Whether the body (everything after the {@code def} line) names the argument. */
    static boolean usesArgument(String completion) {
        int newline = completion.indexOf('\n');
        return newline >= 0 && USES_ARGUMENT.matcher(completion.substring(newline + 1)).find();
    }

    /** "80 of 200 greedy completions compute from the argument (90% right), 120 return a constant (0% right)". */
    @Override
    public String describe() {
        return String.format(Locale.ROOT, "%d of %d greedy completions compute from the argument (%s right), %d "
                + "return a constant (%s right)", general, general + hardCoded, percent(generalCorrect, general),
                hardCoded, percent(hardCodedCorrect, hardCoded));
    }

    private static String percent(int part, int whole) {
        return whole == 0 ? "-" : String.format(Locale.ROOT, "%.0f%%", 100.0 * part / whole);
    }
}
