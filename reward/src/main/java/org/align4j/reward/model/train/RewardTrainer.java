package org.align4j.reward.model.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.align4j.policy.io.AtomicFiles;
import org.align4j.policy.io.JsonlReader;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.model.ModelConfig;
import org.align4j.policy.ops.Backends;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.policy.train.Optimization;
import org.align4j.policy.train.RunDirectory;
import org.align4j.policy.train.TrainedModel;
import org.align4j.policy.train.TrainerState;
import org.align4j.policy.train.TrainingLoop;
import org.align4j.policy.train.TrainingStep;
import org.align4j.policy.util.BadInputException;
import org.align4j.reward.model.RewardEncoder;
import org.align4j.reward.model.RewardForward;
import org.align4j.reward.model.RewardModel;
import org.align4j.reward.model.RewardModelKind;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Trains an outcome or process reward model (see {@link RewardExample} for the losses) with the shared run
 * directory, checkpoints and exact resume. Each optimizer batch (batch_size x gradient_accumulation_steps
 * examples) mixes the new rows of train_file with a replay_fraction share of historical rows from the
 * {@link ReplayBuffer} ({@link ReplayMixer}); when training ends the new rows join the buffer, so the next
 * retraining replays them. Replay draws from the buffer as it was when the run started (copied into the run
 * directory as replay_snapshot.jsonl), so a resumed run draws exactly the same rows.
 */
public final class RewardTrainer implements TrainingStep {
    public static final String REPLAY_SNAPSHOT = "replay_snapshot.jsonl";
    private static final int EVAL_BATCH = 16;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RewardConfig config;
    private final boolean resume;
    private final PrintStream log;

    private Path tokDir;
    private RewardModel model;
    private RewardModelKind kind;
    private RewardDataset.Loaded train;
    private List<RewardExample> eval;
    private ReplayBuffer buffer;
    private List<Map<String, Object>> replayRows;
    private List<RewardExample> replay;
    private ReplayMixer mixer;
    private Optimization opt;
    private RewardMetrics window = new RewardMetrics();
    private RewardMetrics last = window;
    private long replayedInWindow;
    private long examplesInWindow;

    /** What a finished run left behind; eval values are null without eval_file. */
    public record Result(Path runDir, Path finalModel, RewardModelKind kind, long steps, double loss, double accuracy,
                         Double evalLoss, Double evalAccuracy, Double evalAuc) {
    }

    public RewardTrainer(RewardConfig config, boolean resume, PrintStream log) {
        this.config = config;
        this.resume = resume;
        this.log = log;
    }

    public Result train() {
        TrainingLoop.Outcome o = new TrainingLoop(config, resume, log).run(this);
        log.println("rm: " + kind.key() + " in " + o.finalModel() + " (replay buffer " + buffer.dir() + ": "
                + buffer.size() + " rows)");
        Map<String, Object> e = o.lastEval();
        return new Result(o.runDir(), o.finalModel(), kind, o.steps(), last.loss(), last.accuracy(),
                (Double) e.get("eval_loss"), (Double) e.get("eval_accuracy"), (Double) e.get("eval_auc"));
    }

    @Override
    public String name() {
        return "rm";
    }

    @Override
    public String unit() {
        return "ex";
    }

    @Override
    public long prepare(Optional<RunDirectory.Checkpoint> resumeFrom) {
        tokDir = tokenizerPath();
        Tokenizer tokenizer = Tokenizer.load(tokDir);
        model = resumeFrom.isPresent()
                ? RewardModel.load(resumeFrom.get().dir().resolve(RunDirectory.MODEL_DIR), Backends.current())
                : newOrLoadedModel(tokenizer);
        if (resumeFrom.isEmpty()) {
            TrainedModel.adapt(model.trunk(), config);
        }
        config.applyBf16(model.trunk());
        kind = model.kind();
        RewardEncoder encoder = new RewardEncoder(tokenizer, Math.min(config.maxLength, model.maxLength()));
        train = RewardDataset.read(Paths.get(config.trainFile), encoder, kind, 0);
        if (train.examples().isEmpty()) {
            throw new BadInputException(config.trainFile + ": every row is longer than max_length "
                    + encoder.maxLength());
        }
        eval = config.evalFile == null ? List.of()
                : RewardDataset.read(Paths.get(config.evalFile), encoder, kind, config.evalLimit).examples();
        checkVocabulary(model, train.examples());
        buffer = ReplayBuffer.open(replayDir(), config.replayCapacity, config.seed);
        replay = replayExamples(resumeFrom.isPresent(), buffer, encoder, kind);
        int perStep = config.batchSize * config.gradientAccumulationSteps;
        mixer = new ReplayMixer(train.examples().size(), replay.size(), perStep, config.replayFraction, config.seed);
        long total = config.totalSteps(mixer.batchesPerEpoch());
        opt = new Optimization(model.parameters(), config, total, model.trunk().ops());
        resumeFrom.ifPresent(ck -> opt.load(ck.dir()));
        log.printf("rm: %s on %d rows (%d dropped as longer than %d tokens) + %d replayed rows at %.0f%%, "
                        + "%d steps of %d, model of %,d parameters%n", kind.key(), train.examples().size(),
                train.tooLong(), encoder.maxLength(), replay.size(), 100 * (replay.isEmpty() ? 0 : config.replayFraction),
                total, perStep, model.trunk().parameterCount());
        return total;
    }

    /** A fresh run copies the replayed rows into the run directory, so that a resumed run draws the same. */
    @Override
    public void begin(RunDirectory run) {
        if (replayRows != null) {
            AtomicFiles.write(run.dir().resolve(REPLAY_SNAPSHOT), out -> {
                for (Map<String, Object> row : replayRows) {
                    out.write(JSON.writeValueAsBytes(row));
                    out.write('\n');
                }
            });
            replayRows = null;
        }
    }

    @Override
    public Report step(long step) {
        int perStep = config.batchSize * config.gradientAccumulationSteps;
        List<RewardExample> batch = new ArrayList<>(perStep);
        for (ReplayMixer.Pick p : mixer.batch(step)) {
            batch.add(p.replay() ? replay.get(p.index()) : train.examples().get(p.index()));
            replayedInWindow += p.replay() ? 1 : 0;
        }
        examplesInWindow += batch.size();
        RewardMetrics stepMetrics = new RewardMetrics();
        model.trunk().setTraining(true); // LoRA dropout in the passes that are backpropagated
        accumulate(model, batch, stepMetrics);
        model.trunk().setTraining(false);
        window.add(stepMetrics);
        Optimization.StepResult r = opt.step(step);
        return Report.of(stepMetrics.loss(), r, batch.size(), Map.of("loss", window.loss()));
    }

    @Override
    public Map<String, Object> logs(long stepsDone) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("loss", window.loss());
        m.put("accuracy", window.accuracy());
        m.put("auc", window.auc());
        m.put("epoch", mixer.epochOf(stepsDone));
        m.put("replay_share", (double) replayedInWindow / examplesInWindow);
        last = window;
        window = new RewardMetrics();
        replayedInWindow = 0;
        examplesInWindow = 0;
        return m;
    }

    @Override
    public boolean hasEval() {
        return !eval.isEmpty();
    }

    @Override
    public Map<String, Object> evaluate() {
        RewardMetrics e = evaluate(model, eval);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("eval_loss", e.loss());
        m.put("eval_accuracy", e.accuracy());
        m.put("eval_auc", e.auc());
        return m;
    }

    @Override
    public TrainerState state(long stepsDone) {
        return new TrainerState(stepsDone, null, mixer.freshBefore(stepsDone));
    }

    @Override
    public Optimization optimization() {
        return opt;
    }

    @Override
    public void saveCheckpoint(Path dir) {
        model.save(dir.resolve(RunDirectory.MODEL_DIR), tokDir, baseDir());
        opt.save(dir);
    }

    /** Writes the model; the new rows become history for the next retraining (idempotent on a resumed run). */
    @Override
    public void saveFinal(Path dir) {
        buffer.add(train.rows(), Paths.get(config.outputDir).toAbsolutePath().normalize().toString());
        model.save(dir, tokDir, baseDir());
    }

    @Override
    public List<String> plotted() {
        return List.of("loss", "accuracy", "auc", "eval_loss", "eval_accuracy", "eval_auc", "learning_rate",
                "grad_norm");
    }

    /** Forward and backward over the batch in micro-batches of batch_size; the loss is the mean over its terms. */
    private void accumulate(RewardModel model, List<RewardExample> batch, RewardMetrics metrics) {
        long terms = 0;
        for (RewardExample e : batch) {
            terms += e.terms();
        }
        double scale = 1.0 / Math.max(1, terms);
        for (int from = 0; from < batch.size(); from += config.batchSize) {
            List<RewardExample> micro = batch.subList(from, Math.min(batch.size(), from + config.batchSize));
            Flat flat = Flat.of(micro);
            RewardForward f = model.forward(flat.sequences, flat.positions);
            double[][] scores = f.scores();
            double[][] grad = new double[scores.length][];
            int s = 0;
            for (RewardExample e : micro) {
                int n = e.sequences().size();
                double[][] g = e.lossGradient(Arrays.copyOfRange(scores, s, s + n), scale, metrics);
                System.arraycopy(g, 0, grad, s, n);
                s += n;
            }
            f.backward(grad);
        }
    }

    /** Loss, accuracy and AUC of a model on examples (no gradients). */
    public static RewardMetrics evaluate(RewardModel model, List<RewardExample> examples) {
        RewardMetrics m = new RewardMetrics();
        for (int from = 0; from < examples.size(); from += EVAL_BATCH) {
            List<RewardExample> part = examples.subList(from, Math.min(examples.size(), from + EVAL_BATCH));
            Flat flat = Flat.of(part);
            double[][] scores = model.score(flat.sequences, flat.positions);
            int s = 0;
            for (RewardExample e : part) {
                int n = e.sequences().size();
                e.lossGradient(Arrays.copyOfRange(scores, s, s + n), 0.0, m);
                s += n;
            }
        }
        return m;
    }

    /** The sequences and positions of several examples, concatenated in example order. */
    private record Flat(List<int[]> sequences, int[][] positions) {
        static Flat of(List<RewardExample> examples) {
            List<int[]> seqs = new ArrayList<>();
            List<int[]> pos = new ArrayList<>();
            for (RewardExample e : examples) {
                seqs.addAll(e.sequences());
                pos.addAll(List.of(e.positions()));
            }
            return new Flat(seqs, pos.toArray(new int[0][]));
        }
    }

    private List<RewardExample> replayExamples(boolean resumed, ReplayBuffer buffer, RewardEncoder encoder,
                                               RewardModelKind kind) {
        Path snapshot = Paths.get(config.outputDir).resolve(REPLAY_SNAPSHOT);
        List<Map<String, Object>> rows = new ArrayList<>();
        List<String> where = new ArrayList<>();
        if (resumed) {
            if (Files.isRegularFile(snapshot)) {
                try (JsonlReader<Map<String, Object>> r = JsonlReader.open(snapshot)) {
                    while (r.hasNext()) {
                        rows.add(r.next());
                        where.add(snapshot + ":" + r.lineNumber());
                    }
                }
            }
        } else if (buffer.size() > 0) {
            for (int i = 0; i < buffer.size(); i++) {
                rows.add(buffer.rows().get(i));
                where.add(buffer.dir().resolve(ReplayBuffer.ROWS) + ":" + (i + 1));
            }
            replayRows = rows;
        }
        return RewardDataset.encode(rows, where, encoder, kind).examples();
    }

    private Path replayDir() {
        return config.replayBuffer != null ? Paths.get(config.replayBuffer) : Paths.get(config.outputDir, "replay");
    }

    private Path tokenizerPath() {
        if (config.tokenizer != null) {
            Path t = Paths.get(config.tokenizer);
            return Files.isDirectory(t) ? t : t.getParent();
        }
        if (config.modelNameOrPath != null && Files.isRegularFile(Paths.get(config.modelNameOrPath, "tokenizer.json"))) {
            return Paths.get(config.modelNameOrPath);
        }
        throw new BadInputException("a reward model reads text: set tokenizer, or put tokenizer.json in "
                + config.modelNameOrPath);
    }

    private Path baseDir() {
        return config.modelNameOrPath == null ? null : Paths.get(config.modelNameOrPath);
    }

    private RewardModel newOrLoadedModel(Tokenizer tokenizer) {
        RewardModelKind wanted = config.kindOrNull();
        if (config.modelNameOrPath != null) {
            Path dir = Paths.get(config.modelNameOrPath);
            if (RewardModel.isRewardModel(dir)) {
                RewardModel rm = RewardModel.load(dir, Backends.current());
                if (wanted != null && wanted != rm.kind()) {
                    throw new BadInputException("kind is " + wanted.key() + " but " + dir + " is an " + rm.kind().key()
                            + " reward model");
                }
                return rm;
            }
            return RewardModel.create(HfCheckpoint.load(dir, Backends.current()),
                    wanted == null ? RewardModelKind.ORM : wanted, config.seed);
        }
        ModelConfig mc = ModelConfig.read(Paths.get(config.initConfig));
        if (tokenizer.vocabSize() > mc.vocabSize) {
            throw new BadInputException(config.initConfig + ": vocab_size " + mc.vocabSize
                    + " is smaller than the tokenizer's " + tokenizer.vocabSize());
        }
        CausalLM trunk = CausalLM.initialize(mc, DataType.FLOAT, config.seed, Backends.current());
        return RewardModel.create(trunk, wanted == null ? RewardModelKind.ORM : wanted, config.seed + 1);
    }

    private static void checkVocabulary(RewardModel model, List<RewardExample> data) {
        int v = model.trunk().config().vocabSize;
        for (RewardExample e : data) {
            for (int[] seq : e.sequences()) {
                for (int id : seq) {
                    if (id < 0 || id >= v) {
                        throw new BadInputException("token id " + id + " in the training data is outside the model's "
                                + "vocabulary of " + v);
                    }
                }
            }
        }
    }
}
