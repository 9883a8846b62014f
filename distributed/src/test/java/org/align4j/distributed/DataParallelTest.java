package org.align4j.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.align4j.policy.io.SafeTensors;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.model.ModelConfig;
import org.align4j.policy.train.DistributedLauncher;
import org.align4j.policy.train.Rng;
import org.align4j.policy.util.BadInputException;
import org.align4j.policy.train.RunDirectory;
import org.align4j.policy.train.StopRequest;
import org.align4j.policy.train.TrainingInterruptedException;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * N CPU ranks in Spark's local mode take the step one rank takes on the whole batch: the same loss at every step
 * and the same weights after it (within float rounding: the ranks' gradients are summed in another order), for
 * sft, dpo and grpo; a failing rank fails the run with its error and leaves only complete checkpoints, from which
 * a run resumes on another number of ranks. One SparkContext (local[4]) serves the class.
 */
class DataParallelTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static SparkContext sc;

    @BeforeAll
    static void start() {
        sc = new SparkContext(new SparkConf().setMaster("local[4]").setAppName("DataParallelTest")
                .set("spark.ui.enabled", "false"));
    }

    @AfterAll
    static void stop() {
        sc.stop();
    }

    @Test
    void sftOnTwoAndFourRanksTakesTheStepsOfOne(@TempDir Path dir) throws Exception {
        Path model = tinyModel(dir, 24, null);
        Path data = write(dir.resolve("sft.jsonl"), sftRows(16));
        Path yaml = write(dir.resolve("sft.yaml"), common(model, data) + "max_steps: 2\nmax_length: 16\n");
        Path one = run("sft", yaml, dir.resolve("one"), 1, "batch_size=1", "gradient_accumulation_steps=4");
        Path two = run("sft", yaml, dir.resolve("two"), 2, "batch_size=1", "gradient_accumulation_steps=2");
        Path four = run("sft", yaml, dir.resolve("four"), 4, "batch_size=1", "gradient_accumulation_steps=1");
        assertSameRun(one, two);
        assertSameRun(one, four);
    }

    @Test
    void dpoOnTwoRanksTakesTheStepsOfOne(@TempDir Path dir) throws Exception {
        Path model = tinyModel(dir, 24, null);
        Path data = write(dir.resolve("pairs.jsonl"), pairRows(16));
        Path yaml = write(dir.resolve("dpo.yaml"), common(model, data) + "max_steps: 2\nbeta: 0.5\n");
        Path one = run("dpo", yaml, dir.resolve("one"), 1, "batch_size=2", "gradient_accumulation_steps=2");
        Path two = run("dpo", yaml, dir.resolve("two"), 2, "batch_size=2", "gradient_accumulation_steps=1");
        assertSameRun(one, two);
    }

    @ParameterizedTest
    @ValueSource(strings = {"grpo", "bnpo", "dr_grpo"})
    void grpoOnTwoRanksTakesTheStepsOfOne(String lossType, @TempDir Path dir) throws Exception {
        Path tok = Paths.get(DataParallelTest.class.getResource("/digits/tokenizer.json").toURI()).getParent();
        Path model = tinyModel(dir, 17, tok);
        StringBuilder prompts = new StringBuilder();
        for (String p : List.of("ab", "cd", "ef", "ba", "dc", "fe", "ac", "bd")) {
            prompts.append("{\"prompt\": \"").append(p).append("\"}\n");
        }
        Path data = write(dir.resolve("prompts.jsonl"), prompts.toString());
        Path yaml = write(dir.resolve("grpo.yaml"), common(model, data) + "max_steps: 2\nnum_generations: 4\n"
                + "max_completion_length: 5\nbeta: 0.04\nrewards:\n  - class: " + DigitShare.class.getName() + "\n");
        Path one = run("grpo", yaml, dir.resolve("one"), 1, "batch_size=4", "gradient_accumulation_steps=2",
                "loss_type=" + lossType);
        Path two = run("grpo", yaml, dir.resolve("two"), 2, "batch_size=4", "gradient_accumulation_steps=1",
                "loss_type=" + lossType);
        assertSameRun(one, two);
    }

    @Test
    void codeRewardsRunAsSparkTasksWithTheRewardsOfTheLocalPool(@TempDir Path dir) throws Exception {
        Path tok = Paths.get(DataParallelTest.class.getResource("/digits/tokenizer.json").toURI()).getParent();
        Path model = tinyModel(dir, 17, tok);
        StringBuilder prompts = new StringBuilder();
        for (String p : List.of("ab", "cd", "ef", "ba")) {
            // a completion of digits is a Python expression that runs; one with letters fails with a NameError
            prompts.append("{\"prompt\": \"").append(p).append("\", \"tests\": [\"assert True\"]}\n");
        }
        Path data = write(dir.resolve("prompts.jsonl"), prompts.toString());
        Path yaml = write(dir.resolve("grpo.yaml"), common(model, data) + "max_steps: 1\nnum_generations: 4\n"
                + "max_completion_length: 5\nbeta: 0.04\nbatch_size: 4\nrewards:\n"
                + "  - {type: python_tests, timeout_seconds: 5, reward_workers: 2}\n");
        int jobsBefore = sc.statusTracker().getJobIdsForGroup(null).length;
        Path local = run("grpo", yaml, dir.resolve("local"), 2);
        int localJobs = sc.statusTracker().getJobIdsForGroup(null).length - jobsBefore;
        Path spark = run("grpo", yaml, dir.resolve("spark"), 2, "reward_executor=spark");
        int sparkJobs = sc.statusTracker().getJobIdsForGroup(null).length - jobsBefore - localJobs;
        assertEquals(1, localJobs, "the barrier stage only");
        assertEquals(1 + 2, sparkJobs, "the barrier stage and one job per rank and step");
        assertSameRun(local, spark);
    }

    @Test
    void aFailingRankFailsTheRunLeavingCompleteCheckpointsToResumeOnOtherRanks(@TempDir Path dir) throws Exception {
        Path model = tinyModel(dir, 24, null);
        Path data = write(dir.resolve("sft.jsonl"), sftRows(16));
        Path yaml = write(dir.resolve("sft.yaml"), common(model, data) + "max_steps: 4\nsave_steps: 2\nmax_length: 16\n");
        Path whole = run("sft", yaml, dir.resolve("whole"), 1, "batch_size=2", "gradient_accumulation_steps=2");

        Path broken = dir.resolve("broken");
        DistributedLauncher.Job job = job("sft", yaml, broken, 2, false, "batch_size=2", "gradient_accumulation_steps=1");
        RuntimeException e = assertThrows(RuntimeException.class, () -> SparkLauncher.run(sc, job, 1, 2));
        assertTrue(String.valueOf(e.getMessage()).contains("injected failure at optimizer step 2"), e.toString());
        assertFalse(Files.exists(broken.resolve("final")), "no final model after a failed run");
        try (Stream<Path> ck = Files.list(broken.resolve("checkpoints"))) {
            assertEquals(List.of("step-000002"), ck.map(p -> p.getFileName().toString()).sorted().toList(),
                    "only the complete checkpoint of step 2");
        }
        // resumed on one rank (twice the per-rank batch): the same run as one rank throughout
        SparkLauncher.run(sc, job("sft", yaml, broken, 1, true, "batch_size=2", "gradient_accumulation_steps=2"),
                -1, -1);
        assertSameWeights(whole.resolve("final"), broken.resolve("final"));
        List<JsonNode> m = metrics(broken);
        assertEquals(4, m.get(m.size() - 1).get("step").asLong());
    }

    @Test
    void zeroOneCheckpointsOneShardPerRankAndResumesOnTwoFourOrOneRanks(@TempDir Path dir) throws Exception {
        Path model = tinyModel(dir, 24, null);
        Path data = write(dir.resolve("sft.jsonl"), sftRows(16));
        Path yaml = write(dir.resolve("sft.yaml"), common(model, data) + "max_steps: 4\nsave_steps: 1\nmax_length: 16\n");
        Path one = run("sft", yaml, dir.resolve("one"), 1, "batch_size=1", "gradient_accumulation_steps=4");
        Path zero = run("sft", yaml, dir.resolve("zero"), 2, "batch_size=1", "gradient_accumulation_steps=2",
                "zero_stage=1");
        assertSameRun(one, zero);
        // each rank wrote its share of the AdamW state; together they are one rank's state
        assertEquals(List.of("optimizer-rank-00000-of-00002.safetensors", "optimizer-rank-00001-of-00002.safetensors"),
                optimizerFiles(zero.resolve(checkpoint(2))));
        assertSameState(one.resolve(checkpoint(2)), zero.resolve(checkpoint(2)));

        // stopped by a failing rank in the step after the checkpoint of step 2
        Path broken = dir.resolve("broken");
        DistributedLauncher.Job job = job("sft", yaml, broken, 2, false, "batch_size=1",
                "gradient_accumulation_steps=2", "zero_stage=1");
        assertThrows(RuntimeException.class, () -> SparkLauncher.run(sc, job, 0, 2));
        assertEquals(List.of("step-000001", "step-000002"), listing(broken.resolve("checkpoints")));
        // resumed on 2 sharded ranks (each reads its shard), 4 sharded ranks and one rank (re-sliced from the shards)
        List<List<String>> resumes = List.of(
                List.of("2", "batch_size=1", "gradient_accumulation_steps=2", "zero_stage=1"),
                List.of("4", "batch_size=1", "gradient_accumulation_steps=1", "zero_stage=1"),
                List.of("1", "batch_size=1", "gradient_accumulation_steps=4", "zero_stage=1"));
        for (List<String> r : resumes) {
            int ranks = Integer.parseInt(r.get(0));
            Path resumed = copy(broken, dir.resolve("resumed-" + ranks));
            SparkLauncher.run(sc, job("sft", yaml, resumed, ranks, true, r.subList(1, r.size()).toArray(String[]::new)),
                    -1, -1);
            assertSameWeights(one.resolve("final"), resumed.resolve("final"));
            // the state after a resumed step is the uninterrupted run's: the moments were restored
            assertSameState(one.resolve(checkpoint(3)), resumed.resolve(checkpoint(3)));
            assertEquals(ranks == 1 ? List.of("optimizer.safetensors")
                            : ranks == 2 ? optimizerFiles(zero.resolve(checkpoint(3)))
                            : List.of("optimizer-rank-00000-of-00004.safetensors",
                                    "optimizer-rank-00001-of-00004.safetensors",
                                    "optimizer-rank-00002-of-00004.safetensors",
                                    "optimizer-rank-00003-of-00004.safetensors"),
                    optimizerFiles(resumed.resolve(checkpoint(3))), ranks + " ranks");
        }
    }

    @Test
    void aStopRequestStopsEveryRankAfterOneStepWithOneCheckpointAndAFailedSaveLeavesNone(@TempDir Path dir)
            throws Exception {
        Path model = tinyModel(dir, 24, null);
        Path data = write(dir.resolve("sft.jsonl"), sftRows(16));
        Path yaml = write(dir.resolve("sft.yaml"), common(model, data) + "max_steps: 4\nsave_steps: 1\nmax_length: 16\n");
        Path one = run("sft", yaml, dir.resolve("one"), 1, "batch_size=1", "gradient_accumulation_steps=4");
        String[] sharded = {"batch_size=1", "gradient_accumulation_steps=2", "zero_stage=1", "save_steps=0"};

        // Ctrl-C seen by rank 1 during step 2: both ranks stop after step 2 and save its checkpoint together
        Path stopped = dir.resolve("stopped");
        TrainingInterruptedException stop;
        try {
            stop = assertThrows(TrainingInterruptedException.class, () -> SparkLauncher.run(sc,
                    job("sft", yaml, stopped, 2, false, sharded),
                    new InjectedFault(1, 1, InjectedFault.Kind.REQUESTS_STOP)));
        } finally {
            StopRequest.clear();
        }
        assertEquals(130, stop.exitCode());
        assertEquals(2, stop.step());
        assertEquals(stopped.resolve(checkpoint(2)), stop.checkpoint());
        assertEquals(List.of("step-000002"), listing(stopped.resolve("checkpoints")));
        assertEquals(2, optimizerFiles(stopped.resolve(checkpoint(2))).size());
        assertSameState(one.resolve(checkpoint(2)), stopped.resolve(checkpoint(2)));
        List<JsonNode> m = metrics(stopped);
        assertEquals(2, m.get(m.size() - 1).get("step").asLong(), "the steps done are logged");
        SparkLauncher.run(sc, job("sft", yaml, stopped, 2, true, sharded), InjectedFault.NONE);
        assertSameWeights(one.resolve("final"), stopped.resolve("final"));

        // rank 1 fails after writing its shard of the checkpoint of step 2: rank 0 does not complete it
        Path broken = dir.resolve("broken");
        RuntimeException e = assertThrows(RuntimeException.class, () -> SparkLauncher.run(sc,
                job("sft", yaml, broken, 2, false, "batch_size=1", "gradient_accumulation_steps=2", "zero_stage=1"),
                new InjectedFault(1, 1, InjectedFault.Kind.FAILS_IN_CHECKPOINT)));
        assertTrue(String.valueOf(e.getMessage()).contains("injected failure in the checkpoint"), e.toString());
        assertEquals(List.of("step-000001", "step-000002.tmp"), listing(broken.resolve("checkpoints")));
        assertTrue(Files.exists(broken.resolve("checkpoints/step-000002.tmp/optimizer-rank-00001-of-00002.safetensors")));
        assertEquals(1, RunDirectory.latestCheckpoint(broken).orElseThrow().step(), "step 2's is never read");
    }

    @Test
    void trainersThatAreNotDataParallelAreRefusedBeforeAnyRankStarts(@TempDir Path dir) throws Exception {
        Path yaml = write(dir.resolve("grpo.yaml"), "model_name_or_path: " + dir.resolve("model") + "\ntrain_file: "
                + dir.resolve("prompts.jsonl") + "\nrewards:\n  - class: " + DigitShare.class.getName()
                + "\niterative:\n  reward_model: " + dir.resolve("rm") + "\n");
        int jobsBefore = sc.statusTracker().getJobIdsForGroup(null).length;
        BadInputException iterative = assertThrows(BadInputException.class,
                () -> SparkLauncher.run(sc, job("grpo", yaml, dir.resolve("run"), 2, false), InjectedFault.NONE));
        assertEquals("iterative GRPO (grpo with an iterative: section) trains on one rank: --ranks and --master "
                + "(data-parallel training) are for sft, dpo and grpo without iterative (docs/distributed.md)",
                iterative.getMessage());
        for (String trainer : List.of("kto", "orpo", "simpo", "rm")) {
            BadInputException e = assertThrows(BadInputException.class,
                    () -> SparkLauncher.run(sc, job(trainer, yaml, dir.resolve("run"), 2, false), InjectedFault.NONE));
            assertEquals(trainer + " trains on one rank: --ranks and --master (data-parallel training) are for sft, "
                    + "dpo and grpo (docs/distributed.md)", e.getMessage());
        }
        assertEquals(jobsBefore, sc.statusTracker().getJobIdsForGroup(null).length, "no rank started");
        assertFalse(Files.exists(dir.resolve("run")));
    }

    // ------------------------------------------------------------------ helpers

    private static Path run(String trainer, Path yaml, Path out, int ranks, String... overrides) {
        String line = SparkLauncher.run(sc, job(trainer, yaml, out, ranks, false, overrides), -1, -1);
        assertTrue(line.contains("\"ranks\":" + ranks), line);
        return out;
    }

    private static DistributedLauncher.Job job(String trainer, Path yaml, Path out, int ranks, boolean resume,
                                               String... overrides) {
        List<String> all = new ArrayList<>(List.of(overrides));
        all.add("output_dir=" + out);
        return new DistributedLauncher.Job(trainer, yaml.toString(), all, resume, ranks, null, "cpu");
    }

    /** Settings of every test: a tiny model, a learning rate that moves it, every step logged. */
    private static String common(Path model, Path data) {
        return "model_name_or_path: " + model + "\ntrain_file: " + data + "\nlearning_rate: 0.01\n"
                + "logging_steps: 1\nsave_steps: 0\nseed: 7\n"
                // a large epsilon keeps AdamW's first steps (g / |g|) from amplifying rounding in tiny gradients
                + "adam_epsilon: 0.001\n";
    }

    private static void assertSameRun(Path a, Path b) throws IOException {
        List<JsonNode> ma = metrics(a);
        List<JsonNode> mb = metrics(b);
        assertEquals(ma.size(), mb.size());
        for (int i = 0; i < ma.size(); i++) {
            double la = ma.get(i).get("loss").asDouble();
            double lb = mb.get(i).get("loss").asDouble();
            assertEquals(la, lb, 1e-5 * Math.max(1, Math.abs(la)), "loss at step " + (i + 1));
            assertEquals(ma.get(i).get("grad_norm").asDouble(), mb.get(i).get("grad_norm").asDouble(),
                    1e-5 * Math.max(1, ma.get(i).get("grad_norm").asDouble()), "grad_norm at step " + (i + 1));
        }
        assertSameWeights(a.resolve("final"), b.resolve("final"));
    }

    private static void assertSameWeights(Path a, Path b) {
        assertSameTensors(a.resolve("model.safetensors"), b.resolve("model.safetensors"), 2e-5);
    }

    private static void assertSameTensors(Path a, Path b, double tolerance) {
        Map<String, INDArray> wa = SafeTensors.read(a, DataType.FLOAT);
        Map<String, INDArray> wb = SafeTensors.read(b, DataType.FLOAT);
        assertEquals(wa.keySet(), wb.keySet());
        for (String k : wa.keySet()) {
            double diff = wa.get(k).sub(wb.get(k)).amaxNumber().doubleValue();
            assertTrue(diff < tolerance, k + " differs by " + diff);
        }
    }

    private static Path checkpoint(int step) {
        return Paths.get("checkpoints", String.format("step-%06d", step));
    }

    /** A checkpoint's optimizer state files, by name. */
    private static List<String> optimizerFiles(Path checkpoint) throws IOException {
        return listing(checkpoint).stream().filter(n -> n.startsWith("optimizer") && n.endsWith(".safetensors"))
                .toList();
    }

    /** The AdamW moments of two checkpoints (one file or one per rank) are the same. */
    private static void assertSameState(Path a, Path b) throws IOException {
        assertEquals(optimizerState(a).keySet(), optimizerState(b).keySet());
        Map<String, INDArray> sa = optimizerState(a);
        Map<String, INDArray> sb = optimizerState(b);
        for (String k : sa.keySet()) {
            double diff = sa.get(k).sub(sb.get(k)).amaxNumber().doubleValue();
            assertTrue(diff < 1e-6, k + " differs by " + diff);
        }
        assertEquals(JSON.readTree(a.resolve("optimizer.json").toFile()).get("step"),
                JSON.readTree(b.resolve("optimizer.json").toFile()).get("step"));
    }

    private static Map<String, INDArray> optimizerState(Path checkpoint) throws IOException {
        Map<String, INDArray> all = new java.util.TreeMap<>();
        for (String f : optimizerFiles(checkpoint)) {
            all.putAll(SafeTensors.read(checkpoint.resolve(f), DataType.FLOAT));
        }
        return all;
    }

    private static List<String> listing(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static Path copy(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
        return to;
    }

    private static List<JsonNode> metrics(Path run) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            out.add(JSON.readTree(line));
        }
        return out;
    }

    private static Path tinyModel(Path dir, int vocab, Path tokenizer) {
        CausalLM m = CausalLM.initialize(ModelConfig.llama(vocab, 16, 32, 1, 2, 1, 64, null, new int[] {16}),
                DataType.FLOAT, 3);
        Path model = dir.resolve("model");
        HfCheckpoint.save(m, model, tokenizer);
        return model;
    }

    /** Pre-tokenized rows of different lengths (so that micro-batches pad). */
    private static String sftRows(int n) {
        Rng rng = new Rng(11);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append("{\"prompt_ids\": ").append(ids(rng, 2 + rng.nextInt(3))).append(", \"completion_ids\": ")
                    .append(ids(rng, 1 + rng.nextInt(4))).append("}\n");
        }
        return sb.toString();
    }

    private static String pairRows(int n) {
        Rng rng = new Rng(13);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append("{\"prompt_ids\": ").append(ids(rng, 2 + rng.nextInt(3))).append(", \"chosen_ids\": ")
                    .append(ids(rng, 1 + rng.nextInt(3))).append(", \"rejected_ids\": ")
                    .append(ids(rng, 1 + rng.nextInt(3))).append("}\n");
        }
        return sb.toString();
    }

    private static String ids(Rng rng, int len) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < len; i++) {
            sb.append(i == 0 ? "" : ", ").append(3 + rng.nextInt(21));
        }
        return sb.append(']').toString();
    }

    private static Path write(Path file, String text) throws IOException {
        Files.writeString(file, text);
        return file;
    }
}
