package org.align4j.dpo;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.align4j.dpo.loss.PreferenceLosses;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.ops.Backends;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.policy.train.DataOrder;
import org.align4j.policy.train.Optimization;
import org.align4j.policy.train.ProgressBar;
import org.align4j.policy.train.RunDirectory;
import org.align4j.policy.train.TrainedModel;
import org.align4j.policy.train.TrainerState;
import org.align4j.policy.train.TrainingLoop;
import org.align4j.policy.train.TrainingStep;
import org.align4j.policy.util.BadInputException;

/**
 * A DPO run: reads the pairs, loads the policy (and its reference, the same model frozen), trains with
 * {@link DpoBatchTrainer}, logs TRL's metrics (eval ones prefixed {@code eval_}) to metrics.jsonl, saves
 * checkpoints in the run directory, resumes exactly with {@code resume}, and writes the final model in Hugging
 * Face layout, with the tokenizer files of model_name_or_path, to {@code output_dir/final}.
 */
public final class DpoTrainer implements TrainingStep {
    /** What the end-of-run plot shows (those that were logged). */
    static final List<String> PLOTTED = List.of("loss", "eval_loss", "rewards/accuracies", "eval_rewards/accuracies",
            "rewards/margins", "eval_rewards/margins", "rewards/chosen", "rewards/rejected", "logps/chosen",
            "logps/rejected", "learning_rate", "grad_norm");

    private final DpoConfig config;
    private final boolean resume;
    private final PrintStream log;

    private Path tokDir;
    private CausalLM policy;
    private List<PreferencePair> train;
    private List<PreferencePair> eval;
    private DpoBatchTrainer trainer;
    private DataOrder order;
    private long position;
    private final DpoMetrics window = new DpoMetrics();
    private Map<String, Double> lastTrain = Map.of();

    /** What a finished run left behind, with the last logged train and eval metrics. */
    public record Result(Path runDir, Path finalModel, long steps, Map<String, Double> train,
                         Map<String, Double> eval) {
        /** What the dpo command prints (one JSON object): run_dir, final_model, steps, the last train and eval metrics. */
        public Map<String, Object> summary() {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("run_dir", runDir.toString());
            out.put("final_model", finalModel.toString());
            out.put("steps", steps);
            out.putAll(train);
            out.putAll(eval);
            return out;
        }
    }

    public DpoTrainer(DpoConfig config, boolean resume, PrintStream log) {
        this.config = config;
        this.resume = resume;
        this.log = log;
    }

    public Result train() {
        TrainingLoop.Outcome o = new TrainingLoop(config, resume, log).run(this);
        Map<String, Double> lastEval = doubles(o.lastEval());
        if (!lastEval.isEmpty()) {
            log.printf("dpo: eval reward accuracy %.3f, margin %.4f%n", lastEval.get("eval_rewards/accuracies"),
                    lastEval.get("eval_rewards/margins"));
        }
        return new Result(o.runDir(), o.finalModel(), o.steps(), lastTrain, lastEval);
    }

    private static Map<String, Double> doubles(Map<String, Object> m) {
        Map<String, Double> out = new LinkedHashMap<>();
        m.forEach((k, v) -> out.put(k, ((Number) v).doubleValue()));
        return out;
    }

    @Override
    public String name() {
        return "dpo";
    }

    @Override
    public String unit() {
        return "pairs";
    }

    @Override
    public long prepare(Optional<RunDirectory.Checkpoint> resumeFrom) {
        Path modelDir = Paths.get(config.modelNameOrPath);
        tokDir = Files.isRegularFile(modelDir.resolve("tokenizer.json")) ? modelDir : null;
        Tokenizer tokenizer = tokDir == null ? null : Tokenizer.load(tokDir);
        CausalLM referenceModel;
        if (resumeFrom.isPresent()) {
            policy = TrainedModel.resumed(resumeFrom.get().dir().resolve(RunDirectory.MODEL_DIR), modelDir, Backends.current());
            // the reference is the starting model, which the trained policy no longer is (with LoRA: the policy
            // with its adapters switched off, see ReferenceLogProbs.score)
            referenceModel = policy.hasAdapters() ? policy : HfCheckpoint.load(modelDir, Backends.current());
            position = resumeFrom.get().state().dataPosition();
        } else {
            policy = HfCheckpoint.load(modelDir, Backends.current());
            TrainedModel.adapt(policy, config);
            // precomputing runs before any update, so the policy itself can serve as the reference; so does a LoRA
            // policy, with its adapters off: no second copy of the weights (as TRL with PEFT)
            referenceModel = config.precomputeRefLogProbs || policy.hasAdapters() ? policy : policy.copy();
        }
        config.applyTo(policy);
        config.applyToReference(referenceModel, policy);
        PairTruncation truncation = config.truncation();
        int vocab = policy.config().vocabSize;
        PreferenceDataset trainSet = read(config.trainFile, tokenizer, truncation, vocab, policy);
        PreferenceDataset evalSet = config.evalFile == null ? null
                : read(config.evalFile, tokenizer, truncation, vocab, policy);
        train = trainSet.pairs();
        eval = evalSet == null ? List.of() : evalSet.pairs();
        boolean mean = PreferenceLosses.get(config.lossType).averagesTokens();

        ReferenceLogProbs reference;
        if (config.precomputeRefLogProbs) {
            train = precompute(referenceModel, train, mean, "train");
            eval = eval.isEmpty() ? eval : precompute(referenceModel, eval, mean, "eval");
            reference = ReferenceLogProbs.precomputed();
        } else {
            reference = ReferenceLogProbs.onTheFly(referenceModel);
        }

        int perStep = perStep() * config.collective().size();
        long stepsPerEpoch = (train.size() + perStep - 1) / perStep;
        long total = config.totalSteps(stepsPerEpoch);
        trainer = new DpoBatchTrainer(config, policy, reference, total);
        resumeFrom.ifPresent(ck -> trainer.optimization().load(ck.dir()));
        order = new DataOrder(train.size(), config.seed);
        log.printf("dpo: %d pairs, %d steps of %d pairs, loss %s (beta %s), reference %s, model of %,d parameters%n",
                train.size(), total, perStep, config.lossType, config.beta,
                config.precomputeRefLogProbs ? "precomputed" : "on the fly", policy.parameterCount());
        return total;
    }

    private int perStep() {
        return config.batchSize * config.gradientAccumulationSteps;
    }

    @Override
    public Report step(long step) {
        int perStep = perStep();
        // this rank's contiguous share of the step's pairs (every rank's is perStep: TRL's per-device batch)
        long first = position + (long) config.collective().rank() * perStep;
        List<PreferencePair> batch = new ArrayList<>(perStep);
        for (int i = 0; i < perStep; i++) {
            batch.add(train.get(order.at(first + i)));
        }
        position += (long) perStep * config.collective().size();
        DpoMetrics stepMetrics = new DpoMetrics();
        Optimization.StepResult r = trainer.step(batch, step, stepMetrics);
        window.add(stepMetrics);
        Map<String, Double> shown = new LinkedHashMap<>();
        shown.put("loss", stepMetrics.loss());
        shown.put("acc", stepMetrics.accuracy());
        shown.put("margin", stepMetrics.margin());
        return Report.of(stepMetrics.loss(), r, batch.size(), shown);
    }

    @Override
    public Map<String, Object> logs(long stepsDone) {
        lastTrain = window.means("");
        Map<String, Object> m = new LinkedHashMap<>(lastTrain);
        m.put("epoch", order.epochOf(position));
        window.reset();
        return m;
    }

    @Override
    public boolean hasEval() {
        return !eval.isEmpty();
    }

    @Override
    public Map<String, Object> evaluate() {
        DpoMetrics em = new DpoMetrics();
        trainer.evaluate(eval, em);
        return new LinkedHashMap<>(em.means("eval_"));
    }

    @Override
    public TrainerState state(long stepsDone) {
        return new TrainerState(stepsDone, null, position);
    }

    @Override
    public Optimization optimization() {
        return trainer.optimization();
    }

    @Override
    public void saveCheckpoint(Path dir) {
        TrainedModel.save(policy, dir.resolve(RunDirectory.MODEL_DIR), tokDir, Paths.get(config.modelNameOrPath));
        trainer.optimization().save(dir);
    }

    @Override
    public void saveFinal(Path dir) {
        TrainedModel.save(policy, dir, tokDir, Paths.get(config.modelNameOrPath));
    }

    @Override
    public List<String> plotted() {
        return PLOTTED;
    }

    private PreferenceDataset read(String file, Tokenizer tokenizer, PairTruncation truncation, int vocab,
                                   CausalLM policy) {
        PreferenceDataset d = PreferenceDataset.read(Paths.get(file), tokenizer, truncation, vocab);
        log.printf("dpo: %s: %d pairs, %d truncated to max_length %d (prompt first, %s)%n", file, d.size(),
                d.truncated(), config.maxLength, config.truncationMode);
        int maxPositions = policy.config().maxPositions;
        for (PreferencePair p : d.pairs()) {
            if (p.longestLength() > maxPositions) {
                throw new BadInputException(p.source() + ": " + p.longestLength() + " tokens exceed the model's "
                        + "max_position_embeddings " + maxPositions + " (lower max_length)");
            }
        }
        return d;
    }

    private List<PreferencePair> precompute(CausalLM reference, List<PreferencePair> pairs, boolean mean,
                                            String split) {
        ProgressBar bar = new ProgressBar("dpo reference (" + split + ")", 0, pairs.size(), "pairs");
        List<PreferencePair> out = ReferenceLogProbs.precompute(reference, pairs, config.refBatchSize(), mean,
                done -> bar.update(done, done, Map.of()));
        bar.finish();
        return out;
    }
}
