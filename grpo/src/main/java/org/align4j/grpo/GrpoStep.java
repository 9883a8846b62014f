package org.align4j.grpo;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.align4j.grpo.advantage.AdvantageEstimator;
import org.align4j.grpo.advantage.AdvantageEstimators;
import org.align4j.grpo.advantage.ScaleRewards;
import org.align4j.grpo.advantage.Statistics;
import org.align4j.grpo.kl.KlEstimator;
import org.align4j.grpo.kl.KlEstimators;
import org.align4j.grpo.loss.BatchShape;
import org.align4j.grpo.loss.ClipRange;
import org.align4j.grpo.loss.CispoPolicyLoss;
import org.align4j.grpo.loss.GrpoLoss;
import org.align4j.grpo.loss.ImportanceSamplingLevel;
import org.align4j.grpo.loss.PolicyLosses;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.Forward;
import org.align4j.policy.model.TokenBatch;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.policy.train.Collective;
import org.align4j.policy.train.Optimization;
import org.align4j.reward.ProcessReward;
import org.align4j.reward.RewardInput;
import org.align4j.reward.WeightedRewards;
import org.align4j.rollout.Completion;
import org.align4j.rollout.CompletionGroup;
import org.align4j.rollout.FinishReason;

/**
 * One GRPO step after the rollouts: score the completions (sampling more groups with DAPO's dynamic sampling),
 * shape the rewards (KL in the reward, overlong penalty), turn them into advantages with the configured estimator,
 * and take num_iterations optimizer steps on {@link GrpoLoss}, with log-probs at the sampling temperature and the
 * sampler correction. Metrics go into the map the caller logs, under TRL's names.
 */
final class GrpoStep {
    private final GrpoConfig config;
    private final CausalLM policy;
    private final CausalLM reference;
    private final Tokenizer tokenizer;
    private final WeightedRewards outcome;
    private final ProcessReward process;
    private final Optimization opt;
    private final PrintStream log;
    private final GrpoLoss loss;
    private final AdvantageEstimator estimator;
    private final ScaleRewards scale;
    private final KlEstimator kl;
    private final OverlongPenalty overlong;
    private final ImportanceSamplingCorrection correction;
    /** Whether completions are multi-turn tool rollouts (their environment tokens are not trained on). */
    private final boolean tools;
    /** The mean KL of the last step's kl_in_reward penalty (its "kl" metric). */
    private double klInRewardMean;

    /** More rollouts for dynamic sampling: the next generation batch of prompts, sampled by the current policy. */
    interface MoreSamples {
        Batch next(int genBatch);
    }

    record Batch(List<CompletionGroup> groups, List<PromptRow> rows) {
    }

    /** What the caller reports besides the metrics: the loss and KL, and the last optimizer update's outcome. */
    record Stats(long completionTokens, long sequenceTokens, double loss, double kl, double gradNorm,
                 double learningRate, int skippedUpdates, boolean weightsFinite) {
    }

    GrpoStep(GrpoConfig config, CausalLM policy, CausalLM reference, Tokenizer tokenizer, WeightedRewards outcome,
             ProcessReward process, Optimization opt, PrintStream log, boolean tools) {
        this.config = config;
        this.policy = policy;
        this.reference = reference;
        this.tokenizer = tokenizer;
        this.outcome = outcome;
        this.process = process;
        this.opt = opt;
        this.log = log;
        this.tools = tools;
        this.kl = KlEstimators.get(config.klEstimator);
        this.loss = new GrpoLoss(new GrpoLoss.Options(PolicyLosses.get(config.lossType),
                ImportanceSamplingLevel.parse(config.importanceSamplingLevel),
                new ClipRange(config.epsilon, config.epsilonHighOrDefault(), config.deltaOrInfinity()),
                config.klInReward ? 0.0 : config.beta, kl, config.topEntropyQuantile));
        this.estimator = AdvantageEstimators.get(config.advantageEstimator);
        this.scale = ScaleRewards.parse(config.scaleRewards);
        this.overlong = new OverlongPenalty(config.overlongBufferLength, config.overlongPenalty,
                config.maxCompletionLength);
        this.correction = new ImportanceSamplingCorrection(config.vllmImportanceSamplingCorrection,
                ImportanceSamplingCorrection.Mode.parse(config.vllmImportanceSamplingMode),
                config.vllmImportanceSamplingClipMin, config.vllmImportanceSamplingClipMax);
    }

    /** The rewards of the groups. */
    ScoredGroups score(List<CompletionGroup> groups, List<PromptRow> rows) {
        List<Map<String, Object>> dataRows = new ArrayList<>();
        for (PromptRow r : rows) {
            dataRows.add(r.row());
        }
        List<RewardInput> inputs = ScoredGroups.inputs(groups, dataRows, tokenizer);
        return process != null ? ScoredGroups.process(groups, inputs, process)
                : ScoredGroups.outcome(groups, inputs, outcome);
    }

    /**
     * The step's scored groups: those sampled, or with dynamic_sampling the informative ones (rewards not all
     * equal) of as many generation batches as it takes to fill the batch, at most max_num_gen_batches; logs
     * frac_reward_zero_std over all groups sampled, and num_gen_batches.
     */
    ScoredGroups collect(Batch first, MoreSamples more, Map<String, Number> m) {
        ScoredGroups scored = score(first.groups(), first.rows());
        int sampled = scored.groups;
        int zeroStd = scored.zeroStdGroups();
        if (config.dynamicSampling) {
            int wanted = config.promptsPerStep();
            ScoredGroups kept = scored.informative(wanted);
            int genBatches = 1;
            while (kept.groups < wanted && (config.maxNumGenBatches <= 0 || genBatches < config.maxNumGenBatches)) {
                Batch b = more.next(genBatches);
                ScoredGroups s = score(b.groups(), b.rows());
                sampled += s.groups;
                zeroStd += s.zeroStdGroups();
                kept = ScoredGroups.concat(kept, s.informative(wanted - kept.groups));
                genBatches++;
            }
            if (kept.groups < wanted) {
                log.printf("grpo: dynamic sampling kept %d of %d groups after %d generation batches "
                        + "(max_num_gen_batches); training on those%n", kept.groups, wanted, genBatches);
            }
            m.put("num_gen_batches", genBatches);
            scored = kept;
        }
        m.put("frac_reward_zero_std", sampled == 0 ? 0.0 : (double) zeroStd / sampled);
        return scored;
    }

    /**
     * Advantages of the scored groups, then num_iterations optimizer steps (optimizer steps step x it); no update
     * when dynamic sampling kept no group.
     */
    Stats update(ScoredGroups s, long step, Map<String, Number> m) {
        int n = s.completions.size();
        Collective ranks = config.collective();
        if (Math.round(ranks.sum(n)) == 0) {
            log.printf("grpo: step %d: no group with differing rewards; no update%n", step + 1);
            return new Stats(0, 0, 0, 0, 0, opt.learningRate(step * config.numIterations), 0, true);
        }
        double[][] mask = new double[n][];
        double[][] sampler = new double[n][];
        long maskedTokens = 0;
        long completionTokens = 0;
        long sequenceTokens = 0;
        for (int i = 0; i < n; i++) {
            Completion c = s.completions.get(i);
            mask[i] = new double[c.length()];
            boolean drop = config.maskTruncatedCompletions && c.finishReason() == FinishReason.LENGTH;
            Arrays.fill(mask[i], drop ? 0.0 : 1.0);
            ToolUse.maskEnvironmentTokens(c, mask[i]);
            for (double v : mask[i]) {
                maskedTokens += (long) v;
            }
            completionTokens += c.length();
            sequenceTokens += c.length() + s.promptIds.get(i).length;
            sampler[i] = c.logProbs();
        }
        double[][] refLogp = reference == null ? null : referenceLogProbs(s);
        double[][] tokenRewards = tokenRewards(s, sampler, refLogp, mask, m);
        s.computeAdvantages(estimator, scale, tokenRewards);
        rewardMetrics(s, m);

        double[][] oldLogp = config.numIterations > 1 ? logProbs(policy, s, config.moeRouterReplay) : null;
        ImportanceSamplingCorrection.Stats isStats = new ImportanceSamplingCorrection.Stats();
        double[][] isWeights = oldLogp == null ? new double[n][] : correction.weights(oldLogp, sampler, mask, isStats);
        int microBatches = (n + config.batchSize - 1) / config.batchSize;
        // the whole step's sizes (over every rank): each rank's loss is then its share of the whole step's
        double[] sizes = {n, maskedTokens, microBatches};
        ranks.allReduceSum(sizes);
        BatchShape shape = new BatchShape((int) Math.round(sizes[0]), Math.round(sizes[1]), 0,
                (int) Math.round(sizes[2]), config.maxCompletionLength);
        double lossSum = 0;
        double klSum = 0;
        double low = 0;
        double high = 0;
        double clipCount = 0;
        double entropy = 0;
        long entropyMasked = 0;
        long entropyTokens = 0;
        Optimization.StepResult last = null;
        long[] routerMismatch = new long[2];
        int skipped = 0;
        boolean weightsFinite = true;
        for (int it = 0; it < config.numIterations; it++) {
            for (int from = 0; from < n; from += config.batchSize) {
                int to = Math.min(n, from + config.batchSize);
                policy.setTraining(true);
                MicroBatch mb = forward(policy, s, from, to, config.temperature, config.moeRouterReplay,
                        it == 0 ? routerMismatch : null);
                policy.setTraining(false);
                if (oldLogp == null && it == 0) {
                    // before this batch's first optimizer step the trainer's log-probs are pi_old's
                    double[][] w = correction.weights(mb.logp, slice(sampler, from, to), slice(mask, from, to), isStats);
                    System.arraycopy(w, 0, isWeights, from, to - from);
                }
                double[][] old = oldLogp == null ? mb.logp : slice(oldLogp, from, to);
                GrpoLoss.Result r = loss.compute(new GrpoLoss.Inputs(mb.logp, old,
                        refLogp == null ? null : slice(refLogp, from, to), slice(s.advantages, from, to),
                        slice(mask, from, to), mb.entropy,
                        correction.applies() ? slice(isWeights, from, to) : null), shape);
                mb.backward(r.dLogp);
                lossSum += r.loss;
                if (it == 0) {
                    klSum += r.klSum;
                    low += r.clippedLow;
                    high += r.clippedHigh;
                    clipCount += r.clipCount;
                    entropyMasked += r.entropyMasked;
                    for (int i = 0; i < mb.entropy.length; i++) {
                        for (int t = 0; t < mb.entropy[i].length; t++) {
                            entropy += mb.entropy[i][t] * mask[from + i][t];
                            entropyTokens += (long) mask[from + i][t];
                        }
                    }
                }
            }
            last = opt.step(step * config.numIterations + it);
            skipped += last.skipped() ? 1 : 0;
            weightsFinite &= last.weightsFinite();
        }
        if (ranks.size() > 1) {
            // the loss and KL the divergence guard watches are the whole step's, the same on every rank
            double[] sums = {lossSum, klSum, low, high, clipCount, entropy, entropyMasked, entropyTokens};
            ranks.allReduceSum(sums);
            lossSum = sums[0];
            klSum = sums[1];
            low = sums[2];
            high = sums[3];
            clipCount = sums[4];
            entropy = sums[5];
            entropyMasked = Math.round(sums[6]);
            entropyTokens = Math.round(sums[7]);
        }
        double tokens = Math.max(1, shape.tokens());
        double meanKl = config.klInReward ? klInRewardMean : klSum / tokens;
        m.put("loss", lossSum / config.numIterations);
        if (config.beta != 0) {
            m.put("kl", meanKl);
        }
        double clips = Math.max(1, clipCount);
        if (loss.options().loss() instanceof CispoPolicyLoss) {
            m.put("cispo_clip_ratio", high / clips);
        } else {
            m.put("clip_ratio/low_mean", low / clips);
            m.put("clip_ratio/high_mean", high / clips);
            m.put("clip_ratio/region_mean", (low + high) / clips);
        }
        if (config.topEntropyQuantile < 1) {
            m.put("entropy_masked_ratio", entropyMasked / tokens);
        }
        isStats.putInto(m);
        if (routerMismatch[1] > 0) {
            m.put("moe/router_mismatch", (double) routerMismatch[0] / routerMismatch[1]);
        }
        m.put("entropy", entropyTokens == 0 ? 0.0 : entropy / entropyTokens);
        return new Stats(completionTokens, sequenceTokens, lossSum / config.numIterations, meanKl, last.gradNorm(),
                last.learningRate(), skipped, weightsFinite);
    }

    /**
     * Rewards added at single tokens: with kl_in_reward, -beta x KL(sampler || reference) at every token (verl's
     * use_kl_in_reward, with the behaviour log-probs the sampler recorded); with overlong shaping, the penalty at
     * the last token. Null when neither is on.
     */
    private double[][] tokenRewards(ScoredGroups s, double[][] sampler, double[][] refLogp, double[][] mask,
                                    Map<String, Number> m) {
        boolean klReward = config.klInReward && config.beta != 0;
        if (!klReward && !overlong.enabled()) {
            return null;
        }
        int n = s.completions.size();
        double[][] r = new double[n][];
        double klSum = 0;
        long klTokens = 0;
        double penaltySum = 0;
        for (int i = 0; i < n; i++) {
            int len = s.completions.get(i).length();
            r[i] = new double[len];
            if (klReward) {
                for (int t = 0; t < len; t++) {
                    // tokens not trained on (tool outputs, masked truncations) carry no penalty
                    double k = mask[i][t] == 0 ? 0 : kl.value(sampler[i][t], refLogp[i][t]);
                    r[i][t] = -config.beta * k;
                    klSum += k * mask[i][t];
                    klTokens += (long) mask[i][t];
                }
            }
            if (overlong.enabled() && len > 0) {
                double p = overlong.of(len);
                r[i][len - 1] += p;
                penaltySum += p;
            }
        }
        double[] klOfStep = {klSum, klTokens};
        config.collective().allReduceSum(klOfStep);
        klInRewardMean = klOfStep[1] == 0 ? 0 : klOfStep[0] / klOfStep[1];
        if (overlong.enabled()) {
            m.put("rewards/overlong_penalty/mean", penaltySum / Math.max(1, n));
        }
        return r;
    }

    private void rewardMetrics(ScoredGroups s, Map<String, Number> m) {
        m.put("reward", nanMean(s.rewards));
        double stdSum = 0;
        for (int p = 0; p < s.groups; p++) {
            stdSum += Statistics.sampleStd(finite(Arrays.copyOfRange(s.rewards, p * s.groupSize, (p + 1) * s.groupSize)));
        }
        m.put("reward_std", s.groups == 0 ? 0.0 : stdSum / s.groups);
        for (int f = 0; f < s.functionNames.size(); f++) {
            Double[] v = s.functionValues.get(f);
            double[] d = new double[v.length];
            for (int i = 0; i < v.length; i++) {
                d[i] = v[i] == null ? Double.NaN : v[i];
            }
            m.put("rewards/" + s.functionNames.get(f) + "/mean", nanMean(d));
        }
        int n = s.completions.size();
        double[] a = new double[n];
        int maxLen = 0;
        int minLen = Integer.MAX_VALUE;
        long lenSum = 0;
        int truncated = 0;
        for (int i = 0; i < n; i++) {
            Completion c = s.completions.get(i);
            a[i] = s.advantages[i].length > 0 ? s.advantages[i][0] : 0;
            maxLen = Math.max(maxLen, c.length());
            minLen = Math.min(minLen, c.length());
            lenSum += c.length();
            truncated += c.finishReason() == FinishReason.LENGTH ? 1 : 0;
        }
        m.put("advantages/mean", Statistics.mean(a));
        // the sample standard deviation, as the advantages' own normalisation (and torch.std) computes it
        m.put("advantages/std", Statistics.sampleStd(a));
        m.put("completions/mean_length", n == 0 ? 0.0 : (double) lenSum / n);
        m.put("completions/max_length", maxLen);
        m.put("completions/min_length", n == 0 ? 0 : minLen);
        m.put("completions/clipped_ratio", n == 0 ? 0.0 : (double) truncated / n);
        if (tools) {
            ToolUse.metrics(s.completions, m);
        }
    }

    static double nanMean(double[] x) {
        return Statistics.mean(finite(x));
    }

    private static double[] finite(double[] x) {
        return Arrays.stream(x).filter(v -> !Double.isNaN(v)).toArray();
    }

    private static double[][] slice(double[][] a, int from, int to) {
        return Arrays.copyOfRange(a, from, to);
    }

    /** Completion-token log-probs (and entropies) of completions [from, to) from one teacher-forced pass. */
    private static final class MicroBatch {
        Forward forward;
        /** The model whose router replay this batch set (cleared after the backward pass), or null. */
        CausalLM model;
        double[][] logp;
        double[][] entropy;
        int[] promptLengths;

        void backward(double[][] dCompletionLogp) {
            double[][] full = new double[logp.length][];
            TokenBatch b = forward.batch();
            for (int i = 0; i < logp.length; i++) {
                full[i] = new double[b.length(i) - 1];
                System.arraycopy(dCompletionLogp[i], 0, full[i], promptLengths[i] - 1, dCompletionLogp[i].length);
            }
            forward.backward(full);
            if (model != null) {
                model.replayExpertChoices(null);
            }
        }
    }

    /** At the sampling temperature: the log-probs of the distribution the completions were drawn from (TRL). */
    private static MicroBatch forward(CausalLM model, ScoredGroups s, int from, int to, double temperature) {
        return forward(model, s, from, to, temperature, false, null);
    }

    /**
     * The pass of completions [from, to); for a DeepSeekMoE policy whose completions carry the rollout's router
     * record, replay (moe_router_replay) reuses the recorded experts, and mismatch (when not null) receives the
     * {differing, compared} (token, layer) pairs of the pass's own routing against the record. The replay stays set
     * until {@link MicroBatch#backward} (gradient checkpointing routes again there).
     */
    private static MicroBatch forward(CausalLM model, ScoredGroups s, int from, int to, double temperature,
                                      boolean replay, long[] mismatch) {
        MicroBatch mb = new MicroBatch();
        List<int[]> seqs = new ArrayList<>();
        mb.promptLengths = new int[to - from];
        for (int i = from; i < to; i++) {
            int[] p = s.promptIds.get(i);
            int[] c = s.completions.get(i).ids();
            int[] seq = Arrays.copyOf(p, p.length + c.length);
            System.arraycopy(c, 0, seq, p.length, c.length);
            seqs.add(seq);
            mb.promptLengths[i - from] = p.length;
        }
        TokenBatch batch = TokenBatch.of(seqs);
        List<Completion> completions = s.completions.subList(from, to);
        RouterReplay router = model.hasMoe() && RouterReplay.recorded(completions)
                && (replay || mismatch != null)
                ? new RouterReplay(model, mb.promptLengths, completions, model.gridWidth(batch)) : null;
        if (router != null) {
            model.setRecordingExpertChoices(mismatch != null);
            model.replayExpertChoices(replay ? router.replay(to - from) : null);
            mb.model = model;
        }
        // greedy sampling (temperature 0) records temperature-1 log-probs
        mb.forward = model.forward(batch, temperature > 0 ? temperature : 1.0);
        if (router != null && mismatch != null) {
            long[] mm = router.mismatch(model.lastExpertChoices());
            mismatch[0] += mm[0];
            mismatch[1] += mm[1];
            model.setRecordingExpertChoices(false);
        }
        double[][] all = mb.forward.tokenLogProbs();
        double[][] ent = mb.forward.tokenEntropies();
        mb.logp = new double[to - from][];
        mb.entropy = new double[to - from][];
        for (int i = 0; i < to - from; i++) {
            int cl = s.completions.get(from + i).length();
            mb.logp[i] = Arrays.copyOfRange(all[i], mb.promptLengths[i] - 1, mb.promptLengths[i] - 1 + cl);
            mb.entropy[i] = Arrays.copyOfRange(ent[i], mb.promptLengths[i] - 1, mb.promptLengths[i] - 1 + cl);
        }
        return mb;
    }

    /** Completion log-probs under the reference: the model with its LoRA adapters off, if it has any. */
    private double[][] referenceLogProbs(ScoredGroups s) {
        boolean adapters = reference.adaptersEnabled();
        reference.setAdaptersEnabled(false);
        try {
            return logProbs(reference, s, false);
        } finally {
            reference.setAdaptersEnabled(adapters);
        }
    }

    /** Completion log-probs of model; replay: the policy's own pass (pi_old) under moe_router_replay. */
    private double[][] logProbs(CausalLM model, ScoredGroups s, boolean replay) {
        int n = s.completions.size();
        double[][] out = new double[n][];
        for (int from = 0; from < n; from += config.batchSize) {
            int to = Math.min(n, from + config.batchSize);
            MicroBatch mb = forward(model, s, from, to, config.temperature, replay, null);
            if (replay) {
                model.replayExpertChoices(null); // no backward pass follows
            }
            System.arraycopy(mb.logp, 0, out, from, to - from);
        }
        return out;
    }
}
