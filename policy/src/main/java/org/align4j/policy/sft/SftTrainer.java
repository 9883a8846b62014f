package org.align4j.policy.sft;

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
import org.align4j.policy.model.Forward;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.model.ModelConfig;
import org.align4j.policy.model.TokenBatch;
import org.align4j.policy.ops.Backends;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.policy.train.DataOrder;
import org.align4j.policy.train.MetricsWindow;
import org.align4j.policy.train.Optimization;
import org.align4j.policy.train.RunDirectory;
import org.align4j.policy.train.TrainedModel;
import org.align4j.policy.train.TrainerState;
import org.align4j.policy.train.TrainingLoop;
import org.align4j.policy.train.TrainingStep;
import org.align4j.policy.util.BadInputException;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Supervised fine-tuning: minimise the mean negative log-likelihood of the loss tokens of each optimizer
 * batch (batch_size x gradient_accumulation_steps examples per rank; TRL's per-device batch, so N data-parallel
 * ranks take N times as many examples a step). The step of a {@link TrainingLoop}, which owns the run directory,
 * cadence, checkpoints and exact resume. With several ranks, each takes its contiguous share of the step's
 * examples and normalises by the loss tokens of the whole step, so the summed gradients are those of one rank
 * taking the whole step.
 */
public final class SftTrainer implements TrainingStep {
    private final SftConfig config;
    private final boolean resume;
    private final PrintStream log;

    private Path tokDir;
    private CausalLM model;
    private List<SftExample> train;
    private List<SftExample> eval;
    private Optimization opt;
    private DataOrder order;
    private long position;
    private double lastLoss = Double.NaN;
    private final MetricsWindow window = new MetricsWindow();
    private long tokensSinceLog;
    private long logStartNs = System.nanoTime();

    /** What a finished run left behind. */
    public record Result(Path runDir, Path finalModel, long steps, double lastLoss, Double lastEvalLoss) {
        /** What the sft command prints (one JSON object): run_dir, final_model, steps, loss and eval_loss. */
        public Map<String, Object> summary() {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("run_dir", runDir.toString());
            out.put("final_model", finalModel.toString());
            out.put("steps", steps);
            out.put("loss", lastLoss);
            if (lastEvalLoss != null) {
                out.put("eval_loss", lastEvalLoss);
            }
            return out;
        }
    }

    public SftTrainer(SftConfig config, boolean resume, PrintStream log) {
        this.config = config;
        this.resume = resume;
        this.log = log;
    }

    public Result train() {
        TrainingLoop.Outcome o = new TrainingLoop(config, resume, log).run(this);
        Object evalLoss = o.lastEval().get("eval_loss");
        return new Result(o.runDir(), o.finalModel(), o.steps(), lastLoss,
                evalLoss == null ? null : ((Number) evalLoss).doubleValue());
    }

    @Override
    public String name() {
        return "sft";
    }

    @Override
    public String unit() {
        return "tok";
    }

    @Override
    public long prepare(Optional<RunDirectory.Checkpoint> resumeFrom) {
        tokDir = tokenizerPath();
        Tokenizer tokenizer = tokDir == null ? null : Tokenizer.load(tokDir);
        if (resumeFrom.isPresent()) {
            model = TrainedModel.resumed(resumeFrom.get().dir().resolve(RunDirectory.MODEL_DIR), baseDir(), Backends.current());
            position = resumeFrom.get().state().dataPosition();
        } else {
            model = newOrLoadedModel(tokenizer);
            TrainedModel.adapt(model, config);
        }
        config.applyTo(model);
        config.checkMemory(model, false, config.batchSize, config.maxLength, 0, 0);
        train = SftDataset.read(Paths.get(config.trainFile), tokenizer, config.maxLength, config.completionOnlyLoss,
                config.assistantOnlyLoss, 0);
        eval = config.evalFile == null ? List.of()
                : SftDataset.read(Paths.get(config.evalFile), tokenizer, config.maxLength, config.completionOnlyLoss,
                config.assistantOnlyLoss, config.evalLimit);
        checkVocabulary(model, train);
        int perStep = perStep() * config.collective().size();
        long stepsPerEpoch = (train.size() + perStep - 1) / perStep;
        long total = config.totalSteps(stepsPerEpoch);
        opt = new Optimization(model.parameters(), config, total, model.ops());
        opt.afterEachStep(r -> model.afterOptimizerStep(!r.skipped()));
        resumeFrom.ifPresent(ck -> opt.load(ck.dir()));
        order = new DataOrder(train.size(), config.seed);
        log.printf("sft: %d examples, %d steps of %d examples, model of %,d parameters%n", train.size(), total,
                perStep, model.parameterCount());
        return total;
    }

    private int perStep() {
        return config.batchSize * config.gradientAccumulationSteps;
    }

    @Override
    public Report step(long step) {
        int perStep = perStep();
        long first = position + (long) config.collective().rank() * perStep;
        List<SftExample> batch = new ArrayList<>(perStep);
        for (int i = 0; i < perStep; i++) {
            batch.add(train.get(order.at(first + i)));
        }
        position += (long) perStep * config.collective().size();
        model.setTraining(true);
        StepLoss sl = accumulate(model, batch);
        model.setTraining(false);
        Optimization.StepResult r = opt.step(step);
        lastLoss = sl.loss;
        tokensSinceLog += sl.tokens;
        window.add("loss", sl.loss);
        return Report.of(sl.loss, r, sl.tokens, Map.of("loss", sl.loss));
    }

    @Override
    public Map<String, Object> logs(long stepsDone) {
        Map<String, Object> m = window.means();
        double secs = (System.nanoTime() - logStartNs) / 1e9;
        m.put("tokens_per_s", tokensSinceLog / Math.max(secs, 1e-9));
        m.put("epoch", order.epochOf(position));
        m.putAll(model.takeMoeLoadMetrics());
        tokensSinceLog = 0;
        logStartNs = System.nanoTime();
        return m;
    }

    @Override
    public boolean hasEval() {
        return !eval.isEmpty();
    }

    @Override
    public Map<String, Object> evaluate() {
        return Map.of("eval_loss", evalLoss(model, eval));
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
        TrainedModel.save(model, dir.resolve(RunDirectory.MODEL_DIR), tokDir, baseDir());
        opt.save(dir);
    }

    @Override
    public void saveFinal(Path dir) {
        TrainedModel.save(model, dir, tokDir, baseDir());
    }

    @Override
    public List<String> plotted() {
        return List.of("loss", "eval_loss", "learning_rate", "grad_norm");
    }

    private record StepLoss(double loss, long tokens) {
    }

    /**
     * Forward and backward over this rank's share of the optimizer batch in micro-batches; returns the whole
     * batch's mean NLL (over every rank's loss tokens).
     */
    private StepLoss accumulate(CausalLM model, List<SftExample> batch) {
        long lossTokens = 0;
        long tokens = 0;
        for (SftExample e : batch) {
            lossTokens += e.lossTokens();
            tokens += e.ids().length;
        }
        lossTokens = Math.round(config.collective().sum(lossTokens));
        if (lossTokens == 0) {
            return new StepLoss(0.0, tokens);
        }
        double nll = 0;
        for (int from = 0; from < batch.size(); from += config.batchSize) {
            List<SftExample> micro = batch.subList(from, Math.min(batch.size(), from + config.batchSize));
            List<int[]> seqs = new ArrayList<>();
            for (SftExample e : micro) {
                seqs.add(e.ids());
            }
            Forward f = model.forward(TokenBatch.of(seqs));
            double[][] lp = f.tokenLogProbs();
            double[][] grad = new double[lp.length][];
            for (int b = 0; b < lp.length; b++) {
                boolean[] mask = micro.get(b).lossOnTarget();
                grad[b] = new double[lp[b].length];
                for (int t = 0; t < lp[b].length; t++) {
                    if (mask[t]) {
                        nll -= lp[b][t];
                        grad[b][t] = -1.0 / lossTokens;
                    }
                }
            }
            f.backward(grad);
        }
        return new StepLoss(config.collective().sum(nll) / lossTokens, tokens);
    }

    /** Mean NLL over the loss tokens of the given examples. */
    public static double evalLoss(CausalLM model, List<SftExample> examples) {
        double nll = 0;
        long n = 0;
        int micro = 16;
        for (int from = 0; from < examples.size(); from += micro) {
            List<SftExample> part = examples.subList(from, Math.min(examples.size(), from + micro));
            List<int[]> seqs = new ArrayList<>();
            for (SftExample e : part) {
                seqs.add(e.ids());
            }
            double[][] lp = model.forward(TokenBatch.of(seqs)).tokenLogProbs();
            for (int b = 0; b < lp.length; b++) {
                boolean[] mask = part.get(b).lossOnTarget();
                for (int t = 0; t < lp[b].length; t++) {
                    if (mask[t]) {
                        nll -= lp[b][t];
                        n++;
                    }
                }
            }
        }
        return n == 0 ? 0.0 : nll / n;
    }

    private Path baseDir() {
        return config.modelNameOrPath == null ? null : Paths.get(config.modelNameOrPath);
    }

    private Path tokenizerPath() {
        if (config.tokenizer != null) {
            return Paths.get(config.tokenizer);
        }
        if (config.modelNameOrPath != null && Files.isRegularFile(Paths.get(config.modelNameOrPath, "tokenizer.json"))) {
            return Paths.get(config.modelNameOrPath);
        }
        return null;
    }

    private CausalLM newOrLoadedModel(Tokenizer tokenizer) {
        if (config.modelNameOrPath != null) {
            return HfCheckpoint.load(Paths.get(config.modelNameOrPath), Backends.current());
        }
        ModelConfig mc = ModelConfig.read(Paths.get(config.initConfig));
        if (tokenizer != null && tokenizer.vocabSize() > mc.vocabSize) {
            throw new BadInputException(config.initConfig + ": vocab_size " + mc.vocabSize
                    + " is smaller than the tokenizer's " + tokenizer.vocabSize());
        }
        return CausalLM.initialize(mc, DataType.FLOAT, config.seed, Backends.current());
    }

    private static void checkVocabulary(CausalLM model, List<SftExample> data) {
        int v = model.config().vocabSize;
        for (SftExample e : data) {
            for (int id : e.ids()) {
                if (id < 0 || id >= v) {
                    throw new BadInputException("token id " + id + " in the training data is outside the model's "
                            + "vocabulary of " + v);
                }
            }
        }
    }
}
