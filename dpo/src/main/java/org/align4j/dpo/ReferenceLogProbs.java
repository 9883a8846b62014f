package org.align4j.dpo;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import org.align4j.policy.model.CausalLM;

/**
 * Sequence log-probs of pairs under the reference policy pi_ref. Either precomputed once before training
 * ({@code precompute_ref_log_probs}: one forward pass over the data, after which no reference model needs to
 * stay in memory) and read from the pairs, or computed on the fly, batch by batch, by a frozen model.
 */
public final class ReferenceLogProbs {
    private final CausalLM frozen;

    private ReferenceLogProbs(CausalLM frozen) {
        this.frozen = frozen;
    }

    /** Reads the values {@link #precompute} stored in the pairs. */
    public static ReferenceLogProbs precomputed() {
        return new ReferenceLogProbs(null);
    }

    /** Runs frozen (never trained: no backward is ever called on it) on each batch. */
    public static ReferenceLogProbs onTheFly(CausalLM frozen) {
        return new ReferenceLogProbs(frozen);
    }

    /** {chosen, rejected} reference log-probs of the batch's pairs. */
    public double[][] of(PairBatch batch) {
        if (frozen != null) {
            return score(frozen, batch);
        }
        int n = batch.size();
        double[][] out = new double[2][n];
        for (int i = 0; i < n; i++) {
            PreferencePair p = batch.pairs().get(i);
            if (!p.hasReference()) {
                throw new IllegalStateException(p.source() + ": reference log-probs were not precomputed");
            }
            out[0][i] = p.refChosen();
            out[1][i] = p.refRejected();
        }
        return out;
    }

    /**
     * {chosen, rejected} sequence log-probs of the batch's pairs under model (a forward pass only); a model with
     * LoRA adapters is scored with them switched off (the base model is the reference of a LoRA policy).
     */
    public static double[][] score(CausalLM model, PairBatch batch) {
        boolean adapters = model.adaptersEnabled();
        model.setAdaptersEnabled(false);
        try {
            double[][] lp = model.forward(batch.tokens()).tokenLogProbs();
            return new double[][] {batch.chosen(lp), batch.rejected(lp)};
        } finally {
            model.setAdaptersEnabled(adapters);
        }
    }

    /**
     * The pairs with their reference log-probs filled in, scoring batchSize pairs per forward pass;
     * progress (may be null) hears the number of pairs done after each batch.
     */
    public static List<PreferencePair> precompute(CausalLM reference, List<PreferencePair> pairs, int batchSize,
                                                  boolean meanOverTokens, IntConsumer progress) {
        List<PreferencePair> out = new ArrayList<>(pairs.size());
        for (int from = 0; from < pairs.size(); from += batchSize) {
            List<PreferencePair> chunk = pairs.subList(from, Math.min(pairs.size(), from + batchSize));
            double[][] lp = score(reference, new PairBatch(chunk, meanOverTokens));
            for (int i = 0; i < chunk.size(); i++) {
                out.add(chunk.get(i).withReference(lp[0][i], lp[1][i]));
            }
            if (progress != null) {
                progress.accept(out.size());
            }
        }
        return out;
    }
}
