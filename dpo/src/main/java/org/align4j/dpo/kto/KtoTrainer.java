package org.align4j.dpo.kto;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.align4j.dpo.CompletionBatch;
import org.align4j.dpo.PreferenceTrainer;
import org.align4j.dpo.StepSums;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.Forward;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.ops.Backends;
import org.align4j.policy.train.RunDirectory;

/**
 * KTO (Ethayarajh et al. 2024, TRL's KTOTrainer) on unpaired completions labelled desirable or undesirable, against
 * a frozen reference (the starting model). Each micro-batch estimates the KL reference point from mismatched
 * prompt/completion pairs (each prompt with the previous example's completion, as TRL), then takes {@link KtoLoss}.
 * Logs TRL's metrics: loss, kl, rewards/chosen, rewards/rejected (means over desirable and undesirable examples),
 * rewards/margins, logps/chosen, logps/rejected.
 */
public final class KtoTrainer extends PreferenceTrainer<KtoExample> {
    private final KtoLoss loss;
    private CausalLM reference;

    public KtoTrainer(KtoConfig config, boolean resume, PrintStream log) {
        super(config, resume, log);
        this.loss = config.loss();
    }

    @Override
    public String name() {
        return "kto";
    }

    @Override
    protected void loadModels(Optional<RunDirectory.Checkpoint> resumeFrom) {
        // the reference is the starting model, which a resumed policy no longer is
        reference = resumeFrom.isPresent() ? HfCheckpoint.load(modelDir, Backends.current()) : policy.copy();
        config.applyToReference(reference, policy);
    }

    @Override
    protected List<KtoExample> read(Path file) {
        List<KtoExample> d = UnpairedDataset.read(file, tokenizer, config.truncation(), policy.config().vocabSize);
        long desirable = d.stream().filter(KtoExample::desirable).count();
        log.printf("kto: %s: %d desirable and %d undesirable examples%n", file, desirable, d.size() - desirable);
        return d;
    }

    @Override
    protected int length(KtoExample e) {
        return e.length();
    }

    @Override
    protected double run(List<KtoExample> examples, StepSums sums, boolean backward) {
        double total = 0;
        for (List<KtoExample> mb : microBatches(examples)) {
            int n = mb.size();
            List<int[]> prompts = new ArrayList<>();
            List<int[]> completions = new ArrayList<>();
            List<int[]> shifted = new ArrayList<>();
            boolean[] desirable = new boolean[n];
            for (int i = 0; i < n; i++) {
                prompts.add(mb.get(i).prompt());
                completions.add(mb.get(i).completion());
                shifted.add(mb.get((i + n - 1) % n).completion());
                desirable[i] = mb.get(i).desirable();
            }
            double z0 = 0;
            if (loss.type().usesReferencePoint()) {
                // before the policy's own pass: a later pass of the same shape would overwrite that one
                CompletionBatch mismatched = new CompletionBatch(prompts, shifted, false);
                z0 = KtoLoss.referencePoint(mismatched.logps(policy.forward(mismatched.tokens()).tokenLogProbs()),
                        mismatched.logps(reference.forward(mismatched.tokens()).tokenLogProbs()));
            }
            CompletionBatch b = new CompletionBatch(prompts, completions, false);
            Forward f = policy.forward(b.tokens());
            double[] logp = b.logps(f.tokenLogProbs());
            double[] ref = b.logps(reference.forward(b.tokens()).tokenLogProbs());
            KtoLoss.Result r = loss.compute(logp, ref, desirable, z0, examples.size());
            if (backward) {
                f.backward(b.spread(r.dLogp));
            }
            total += r.loss;
            sums.add("kl", z0);
            for (int i = 0; i < n; i++) {
                String side = desirable[i] ? "chosen" : "rejected";
                sums.add("rewards/" + side, r.rewards[i]);
                sums.add("logps/" + side, logp[i]);
            }
        }
        sums.addTotal("loss", total);
        double margin = sums.mean("rewards/chosen") - sums.mean("rewards/rejected");
        if (Double.isFinite(margin)) {
            sums.add("rewards/margins", margin);
        }
        return total;
    }

    @Override
    protected Map<String, Double> progress(StepSums sums) {
        return Map.of("loss", sums.mean("loss"), "kl", sums.mean("kl"));
    }

    @Override
    public List<String> plotted() {
        return List.of("loss", "eval_loss", "kl", "rewards/chosen", "rewards/rejected", "rewards/margins",
                "learning_rate", "grad_norm");
    }
}
