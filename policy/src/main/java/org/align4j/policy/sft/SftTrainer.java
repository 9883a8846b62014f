package org.align4j.policy.sft;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.Forward;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.model.ModelConfig;
import org.align4j.policy.model.TokenBatch;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.policy.train.ConfigLoader;
import org.align4j.policy.train.DataOrder;
import org.align4j.policy.train.MetricsPlotter;
import org.align4j.policy.train.Optimization;
import org.align4j.policy.train.ProgressBar;
import org.align4j.policy.train.RunDirectory;
import org.align4j.policy.train.TrainerState;
import org.align4j.policy.util.BadInputException;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Supervised fine-tuning: minimise the mean negative log-likelihood of the loss tokens of each optimizer
 * batch (batch_size x gradient_accumulation_steps examples), with the shared run directory, checkpoints
 * and exact resume.
 */
public final class SftTrainer {
    private final SftConfig config;
    private final boolean resume;
    private final PrintStream log;

    /** What a finished run left behind. */
    public record Result(Path runDir, Path finalModel, long steps, double lastLoss, Double lastEvalLoss) {
    }

    public SftTrainer(SftConfig config, boolean resume, PrintStream log) {
        this.config = config;
        this.resume = resume;
        this.log = log;
    }

    public Result train() {
        try (RunDirectory run = RunDirectory.open(Paths.get(config.outputDir), resume)) {
            return train(run);
        }
    }

    private Result train(RunDirectory run) {
        Path tokDir = tokenizerPath();
        Tokenizer tokenizer = tokDir == null ? null : Tokenizer.load(tokDir);
        CausalLM model;
        TrainerState state;
        if (run.resumedFrom().isPresent()) {
            RunDirectory.Checkpoint ck = run.resumedFrom().get();
            model = HfCheckpoint.load(ck.dir().resolve(RunDirectory.MODEL_DIR));
            state = ck.state();
            log.println("resuming " + run.dir() + " from step " + state.step());
        } else {
            model = newOrLoadedModel(tokenizer);
            state = new TrainerState(0, null, 0);
            run.writeConfig(ConfigLoader.dump(config));
        }
        model.setMoeAuxLossWeight(config.moeAuxLossWeight);
        List<SftExample> train = SftDataset.read(Paths.get(config.trainFile), tokenizer, config.maxLength,
                config.completionOnlyLoss, config.assistantOnlyLoss, 0);
        List<SftExample> eval = config.evalFile == null ? List.of()
                : SftDataset.read(Paths.get(config.evalFile), tokenizer, config.maxLength, config.completionOnlyLoss,
                config.assistantOnlyLoss, config.evalLimit);
        checkVocabulary(model, train);
        int perStep = config.batchSize * config.gradientAccumulationSteps;
        long stepsPerEpoch = (train.size() + perStep - 1) / perStep;
        long total = config.totalSteps(stepsPerEpoch);
        Optimization opt = new Optimization(model.parameters(), config, total, model.ops());
        run.resumedFrom().ifPresent(ck -> opt.load(ck.dir()));
        DataOrder order = new DataOrder(train.size(), config.seed);
        log.printf("sft: %d examples, %d steps of %d examples, model of %,d parameters%n", train.size(), total,
                perStep, model.parameterCount());
        ProgressBar bar = new ProgressBar("sft", state.step(), total, "tok");
        long position = state.dataPosition();
        double lastLoss = Double.NaN;
        Double lastEval = null;
        long tokensSinceLog = 0;
        long tokensSeen = 0;
        long startNs = System.nanoTime();
        for (long step = state.step(); step < total; step++) {
            List<SftExample> batch = new ArrayList<>(perStep);
            for (int i = 0; i < perStep; i++) {
                batch.add(train.get(order.at(position++)));
            }
            StepLoss sl = accumulate(model, batch);
            Optimization.StepResult r = opt.step(step);
            tokensSinceLog += sl.tokens;
            tokensSeen += sl.tokens;
            lastLoss = sl.loss;
            long done = step + 1;
            if (r.skipped() || !Double.isFinite(sl.loss)) {
                log.printf("step %d: non-finite loss or gradient (loss %s, grad norm %s); step skipped%n", done,
                        sl.loss, r.gradNorm());
            }
            bar.update(done, tokensSeen, Map.of("loss", sl.loss));
            Map<String, Object> m = new LinkedHashMap<>();
            if (done % config.loggingSteps == 0 || done == total) {
                double secs = (System.nanoTime() - startNs) / 1e9;
                m.put("loss", sl.loss);
                m.put("learning_rate", r.learningRate());
                m.put("grad_norm", r.gradNorm());
                m.put("tokens_per_s", tokensSinceLog / Math.max(secs, 1e-9));
                m.put("epoch", order.epochOf(position));
                tokensSinceLog = 0;
                startNs = System.nanoTime();
            }
            if (!eval.isEmpty() && config.evalSteps > 0 && (done % config.evalSteps == 0 || done == total)) {
                lastEval = evalLoss(model, eval);
                m.put("eval_loss", lastEval);
            }
            if (!m.isEmpty()) {
                run.logMetrics(done, m);
            }
            boolean save = config.saveSteps > 0 && done % config.saveSteps == 0 && done < total;
            if (save && !r.skipped()) {
                long pos = position;
                run.saveCheckpoint(new TrainerState(done, null, pos), dir -> {
                    HfCheckpoint.save(model, dir.resolve(RunDirectory.MODEL_DIR), tokDir);
                    opt.save(dir);
                }, config.saveTotalLimit);
            }
        }
        bar.finish();
        Path finalDir = run.dir().resolve("final");
        HfCheckpoint.save(model, finalDir, tokDir);
        plot(run.dir());
        log.println("sft: final model in " + finalDir);
        return new Result(run.dir(), finalDir, total, lastLoss, lastEval);
    }

    private record StepLoss(double loss, long tokens) {
    }

    /** Forward and backward over the optimizer batch in micro-batches; returns the batch's mean NLL. */
    private StepLoss accumulate(CausalLM model, List<SftExample> batch) {
        long lossTokens = 0;
        long tokens = 0;
        for (SftExample e : batch) {
            lossTokens += e.lossTokens();
            tokens += e.ids().length;
        }
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
        return new StepLoss(nll / lossTokens, tokens);
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
            return HfCheckpoint.load(Paths.get(config.modelNameOrPath));
        }
        ModelConfig mc = ModelConfig.read(Paths.get(config.initConfig));
        if (tokenizer != null && tokenizer.vocabSize() > mc.vocabSize) {
            throw new BadInputException(config.initConfig + ": vocab_size " + mc.vocabSize
                    + " is smaller than the tokenizer's " + tokenizer.vocabSize());
        }
        return CausalLM.initialize(mc, DataType.FLOAT, config.seed);
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

    private static void plot(Path runDir) {
        MetricsPlotter.plotLogged(runDir.resolve(RunDirectory.METRICS), runDir.resolve("metrics.png"),
                List.of("loss", "eval_loss", "learning_rate", "grad_norm"));
    }
}
