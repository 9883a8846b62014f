package org.align4j.examples.demo;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Locale;
import org.align4j.examples.eval.ProblemResult;
import org.align4j.examples.math.Solution;

/**
 * How many greedy completions show their working (at least one line before {@code #### N}) rather than a bare
 * answer, and how accurate each kind is. The demo's SFT data mixes both habits; this is what shows whether RL
 * changed the habit, the arithmetic, or both.
 */
public record ShownWork(@JsonProperty("with_working") int withWorking,
                        @JsonProperty("with_working_correct") int withWorkingCorrect,
                        @JsonProperty("bare_answer") int bareAnswer,
                        @JsonProperty("bare_answer_correct") int bareAnswerCorrect) implements GreedyHabit {

    public static ShownWork of(List<ProblemResult> problems) {
        int worked = 0;
        int workedCorrect = 0;
        int bare = 0;
        int bareCorrect = 0;
        for (ProblemResult p : problems) {
            if (showsWorking(p.greedy())) {
                worked++;
                workedCorrect += p.greedyCorrect() ? 1 : 0;
            } else {
                bare++;
                bareCorrect += p.greedyCorrect() ? 1 : 0;
            }
        }
        return new ShownWork(worked, workedCorrect, bare, bareCorrect);
    }

    /** True when something other than blank space comes before the first answer mark (or there is no mark). */
    static boolean showsWorking(String completion) {
        int mark = completion.indexOf(Solution.ANSWER_MARK.strip());
        return mark < 0 ? !completion.isBlank() : !completion.substring(0, mark).isBlank();
    }

    /** "57 of 200 greedy completions show working (75% right), 143 give a bare answer (40% right)". */
    @Override
    public String describe() {
        return String.format(Locale.ROOT, "%d of %d greedy completions show working (%s right), %d give a "
                + "bare answer (%s right)", withWorking, withWorking + bareAnswer, percent(withWorkingCorrect,
                withWorking), bareAnswer, percent(bareAnswerCorrect, bareAnswer));
    }

    private static String percent(int part, int whole) {
        return whole == 0 ? "-" : String.format(Locale.ROOT, "%.0f%%", 100.0 * part / whole);
    }
}
