package org.align4j.examples.eval;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.reward.math.FinalAnswer;
import org.align4j.rollout.Completion;
import org.align4j.rollout.CompletionGroup;
import org.align4j.rollout.Prompt;
import org.align4j.rollout.Sampler;
import org.align4j.rollout.SamplingParams;

/**
 * Evaluates a policy on problems the DeepSeekMath way: one greedy completion per problem (greedy accuracy,
 * reported as Pass@1) and n sampled ones (Maj@k over the first k, Pass@k estimated from all n). A sampled
 * completion is correct when its final answer ({@link FinalAnswer}: {@code \boxed{}}, {@code #### N} or
 * "the answer is") equals the reference, the same test as the {@code math_answer} reward.
 */
public final class ModelEvaluator {

    private final CausalLM model;
    private final Tokenizer tokenizer;
    private final EvalSettings settings;

    /** What one evaluation produced: the metrics and one row per problem. */
    public record Result(EvalReport report, List<ProblemResult> problems, long sampledTokens) {
    }

    public ModelEvaluator(CausalLM model, Tokenizer tokenizer, EvalSettings settings) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.settings = settings;
    }

    public Result evaluate(List<EvalProblem> problems, PrintStream log) {
        Sampler sampler = new Sampler(model, tokenizer, settings.maxBatchSequences());
        List<Prompt> prompts = prompts(problems, sampler.maxPromptLength());
        long[] tokens = new long[1];
        List<CompletionGroup> greedy = sampler.sample(prompts, 1, SamplingParams.greedy(settings.maxCompletionLength()),
                0, (t, f) -> tokens[0] += t);
        log.printf("eval: %d greedy completions done; sampling %d per problem at temperature %s%n",
                problems.size(), settings.samples(), settings.temperature());
        SamplingParams sampling = SamplingParams.DEFAULTS.withTemperature(settings.temperature())
                .withTopP(settings.topP()).withMaxCompletionLength(settings.maxCompletionLength())
                .withSeed(settings.seed());
        List<CompletionGroup> sampled = sampler.sample(prompts, settings.samples(), sampling, 0,
                (t, f) -> tokens[0] += t);
        List<ProblemOutcome> outcomes = new ArrayList<>(problems.size());
        List<ProblemResult> rows = new ArrayList<>(problems.size());
        for (int i = 0; i < problems.size(); i++) {
            EvalProblem p = problems.get(i);
            String greedyText = greedy.get(i).get(0).text();
            String greedyAnswer = answerOf(greedyText);
            List<String> answers = new ArrayList<>();
            List<Boolean> correct = new ArrayList<>();
            int right = 0;
            for (Completion c : sampled.get(i).completions()) {
                String a = answerOf(c.text());
                boolean ok = AnswerMatch.equivalent(a, p.answer());
                answers.add(a);
                correct.add(ok);
                right += ok ? 1 : 0;
            }
            outcomes.add(new ProblemOutcome(p.answer(), greedyAnswer, answers, correct));
            rows.add(new ProblemResult(p.id(), p.prompt(), p.answer(), greedyText, greedyAnswer,
                    AnswerMatch.equivalent(greedyAnswer, p.answer()), answers, right));
        }
        return new Result(EvalMetrics.evaluate(outcomes, settings.k()), rows, tokens[0]);
    }

    /** Prompts encoded as the trainers encode them (special tokens added); over-long ones keep their end. */
    private List<Prompt> prompts(List<EvalProblem> problems, int maxPromptLength) {
        List<Prompt> out = new ArrayList<>(problems.size());
        for (EvalProblem p : problems) {
            int[] ids = tokenizer.encode(p.prompt(), true);
            if (ids.length > maxPromptLength) {
                ids = Arrays.copyOfRange(ids, ids.length - maxPromptLength, ids.length);
            }
            out.add(new Prompt(p.id(), ids, p.prompt()));
        }
        return out;
    }

    private static String answerOf(String completion) {
        Optional<FinalAnswer> a = FinalAnswer.extract(completion);
        return a.map(FinalAnswer::text).orElse(null);
    }
}
