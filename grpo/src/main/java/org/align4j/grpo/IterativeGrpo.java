package org.align4j.grpo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.align4j.policy.io.AtomicFiles;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.ops.Backends;
import org.align4j.policy.ops.Ops;
import org.align4j.policy.model.PeftAdapter;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.policy.train.ConfigLoader;
import org.align4j.policy.train.MetricsPlotter;
import org.align4j.policy.train.Rng;
import org.align4j.policy.train.RunDirectory;
import org.align4j.policy.train.TrainerState;
import org.align4j.policy.util.BadInputException;
import org.align4j.reward.OutcomeReward;
import org.align4j.reward.ProcessReward;
import org.align4j.reward.RewardFactory;
import org.align4j.reward.model.ProcessRewardModelReward;
import org.align4j.reward.model.RewardEncoder;
import org.align4j.reward.model.RewardModel;
import org.align4j.reward.model.RewardModelKind;
import org.align4j.reward.model.RewardModelReward;
import org.align4j.reward.model.train.RewardConfig;
import org.align4j.reward.model.train.RewardDataset;
import org.align4j.reward.model.train.RewardExample;
import org.align4j.reward.model.train.RewardMetrics;
import org.align4j.reward.model.train.RewardTrainer;
import org.align4j.rollout.SamplingParams;

/**
 * Iterative RL with a learned reward model (DeepSeekMath, Algorithm 1). Each outer iteration k:
 * <ol>
 *   <li>GRPO for steps_per_iteration steps from the current policy, whose copy is the new reference, with the
 *       current reward model as the reward ({@link GrpoTrainer} in {@code iter-k/});</li>
 *   <li>samples completions of the new policy for label_prompts training prompts and labels them with the rule
 *       checkers ({@link FreshSamples}), holding out held_out_fraction of them;</li>
 *   <li>retrains the reward model on the rest continuously (starting from the current one) with
 *       replay_fraction of each batch replayed from the historical buffer ({@link RewardTrainer} in
 *       {@code rm-k/}, buffer in {@code replay/});</li>
 * </ol>
 * and goes on with the new policy and reward model. The top-level metrics.jsonl gets one line per iteration:
 * the reward model's loss, accuracy and AUC on the held-out fresh samples before and after retraining, the
 * policy's mean learned reward during the iteration, and its ground-truth accuracy on the fresh samples.
 * A top-level checkpoint per iteration (naming its policy and reward model) makes {@code --resume} continue
 * after the last complete iteration; an interrupted inner GRPO run resumes from its own checkpoint.
 */
public final class IterativeGrpo {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final GrpoConfig config;
    private final GrpoConfig.IterativeConfig it;
    private final boolean resume;
    private final PrintStream log;

    /** What a finished run left behind; metrics holds each iteration's top-level line. */
    public record Result(Path runDir, Path finalPolicy, Path finalRewardModel, int iterations,
                         List<Map<String, Object>> metrics) {
    }

    public IterativeGrpo(GrpoConfig config, boolean resume, PrintStream log) {
        if (config.iterative == null) {
            throw new IllegalArgumentException("not an iterative config (set 'iterative:')");
        }
        this.config = config;
        this.it = config.iterative;
        this.resume = resume;
        this.log = log;
    }

    public Result train() {
        try (RunDirectory run = RunDirectory.open(Paths.get(config.outputDir), resume)) {
            return train(run);
        }
    }

    private Result train(RunDirectory run) {
        Path policy = Paths.get(config.modelNameOrPath);
        Path rm = Paths.get(it.rewardModel);
        int start = 0;
        if (run.resumedFrom().isPresent()) {
            RunDirectory.Checkpoint ck = run.resumedFrom().get();
            JsonNode pointers = readJson(ck.dir().resolve("iteration.json"));
            policy = Paths.get(pointers.get("policy").asText());
            rm = Paths.get(pointers.get("reward_model").asText());
            start = (int) ck.step();
            log.printf("iterative: resuming %s after iteration %d%n", run.dir(), start);
        } else {
            GrpoTrainer.requireTokenizer(policy);
            run.writeConfig(ConfigLoader.dump(config));
        }
        RewardModelKind kind = RewardModel.load(rm, Backends.current()).kind();
        Tokenizer tokenizer = Tokenizer.load(policy);
        List<PromptRow> train = PromptRow.read(Paths.get(config.trainFile), tokenizer, config.maxPromptLength, 0);
        List<Map<String, Object>> all = new ArrayList<>();
        for (int k = start + 1; k <= it.iterations; k++) {
            log.printf("iterative: iteration %d of %d (policy %s, %s reward model %s)%n", k, it.iterations, policy,
                    kind.key(), rm);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("iteration", k);
            GrpoTrainer.Result g = grpo(run.dir(), k, policy, rm, kind);
            policy = g.finalModel();
            m.put("policy/reward", meanOf(g.runDir(), "reward"));
            m.put("policy/last_reward", g.lastRewardMean());
            if (g.lastEvalAccuracy() != null) {
                m.put("policy/eval_accuracy", g.lastEvalAccuracy());
            }
            FreshSamples.Labelled fresh = label(k, policy, tokenizer, train, kind);
            m.put("policy/accuracy", fresh.accuracy());
            m.put("samples/labelled", fresh.rows().size());
            List<Map<String, Object>> rows = new ArrayList<>();
            for (int i : new Rng(config.seed * 1_000_003L + 7919L * k).permutation(fresh.rows().size())) {
                rows.add(fresh.rows().get(i));
            }
            int held = (int) Math.round(rows.size() * it.heldOutFraction);
            List<Map<String, Object>> heldOut = rows.subList(0, held);
            List<Map<String, Object>> retrain = rows.subList(held, rows.size());
            Path trainFile = run.dir().resolve("samples-" + k + ".jsonl");
            Path heldOutFile = run.dir().resolve("samples-" + k + "-held-out.jsonl");
            writeJsonl(trainFile, retrain);
            writeJsonl(heldOutFile, heldOut);
            putEval(m, "before", rm, heldOut, kind);
            if (retrain.isEmpty()) {
                log.printf("iterative: iteration %d labelled no samples; the reward model is kept%n", k);
            } else {
                RewardTrainer.Result r = retrainRewardModel(run.dir(), k, rm, trainFile,
                        heldOut.isEmpty() ? null : heldOutFile);
                rm = r.finalModel();
                m.put("rm/train_loss", r.loss());
                m.put("rm/train_accuracy", r.accuracy());
            }
            putEval(m, "after", rm, heldOut, kind);
            run.logMetrics(k, m);
            all.add(m);
            Path p = policy;
            Path r = rm;
            run.saveCheckpoint(new TrainerState(k, null, 0), dir -> AtomicFiles.writeJson(dir.resolve("iteration.json"),
                    Map.of("policy", p.toAbsolutePath().toString(), "reward_model", r.toAbsolutePath().toString())), 0);
        }
        Path finalPolicy = run.dir().resolve("final");
        copyDirectory(policy, finalPolicy);
        MetricsPlotter.plotLogged(run.dir().resolve(RunDirectory.METRICS), run.dir().resolve("metrics.png"),
                List.of("policy/reward", "policy/accuracy", "rm/accuracy_before", "rm/accuracy_after", "rm/auc_before",
                        "rm/auc_after"));
        log.println("iterative: final policy in " + finalPolicy + ", reward model " + rm);
        return new Result(run.dir(), finalPolicy, rm, it.iterations, all);
    }

    /** The inner GRPO run of iteration k: from the current policy (also the new reference), rewarded by rm. */
    private GrpoTrainer.Result grpo(Path runDir, int k, Path policy, Path rm, RewardModelKind kind) {
        GrpoConfig c = JSON.convertValue(config, GrpoConfig.class);
        c.iterative = null;
        c.outputDir = runDir.resolve("iter-" + k).toString();
        c.modelNameOrPath = policy.toString();
        c.maxSteps = it.stepsPerIteration;
        c.seed = config.seed + k - 1; // a different order of prompts each iteration
        c.supervision = kind == RewardModelKind.PRM ? "process" : "outcome";
        Map<String, Object> reward = new LinkedHashMap<>();
        reward.put("type", kind == RewardModelKind.PRM ? ProcessRewardModelReward.TYPE : RewardModelReward.TYPE);
        reward.put("path", rm.toAbsolutePath().toString());
        c.rewards = new ArrayList<>(List.of(reward));
        c.validate();
        Path dir = Paths.get(c.outputDir);
        GrpoTrainer.Result r;
        if (Files.isDirectory(dir.resolve("final"))) {
            // finished before an interruption of the outer loop (the final model is written last)
            r = new GrpoTrainer.Result(dir, dir.resolve("final"), c.maxSteps, lastOf(dir, "reward"), null);
        } else {
            r = new GrpoTrainer(c, prepareInnerRun(dir), log).train();
        }
        return new GrpoTrainer.Result(r.runDir(), merged(r.finalModel()), r.steps(), r.lastRewardMean(),
                r.lastEvalAccuracy());
    }

    /**
     * The policy the next iteration starts from: with use_peft, the iteration's adapter folded into its base
     * (iter-k/merged/), so that each iteration trains a fresh adapter against the previous policy as its reference,
     * as full fine-tuning does; otherwise finalDir itself.
     */
    private static Path merged(Path finalDir) {
        if (!PeftAdapter.isAdapter(finalDir)) {
            return finalDir;
        }
        Path merged = finalDir.resolveSibling("merged");
        if (!Files.isRegularFile(merged.resolve("config.json"))) {
            // merging is host arithmetic on the weights: the CPU backend
            CausalLM m = PeftAdapter.loadModel(finalDir, null, Ops.cpu());
            HfCheckpoint.save(CausalLM.fromWeights(m.config(), m.mergedWeights(), m.dataType(), Ops.cpu()), merged,
                    finalDir);
        }
        return merged;
    }

    /** Fresh completions of the new policy for label_prompts training prompts, labelled by the rule checkers. */
    private FreshSamples.Labelled label(int k, Path policyDir, Tokenizer tokenizer, List<PromptRow> train,
                                        RewardModelKind kind) {
        Rng rng = new Rng(config.seed * 1_000_003L + k);
        List<PromptRow> prompts = new ArrayList<>();
        int[] order = rng.permutation(train.size());
        for (int i = 0; i < it.labelPrompts; i++) {
            prompts.add(train.get(order[i % order.length]));
        }
        SamplingParams params = new SamplingParams(config.temperature, config.topP, config.topK,
                config.maxCompletionLength, config.stopStrings, config.seed * 1_000_003L + 104_729L * k);
        CausalLM policy = HfCheckpoint.load(policyDir, Backends.current());
        List<OutcomeReward> checkers = new ArrayList<>();
        ProcessReward steps = null;
        try {
            for (Map<String, Object> entry : it.labelRewards) {
                checkers.add(RewardFactory.outcome(entry));
            }
            if (kind == RewardModelKind.PRM) {
                steps = RewardFactory.process(it.stepLabelReward);
            }
            return FreshSamples.sample(policy, tokenizer, prompts, it.labelGenerations, params, checkers, steps,
                    "iter-" + k);
        } finally {
            checkers.forEach(OutcomeReward::close);
            if (steps != null) {
                steps.close();
            }
        }
    }

    private RewardTrainer.Result retrainRewardModel(Path runDir, int k, Path rm, Path trainFile, Path evalFile) {
        RewardConfig c = new RewardConfig();
        c.modelNameOrPath = rm.toString();
        c.trainFile = trainFile.toString();
        c.evalFile = evalFile == null ? null : evalFile.toString();
        c.outputDir = runDir.resolve("rm-" + k).toString();
        c.replayBuffer = it.replayBuffer != null ? it.replayBuffer : runDir.resolve("replay").toString();
        c.replayFraction = it.replayFraction;
        c.replayCapacity = it.replayCapacity;
        c.learningRate = it.rewardLearningRate;
        c.lrSchedulerType = "constant";
        c.maxSteps = it.rewardTrainSteps;
        c.batchSize = it.rewardBatchSize;
        c.loggingSteps = Math.max(1, it.rewardTrainSteps / 10);
        c.saveSteps = 0;
        c.seed = config.seed + k;
        c.validate();
        Path dir = Paths.get(c.outputDir);
        if (Files.isDirectory(dir.resolve("final"))) {
            return new RewardTrainer.Result(dir, dir.resolve("final"),
                    RewardModel.load(dir.resolve("final"), Backends.current()).kind(),
                    c.maxSteps, lastOf(dir, "loss"), lastOf(dir, "accuracy"), null, null, null);
        }
        return new RewardTrainer(c, prepareInnerRun(dir), log).train();
    }

    /**
     * Whether an inner run in dir can be resumed (it has a complete checkpoint); a run that left no checkpoint
     * is removed so that it starts over.
     */
    private static boolean prepareInnerRun(Path dir) {
        if (RunDirectory.latestCheckpoint(dir).isPresent()) {
            return true;
        }
        AtomicFiles.deleteRecursively(dir);
        return false;
    }

    /** The reward model's loss, accuracy and AUC on held-out rows, as rm/*_{when}. */
    private static void putEval(Map<String, Object> m, String when, Path rmDir, List<Map<String, Object>> rows,
                                RewardModelKind kind) {
        if (rows.isEmpty()) {
            return;
        }
        RewardModel model = RewardModel.load(rmDir, Backends.current());
        RewardEncoder encoder = new RewardEncoder(Tokenizer.load(rmDir), model.maxLength());
        List<String> where = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            where.add("held-out sample " + (i + 1));
        }
        List<RewardExample> examples = RewardDataset.encode(rows, where, encoder, kind).examples();
        RewardMetrics r = RewardTrainer.evaluate(model, examples);
        m.put("rm/loss_" + when, r.loss());
        m.put("rm/accuracy_" + when, r.accuracy());
        m.put("rm/auc_" + when, r.auc());
    }

    private static double meanOf(Path runDir, String key) {
        double sum = 0;
        int n = 0;
        for (JsonNode row : metricRows(runDir)) {
            if (row.hasNonNull(key)) {
                sum += row.get(key).asDouble();
                n++;
            }
        }
        return n == 0 ? Double.NaN : sum / n;
    }

    private static double lastOf(Path runDir, String key) {
        double last = Double.NaN;
        for (JsonNode row : metricRows(runDir)) {
            if (row.hasNonNull(key)) {
                last = row.get(key).asDouble();
            }
        }
        return last;
    }

    private static List<JsonNode> metricRows(Path runDir) {
        List<JsonNode> out = new ArrayList<>();
        Path f = runDir.resolve(RunDirectory.METRICS);
        if (!Files.isRegularFile(f)) {
            return out;
        }
        try {
            for (String line : Files.readAllLines(f)) {
                if (!line.isBlank()) {
                    out.add(JSON.readTree(line));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
        }
        return out;
    }

    private static JsonNode readJson(Path f) {
        try {
            return JSON.readTree(Files.readString(f));
        } catch (IOException e) {
            throw new BadInputException(f + ": cannot read: " + e.getMessage());
        }
    }

    private static void writeJsonl(Path file, List<Map<String, Object>> rows) {
        AtomicFiles.write(file, out -> {
            for (Map<String, Object> row : rows) {
                out.write(JSON.writeValueAsBytes(row));
                out.write('\n');
            }
        });
    }

    /** Copies a model directory to target atomically (a temporary sibling renamed into place). */
    private static void copyDirectory(Path source, Path target) {
        Path abs = target.toAbsolutePath();
        Path tmp = abs.resolveSibling("." + abs.getFileName() + ".copy.tmp");
        AtomicFiles.deleteRecursively(tmp);
        try (Stream<Path> files = Files.walk(source)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path dest = tmp.resolve(source.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(dest);
                } else {
                    Files.copy(p, dest);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy " + source + " to " + target + ": " + e.getMessage(), e);
        }
        AtomicFiles.replaceDirectory(tmp, abs);
    }
}
