package org.align4j.rollout.tool;

import org.align4j.policy.text.HfChatTemplate;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.rollout.Completion;
import org.align4j.rollout.CompletionGroup;
import org.align4j.rollout.FinishReason;
import org.align4j.rollout.Prompt;
import org.align4j.rollout.Sampler;
import org.align4j.rollout.SamplingParams;
import org.align4j.rollout.SamplingProgress;
import org.align4j.rollout.TurnEnds;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Multi-turn rollouts with tools (TRL's {@code tools} with {@code max_tool_calling_iterations}, verl's agent
 * loop): each completion is sampled to the end of the model's turn; the environment answers the reply
 * (runs the tool calls in it); the answer, rendered by the model's chat template as tool messages followed
 * by the opening of the next assistant turn, is appended; sampling goes on from there, up to
 * {@code maxIterations} times per completion or until a reply calls no tool. The completion is everything
 * after the prompt; the tokens the environment wrote are flagged ({@link Completion#fromEnvironment}) so
 * that the trainer leaves them out of the loss and the KL. Where the sampler can, all turns run on one KV
 * cache ({@link Sampler#sampleTurns}): an answer is appended to the completion's cache rather than the whole
 * conversation prefilled again.
 */
public final class ToolRollout {

    /** Samples one turn of many sequences: {@link Sampler} in production, a script in tests. */
    public interface TurnSampler {
        List<CompletionGroup> sample(List<Prompt> prompts, int numGenerations, SamplingParams params, long version);

        /** The longest sequence a turn may start from. */
        int maxPromptLength();

        /** Whether {@link #sampleTurns} works: all turns of a completion on one KV cache. */
        default boolean samplesTurns() {
            return false;
        }

        /** Samples all turns at once, {@code turnEnds} answering each turn that ends with EOS (see {@link Sampler#sampleTurns}). */
        default List<CompletionGroup> sampleTurns(List<Prompt> prompts, int n, SamplingParams params, long version,
                                                  TurnEnds turnEnds) {
            throw new UnsupportedOperationException("this sampler samples one turn at a time");
        }

        static TurnSampler of(Sampler sampler) {
            return new TurnSampler() {
                @Override
                public List<CompletionGroup> sample(List<Prompt> prompts, int n, SamplingParams params, long version) {
                    return sampler.sample(prompts, n, params, version, SamplingProgress.NONE);
                }

                @Override
                public boolean samplesTurns() {
                    return true;
                }

                @Override
                public List<CompletionGroup> sampleTurns(List<Prompt> prompts, int n, SamplingParams params, long version,
                                                         TurnEnds turnEnds) {
                    return sampler.sampleTurns(prompts, n, params, version, turnEnds);
                }

                @Override
                public int maxPromptLength() {
                    return sampler.maxPromptLength();
                }
            };
        }
    }

    private static final String PROBE = "ALIGN4J_TURN_END_3b7d";

    private final Tokenizer tokenizer;
    private final HfChatTemplate template;
    private final Supplier<Environment> environments;
    private final int maxIterations;
    private final String eosText;
    private final boolean reuseKvCache;

    /**
     * All turns of a completion on one KV cache where the sampler can (see {@link #ToolRollout(Tokenizer,
     * HfChatTemplate, Supplier, int, boolean)}).
     */
    public ToolRollout(Tokenizer tokenizer, HfChatTemplate template, Supplier<Environment> environments, int maxIterations) {
        this(tokenizer, template, environments, maxIterations, true);
    }

    /**
     * @param environments  a new environment for each completion
     * @param maxIterations most environment answers per completion (TRL's max_tool_calling_iterations)
     * @param reuseKvCache  append each answer to the completion's KV cache and sample on (where the sampler
     *                      {@link TurnSampler#samplesTurns can} and there are no stop strings), rather than
     *                      prefill the whole conversation again for every turn
     */
    public ToolRollout(Tokenizer tokenizer, HfChatTemplate template, Supplier<Environment> environments, int maxIterations,
                       boolean reuseKvCache) {
        this.reuseKvCache = reuseKvCache;
        if (maxIterations < 0) {
            throw new IllegalArgumentException("max_tool_calling_iterations must be >= 0, got " + maxIterations);
        }
        this.tokenizer = tokenizer;
        this.template = template;
        this.environments = environments;
        this.maxIterations = maxIterations;
        this.eosText = tokenizer.eosId() == null ? "" : tokenizer.token(tokenizer.eosId()).orElse("");
    }

    /** The tools' schemas, for rendering prompts (a fresh environment is asked). */
    public List<Map<String, Object>> toolSchemas() {
        return environments.get().toolSchemas();
    }

    /** One completion being built, turn by turn. */
    private final class Episode {
        final Prompt prompt;
        final int index;
        final Environment env = environments.get();
        final List<Integer> ids = new ArrayList<>();
        final List<Double> logProbs = new ArrayList<>();
        final List<Boolean> fromEnv = new ArrayList<>();
        FinishReason finish;
        int calls;
        int failures;
        int answers;
        boolean done;
        /** Where the model's current turn starts in the completion (on one KV cache). */
        int turnStart;

        Episode(Prompt prompt, int index) {
            this.prompt = prompt;
            this.index = index;
            env.reset(prompt.text(), prompt.row());
        }

        void addTurn(Completion turn, int budget) {
            int n = Math.min(turn.length(), budget);
            int[] t = turn.ids();
            double[] lp = turn.logProbs();
            for (int i = 0; i < n; i++) {
                ids.add(t[i]);
                logProbs.add(lp[i]);
                fromEnv.add(false);
            }
            finish = n < turn.length() ? FinishReason.LENGTH : turn.finishReason();
        }

        int[] sequence() {
            int[] p = prompt.ids();
            int[] out = java.util.Arrays.copyOf(p, p.length + ids.size());
            for (int i = 0; i < ids.size(); i++) {
                out[p.length + i] = ids.get(i);
            }
            return out;
        }

        /** The text of the model's last turn, with special tokens (tool-call markers may be special). */
        String lastTurnText() {
            int from = fromEnv.lastIndexOf(true) + 1;
            int[] turn = new int[ids.size() - from];
            for (int i = 0; i < turn.length; i++) {
                turn[i] = ids.get(from + i);
            }
            return tokenizer.decode(turn, false);
        }

        /**
         * On one KV cache: the environment's answer to the turn that {@code ids} (the completion so far) ends
         * with, or null when the episode is over; as the turn-by-turn loop of {@link #sample} does.
         */
        int[] answer(int[] ids) {
            Environment.Step step = env.step(tokenizer.decode(Arrays.copyOfRange(ids, turnStart, ids.length), false));
            calls += step.calls();
            failures += step.failures();
            if (answers == maxIterations || step.done() || step.messages().isEmpty()) {
                done = true;
                return null;
            }
            answers++;
            int[] answer = tokenizer.encode(answerText(step.messages()), false);
            turnStart = ids.length + answer.length;
            return answer;
        }

        /** The completion of one KV cache's sampling with this episode's counts and reward. */
        Completion toCompletion(Completion sampled, long version) {
            int[] a = sampled.ids();
            boolean[] env = new boolean[a.length];
            for (int i = 0; i < a.length; i++) {
                env[i] = sampled.fromEnvironment(i);
            }
            return new Completion(prompt.id(), index, a, sampled.logProbs(), sampled.finishReason(), version,
                    tokenizer.decode(a, true), env, calls, failures, this.env.reward());
        }

        Completion toCompletion(long version) {
            int n = ids.size();
            int[] a = new int[n];
            double[] lp = new double[n];
            boolean[] env = new boolean[n];
            for (int i = 0; i < n; i++) {
                a[i] = ids.get(i);
                lp[i] = logProbs.get(i);
                env[i] = fromEnv.get(i);
            }
            return new Completion(prompt.id(), index, a, lp, finish, version, tokenizer.decode(a, true), env, calls, failures,
                    this.env.reward());
        }
    }

    /** Samples numGenerations multi-turn completions of every prompt, in prompt order. */
    public List<CompletionGroup> sample(TurnSampler sampler, List<Prompt> prompts, int numGenerations, SamplingParams params,
                                        long version) {
        if (reuseKvCache && sampler.samplesTurns() && params.stop().isEmpty()) {
            return sampleOnOneCache(sampler, prompts, numGenerations, params, version);
        }
        List<CompletionGroup> first = sampler.sample(prompts, numGenerations, params, version);
        List<Episode> all = new ArrayList<>();
        for (CompletionGroup g : first) {
            for (Completion c : g.completions()) {
                Episode e = new Episode(g.prompt(), c.index());
                e.addTurn(c, params.maxCompletionLength());
                all.add(e);
            }
        }
        for (int iteration = 0; iteration < maxIterations; iteration++) {
            List<Episode> active = new ArrayList<>();
            List<Prompt> next = new ArrayList<>();
            int longestBudget = 0;
            for (Episode e : all) {
                if (e.done || e.finish != FinishReason.EOS) {
                    continue;
                }
                Environment.Step step = e.env.step(e.lastTurnText());
                e.calls += step.calls();
                e.failures += step.failures();
                if (step.done() || step.messages().isEmpty()) {
                    e.done = true;
                    continue;
                }
                e.answers++;
                int[] answer = tokenizer.encode(answerText(step.messages()), false);
                int budget = params.maxCompletionLength() - e.ids.size();
                for (int i = 0; i < Math.min(answer.length, budget); i++) {
                    e.ids.add(answer[i]);
                    e.logProbs.add(0.0);
                    e.fromEnv.add(true);
                }
                budget -= answer.length;
                int[] seq = e.sequence();
                if (budget <= 0 || seq.length > sampler.maxPromptLength()) {
                    e.finish = FinishReason.LENGTH;
                    e.done = true;
                    continue;
                }
                active.add(e);
                next.add(new Prompt(e.prompt.id(), seq, null));
                longestBudget = Math.max(longestBudget, budget);
            }
            if (active.isEmpty()) {
                break;
            }
            SamplingParams turnParams = params.withMaxCompletionLength(longestBudget)
                    .withSeed(params.seed() + 1_000_003L * (iteration + 1));
            List<CompletionGroup> turns = sampler.sample(next, 1, turnParams, version);
            for (int i = 0; i < active.size(); i++) {
                Episode e = active.get(i);
                e.addTurn(turns.get(i).get(0), params.maxCompletionLength() - e.ids.size());
            }
        }
        // The last reply of an episode cut by max_tool_calling_iterations is still stepped: its tool calls are
        // counted (but not answered), and an environment that grades the final reply sees it.
        for (Episode e : all) {
            if (!e.done && e.finish == FinishReason.EOS && e.answers == maxIterations) {
                Environment.Step step = e.env.step(e.lastTurnText());
                e.calls += step.calls();
                e.failures += step.failures();
            }
        }
        List<CompletionGroup> out = new ArrayList<>(first.size());
        int k = 0;
        for (CompletionGroup g : first) {
            List<Completion> cs = new ArrayList<>(g.size());
            for (int j = 0; j < g.size(); j++) {
                cs.add(all.get(k++).toCompletion(version));
            }
            out.add(new CompletionGroup(g.prompt(), cs, g.policyVersion()));
        }
        return out;
    }

    /** All turns of each completion on one KV cache: each answer is appended to the cache, not prefilled again. */
    private List<CompletionGroup> sampleOnOneCache(TurnSampler sampler, List<Prompt> prompts, int numGenerations,
                                                   SamplingParams params, long version) {
        Episode[] episodes = new Episode[prompts.size() * numGenerations];
        for (int p = 0; p < prompts.size(); p++) {
            for (int g = 0; g < numGenerations; g++) {
                episodes[p * numGenerations + g] = new Episode(prompts.get(p), g);
            }
        }
        List<CompletionGroup> sampled = sampler.sampleTurns(prompts, numGenerations, params, version,
                (sequence, ids) -> episodes[sequence].answer(ids));
        List<CompletionGroup> out = new ArrayList<>(sampled.size());
        for (int p = 0; p < sampled.size(); p++) {
            CompletionGroup g = sampled.get(p);
            List<Completion> cs = new ArrayList<>(g.size());
            for (int j = 0; j < g.size(); j++) {
                cs.add(episodes[p * numGenerations + j].toCompletion(g.get(j), version));
            }
            out.add(new CompletionGroup(g.prompt(), cs, g.policyVersion()));
        }
        return out;
    }

    /**
     * The text that follows the model's reply when the environment answers it with {@code messages}: what
     * the chat template writes after an assistant turn's content when tool messages and the generation
     * prompt follow, less the end-of-turn token the model already sampled.
     */
    String answerText(List<Map<String, Object>> messages) {
        List<Map<String, Object>> conversation = new ArrayList<>();
        conversation.add(message("user", "x"));
        conversation.add(message("assistant", PROBE));
        conversation.addAll(messages);
        String rendered = template.render(conversation, null, true, null);
        int at = rendered.indexOf(PROBE);
        if (at < 0) {
            throw new IllegalStateException(template.source() + ": the chat template does not write the assistant's content");
        }
        String after = rendered.substring(at + PROBE.length());
        return !eosText.isEmpty() && after.startsWith(eosText) ? after.substring(eosText.length()) : after;
    }

    private static Map<String, Object> message(String role, String content) {
        Map<String, Object> m = new HashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }
}
