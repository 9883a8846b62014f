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
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.ops.Backends;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.policy.train.DataOrder;
import org.align4j.policy.train.MetricsWindow;
import org.align4j.policy.train.Optimization;
import org.align4j.policy.train.RunDirectory;
import org.align4j.policy.train.TrainerState;
import org.align4j.policy.train.TrainingLoop;
import org.align4j.policy.train.TrainingStep;
import org.align4j.policy.util.BadInputException;

/**
 * The part of an offline preference trainer (KTO, ORPO, SimPO) that is not its loss: load the policy and the
 * rows, draw batch_size x gradient_accumulation_steps examples per step, take one optimizer step on the loss the
 * subclass computes over micro-batches of batch_size, average the step's metrics over the logging window, evaluate,
 * checkpoint and save, all on the shared {@link TrainingLoop}.
 *
 * @param <E> one training example (a pair, or an unpaired completion)
 */
public abstract class PreferenceTrainer<E> implements TrainingStep {
    protected final PreferenceDataConfig config;
    private final boolean resume;
    protected final PrintStream log;

    protected Path modelDir;
    protected Path tokDir;
    protected Tokenizer tokenizer;
    protected CausalLM policy;
    private Optimization opt;
    private List<E> train;
    private List<E> eval;
    private DataOrder order;
    private long position;
    private final MetricsWindow window = new MetricsWindow();
    private Map<String, Object> lastTrain = Map.of();

    /** What a finished run left behind, with the last logged train and eval metrics. */
    public record Result(Path runDir, Path finalModel, long steps, Map<String, Object> train,
                         Map<String, Object> eval) {
    }

    protected PreferenceTrainer(PreferenceDataConfig config, boolean resume, PrintStream log) {
        this.config = config;
        this.resume = resume;
        this.log = log;
    }

    public Result train() {
        TrainingLoop.Outcome o = new TrainingLoop(config, resume, log).run(this);
        return new Result(o.runDir(), o.finalModel(), o.steps(), lastTrain, o.lastEval());
    }

    /** The examples of a JSONL file (truncated to max_length). */
    protected abstract List<E> read(Path file);

    /** The longest prompt + completion of an example, for the max_position_embeddings check. */
    protected abstract int length(E example);

    /** Called after the policy is loaded: load what else the loss needs (a reference model). */
    protected void loadModels(Optional<RunDirectory.Checkpoint> resumeFrom) {
    }

    /**
     * Forward passes over the examples in micro-batches of batch_size, per-example metrics into sums; returns the
     * loss. With backward (the step's examples) also the backward passes: gradients accumulate so that the step
     * minimizes the mean loss over all of them. Without (the eval set) only the metrics.
     */
    protected abstract double run(List<E> examples, StepSums sums, boolean backward);

    /** The pairs of a JSONL file ({@code {prompt, chosen, rejected}} rows), truncated to max_length. */
    protected List<PreferencePair> readPairs(Path file) {
        PreferenceDataset d = PreferenceDataset.read(file, tokenizer, config.truncation(), policy.config().vocabSize);
        log.printf("%s: %s: %d pairs, %d truncated to max_length %d%n", name(), file, d.size(), d.truncated(),
                config.maxLength);
        return d.pairs();
    }

    /** What the progress bar shows of a step's sums. */
    protected abstract Map<String, Double> progress(StepSums sums);

    @Override
    public String unit() {
        return "ex";
    }

    @Override
    public long prepare(Optional<RunDirectory.Checkpoint> resumeFrom) {
        modelDir = Paths.get(config.modelNameOrPath);
        tokDir = Files.isRegularFile(modelDir.resolve("tokenizer.json")) ? modelDir : null;
        tokenizer = tokDir == null ? null : Tokenizer.load(tokDir);
        if (resumeFrom.isPresent()) {
            policy = HfCheckpoint.load(resumeFrom.get().dir().resolve(RunDirectory.MODEL_DIR), Backends.current());
            position = resumeFrom.get().state().dataPosition();
        } else {
            policy = HfCheckpoint.load(modelDir, Backends.current());
        }
        policy.setMoeAuxLossWeight(config.moeAuxLossWeight);
        config.applyBf16(policy);
        policy.setAuxFreeBiasUpdateSpeed(config.auxFreeBiasUpdateSpeed);
        loadModels(resumeFrom);
        train = checked(read(Paths.get(config.trainFile)), config.trainFile);
        eval = config.evalFile == null ? List.of() : checked(read(Paths.get(config.evalFile)), config.evalFile);
        int perStep = config.batchSize * config.gradientAccumulationSteps;
        long total = config.totalSteps((train.size() + perStep - 1) / perStep);
        opt = new Optimization(policy.parameters(), config, total, policy.ops());
        opt.afterEachStep(r -> policy.afterOptimizerStep(!r.skipped()));
        resumeFrom.ifPresent(ck -> opt.load(ck.dir()));
        order = new DataOrder(train.size(), config.seed);
        log.printf("%s: %d examples, %d steps of %d, model of %,d parameters%n", name(), train.size(), total, perStep,
                policy.parameterCount());
        return total;
    }

    private List<E> checked(List<E> examples, String file) {
        if (examples.isEmpty()) {
            throw new BadInputException(file + ": no examples");
        }
        int maxPositions = policy.config().maxPositions;
        for (E e : examples) {
            if (length(e) > maxPositions) {
                throw new BadInputException(file + ": an example of " + length(e) + " tokens exceeds the model's "
                        + "max_position_embeddings " + maxPositions + " (lower max_length)");
            }
        }
        return examples;
    }

    @Override
    public Report step(long step) {
        int perStep = config.batchSize * config.gradientAccumulationSteps;
        List<E> batch = new ArrayList<>(perStep);
        for (int i = 0; i < perStep; i++) {
            batch.add(train.get(order.at(position++)));
        }
        StepSums sums = new StepSums();
        double loss = run(batch, sums, true);
        Optimization.StepResult r = opt.step(step);
        window.add(sums.means(""));
        return Report.of(loss, r, batch.size(), progress(sums));
    }

    @Override
    public Map<String, Object> logs(long stepsDone) {
        lastTrain = window.means();
        Map<String, Object> m = new LinkedHashMap<>(lastTrain);
        m.put("epoch", order.epochOf(position));
        m.putAll(policy.takeMoeLoadMetrics());
        return m;
    }

    @Override
    public boolean hasEval() {
        return !eval.isEmpty();
    }

    @Override
    public Map<String, Object> evaluate() {
        StepSums sums = new StepSums();
        run(eval, sums, false);
        return new LinkedHashMap<>(sums.means("eval_"));
    }

    @Override
    public TrainerState state(long stepsDone) {
        return new TrainerState(stepsDone, null, position);
    }

    @Override
    public Optimization optimization() {
        return opt;
    }

    @Override
    public void saveCheckpoint(Path dir) {
        HfCheckpoint.save(policy, dir.resolve(RunDirectory.MODEL_DIR), tokDir);
        opt.save(dir);
    }

    @Override
    public void saveFinal(Path dir) {
        HfCheckpoint.save(policy, dir, tokDir);
    }

    /** Consecutive slices of at most batch_size examples. */
    protected List<List<E>> microBatches(List<E> examples) {
        List<List<E>> out = new ArrayList<>();
        for (int from = 0; from < examples.size(); from += config.batchSize) {
            out.add(examples.subList(from, Math.min(examples.size(), from + config.batchSize)));
        }
        return out;
    }
}
