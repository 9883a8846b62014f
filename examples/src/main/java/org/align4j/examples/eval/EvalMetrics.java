package org.align4j.examples.eval;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Accuracy metrics of the DeepSeekMath evaluation: greedy accuracy, Maj@k and Pass@k.
 *
 * <p>Pass@k uses the unbiased estimator of Chen et al. 2021 ("Evaluating Large Language Models Trained on
 * Code"): with n samples of which c are correct, the probability that a random k-subset holds a correct one,
 * {@code 1 - C(n-c, k) / C(n, k)}, computed as {@code 1 - prod_{i=n-c+1..n} (1 - k/i)} so that no binomial
 * coefficient overflows. Maj@k votes over the first k samples' answers.
 */
public final class EvalMetrics {

    private EvalMetrics() {
    }

    /** All three metrics over problems; every problem needs at least k samples. */
    public static EvalReport evaluate(List<ProblemOutcome> problems, int k) {
        if (problems.isEmpty()) {
            throw new IllegalArgumentException("no problems to evaluate");
        }
        if (k < 1) {
            throw new IllegalArgumentException("k must be >= 1, got " + k);
        }
        double greedy = 0;
        double maj = 0;
        double pass = 0;
        for (int i = 0; i < problems.size(); i++) {
            ProblemOutcome p = problems.get(i);
            int n = p.samples().size();
            if (n < k) {
                throw new IllegalArgumentException("problem " + i + ": " + n + " samples, fewer than k = " + k);
            }
            greedy += AnswerMatch.equivalent(p.greedy(), p.reference()) ? 1 : 0;
            maj += AnswerMatch.equivalent(majorityVote(p.samples().subList(0, k)), p.reference()) ? 1 : 0;
            int c = (int) p.correct().stream().filter(Boolean::booleanValue).count();
            pass += passAtK(n, c, k);
        }
        int m = problems.size();
        return new EvalReport(greedy / m, maj / m, pass / m, k, m);
    }

    /** The unbiased pass@k estimate for n samples of which c are correct. */
    public static double passAtK(int n, int c, int k) {
        if (n < 1 || c < 0 || c > n || k < 1 || k > n) {
            throw new IllegalArgumentException("need 1 <= k <= n and 0 <= c <= n, got n=" + n + " c=" + c + " k=" + k);
        }
        if (n - c < k) {
            return 1.0; // every k-subset holds a correct sample
        }
        double allWrong = 1.0;
        for (int i = n - c + 1; i <= n; i++) {
            allWrong *= 1.0 - (double) k / i;
        }
        return 1.0 - allWrong;
    }

    /**
     * The most frequent answer, answers grouped by {@link AnswerMatch#canonical} (so "29", "29.0" and "58/2"
     * vote together). Null answers do not vote. A tie goes to the tied answer that appears first in the list, which
     * is deterministic and, for samples in generation order, arbitrary with respect to correctness. Returns
     * the first spelling of the winning answer, or null when nobody voted.
     */
    public static String majorityVote(List<String> answers) {
        Map<String, Integer> votes = new LinkedHashMap<>(); // insertion order = first appearance
        Map<String, String> spelling = new LinkedHashMap<>();
        for (String a : answers) {
            String key = AnswerMatch.canonical(a);
            if (key != null) {
                votes.merge(key, 1, Integer::sum);
                spelling.putIfAbsent(key, a);
            }
        }
        String best = null;
        int bestVotes = 0;
        for (Map.Entry<String, Integer> e : votes.entrySet()) {
            if (e.getValue() > bestVotes) { // strictly more: an earlier answer keeps a tie
                best = e.getKey();
                bestVotes = e.getValue();
            }
        }
        return best == null ? null : spelling.get(best);
    }
}
