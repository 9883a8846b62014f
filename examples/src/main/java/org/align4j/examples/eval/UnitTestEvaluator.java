package org.align4j.examples.eval;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.reward.OutcomeReward;
import org.align4j.reward.RewardInput;
import org.align4j.rollout.Completion;
import org.align4j.rollout.CompletionGroup;
import org.align4j.rollout.Prompt;
import org.align4j.rollout.Sampler;
import org.align4j.rollout.SamplingParams;

/**
 * Evaluates a policy on code tasks as {@link ModelEvaluator} does on math: one greedy completion per task
 * (Pass@1) and n sampled ones (Maj@k over the first k, Pass@k estimated from all n), a completion being right
 * when the unit-test reward (in all-or-nothing mode) gives it 1: the same test GRPO's reward applies. Maj@k votes
 * over programs (the completion's text with its blank space normalised). Identical completions of one task are
 * scored once.
 */
public final class UnitTestEvaluator {

    private final CausalLM model;
    private final Tokenizer tokenizer;
    private final EvalSettings settings;
    private final OutcomeReward tests;

    /** A held-out code task: id, prompt and its unit tests (the row the reward reads). */
    public record Task(String id, String prompt, List<String> tests) {
    }

    /** One evaluated task as a JSONL row: the greedy completion, whether it passed, how many samples did. */
    public record Row(@JsonProperty("id") String id, @JsonProperty("prompt") String prompt,
                      @JsonProperty("greedy") String greedy, @JsonProperty("greedy_correct") boolean greedyCorrect,
                      @JsonProperty("samples_correct") int samplesCorrect, @JsonProperty("samples") int samples) {
    }

    /** The metrics, one row per task, and the greedy completions (for looking at what the model writes). */
    public record Result(EvalReport report, List<Row> rows) {
    }

    /** @param tests a reward that gives 1 to a completion passing all its row's {@code tests}, else 0 */
    public UnitTestEvaluator(CausalLM model, Tokenizer tokenizer, EvalSettings settings, OutcomeReward tests) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.settings = settings;
        this.tests = tests;
    }

    public Result evaluate(List<Task> tasks, PrintStream log) {
        Sampler sampler = new Sampler(model, tokenizer, settings.maxBatchSequences());
        List<Prompt> prompts = new ArrayList<>(tasks.size());
        for (Task t : tasks) {
            int[] ids = tokenizer.encode(t.prompt(), true);
            int max = sampler.maxPromptLength();
            prompts.add(new Prompt(t.id(), ids.length > max ? Arrays.copyOfRange(ids, ids.length - max, ids.length) : ids,
                    t.prompt()));
        }
        List<CompletionGroup> greedy = sampler.sample(prompts, 1, SamplingParams.greedy(settings.maxCompletionLength()));
        SamplingParams sampling = SamplingParams.DEFAULTS.withTemperature(settings.temperature())
                .withTopP(settings.topP()).withMaxCompletionLength(settings.maxCompletionLength())
                .withSeed(settings.seed());
        List<CompletionGroup> sampled = sampler.sample(prompts, settings.samples(), sampling);
        log.printf("eval: %d greedy and %d sampled completions; running their unit tests%n", tasks.size(),
                tasks.size() * settings.samples());

        // every distinct (task, program) once
        List<Map<String, Integer>> index = new ArrayList<>(tasks.size());
        List<RewardInput> inputs = new ArrayList<>();
        for (int i = 0; i < tasks.size(); i++) {
            Map<String, Integer> byText = new HashMap<>();
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("tests", tasks.get(i).tests());
            List<String> texts = new ArrayList<>();
            texts.add(greedy.get(i).get(0).text());
            for (Completion c : sampled.get(i).completions()) {
                texts.add(c.text());
            }
            for (String text : texts) {
                if (!byText.containsKey(text)) {
                    byText.put(text, inputs.size());
                    inputs.add(RewardInput.ofText(tasks.get(i).prompt(), text, row));
                }
            }
            index.add(byText);
        }
        List<Double> scores = tests.score(inputs);

        double pass1 = 0;
        double maj = 0;
        double passK = 0;
        List<Row> rows = new ArrayList<>(tasks.size());
        for (int i = 0; i < tasks.size(); i++) {
            Map<String, Integer> byText = index.get(i);
            String greedyText = greedy.get(i).get(0).text();
            boolean greedyRight = right(scores, byText.get(greedyText));
            List<Completion> samples = sampled.get(i).completions();
            List<String> programs = new ArrayList<>();
            int c = 0;
            for (Completion s : samples) {
                programs.add(normalised(s.text()));
                c += right(scores, byText.get(s.text())) ? 1 : 0;
            }
            String winner = plurality(programs.subList(0, settings.k()));
            boolean majRight = false;
            for (Completion s : samples.subList(0, settings.k())) {
                if (winner != null && winner.equals(normalised(s.text()))) {
                    majRight = right(scores, byText.get(s.text()));
                    break;
                }
            }
            pass1 += greedyRight ? 1 : 0;
            maj += majRight ? 1 : 0;
            passK += EvalMetrics.passAtK(samples.size(), c, settings.k());
            rows.add(new Row(tasks.get(i).id(), tasks.get(i).prompt(), greedyText, greedyRight, c, samples.size()));
        }
        int m = tasks.size();
        return new Result(new EvalReport(pass1 / m, maj / m, passK / m, settings.k(), m), rows);
    }

    /** The most frequent non-null program; a tie goes to the one that came first; null when none. */
    static String plurality(List<String> programs) {
        Map<String, Integer> votes = new LinkedHashMap<>();
        for (String p : programs) {
            if (p != null) {
                votes.merge(p, 1, Integer::sum);
            }
        }
        String best = null;
        int most = 0;
        for (Map.Entry<String, Integer> e : votes.entrySet()) {
            if (e.getValue() > most) {
                best = e.getKey();
                most = e.getValue();
            }
        }
        return best;
    }

    private static boolean right(List<Double> scores, Integer at) {
        Double s = at == null ? null : scores.get(at);
        return s != null && s >= 1.0;
    }

    /** The program a completion is, for voting: lines without trailing blanks, blank lines dropped. */
    static String normalised(String completion) {
        StringBuilder b = new StringBuilder();
        completion.lines().map(String::stripTrailing).filter(l -> !l.isEmpty()).forEach(l -> b.append(l).append('\n'));
        return b.length() == 0 ? null : b.toString();
    }
}
