package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.align4j.policy.io.SafeTensors;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.model.PeftAdapter;
import org.align4j.policy.train.RunDirectory;
import org.align4j.reward.model.RewardModel;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * use_peft in all four trainers: only the adapter is trained and saved (PEFT's format, in checkpoints and final/),
 * the reference of DPO and GRPO is the base (adapters off: the first step's DPO loss is log 2 and GRPO's KL 0), and
 * a run resumes from an adapter checkpoint.
 */
class LoraTrainingTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private CliRun run(TrainerKind kind, boolean resume, String... lines) throws Exception {
        List<String> extra = new ArrayList<>(List.of("use_peft: true", "lora_r: 2", "lora_alpha: 4",
                "lora_target_modules: all-linear", "logging_steps: 1", "save_steps: 2", "save_total_limit: 0"));
        if (kind == TrainerKind.RM) {
            Path model = dir.resolve("model");
            if (!Files.isDirectory(model)) {
                HfCheckpoint.save(CausalLM.initialize(TrainerKind.tinyConfig(), DataType.FLOAT, 7), model,
                        TrainerKind.tokenizerDir());
            }
            extra.add("init_config: null");
            extra.add("model_name_or_path: " + model);
        }
        if (kind == TrainerKind.GRPO) {
            extra.add("beta: 0.04");
        }
        extra.addAll(List.of(lines));
        Path cfg = kind.config(dir, false, extra.toArray(new String[0]));
        List<String> args = new ArrayList<>(kind.command());
        args.addAll(List.of("--config", cfg.toString()));
        if (resume) {
            args.add("--resume");
        }
        return CliRun.of(args.toArray(new String[0]));
    }

    @ParameterizedTest
    @EnumSource(value = TrainerKind.class, names = {"SFT", "DPO", "RM", "GRPO"})
    void onlyTheAdapterIsTrainedSavedAndResumed(TrainerKind kind) throws Exception {
        byte[] baseBefore = writeAndRead(kind);
        CliRun r = run(kind, false, "max_steps: 3");
        assertEquals(0, r.exit(), kind + ": " + r.err());
        Path runDir = dir.resolve("run");
        Path ck = RunDirectory.checkpoints(runDir).get(0).dir().resolve(RunDirectory.MODEL_DIR);
        assertTrue(Files.isRegularFile(ck.resolve(PeftAdapter.CONFIG_FILE)), kind + ": adapter in " + ck);
        assertFalse(Files.exists(ck.resolve("model.safetensors")), kind + ": no copy of the base in " + ck);
        Path fin = runDir.resolve("final");
        Map<String, INDArray> saved = SafeTensors.read(fin.resolve(PeftAdapter.WEIGHTS_FILE));
        assertEquals(2 * 7, saved.size(), kind + ": A and B of 7 linear layers: " + saved.keySet());
        double bNorm = 0;
        for (Map.Entry<String, INDArray> e : saved.entrySet()) {
            assertTrue(e.getKey().startsWith("base_model.model.model.layers.0."), e.getKey());
            if (e.getKey().endsWith("lora_B.weight")) {
                bNorm += e.getValue().norm2Number().doubleValue();
            }
        }
        assertEquals(java.util.Arrays.hashCode(baseBefore),
                java.util.Arrays.hashCode(Files.readAllBytes(dir.resolve("model/model.safetensors"))),
                "the base model directory is never written");
        if (kind == TrainerKind.RM) {
            assertTrue(RewardModel.load(fin).trunk().hasAdapters());
        } else {
            assertEquals(14, PeftAdapter.loadModel(fin, null).parameters().size(), "final/ loads on its base");
        }
        List<JsonNode> rows = new ArrayList<>();
        for (String line : Files.readAllLines(runDir.resolve(RunDirectory.METRICS))) {
            rows.add(JSON.readTree(line));
        }
        if (kind == TrainerKind.DPO) {
            assertEquals(Math.log(2), rows.get(0).get("loss").asDouble(), 1e-6, "policy = reference at step 1");
        }
        if (kind == TrainerKind.GRPO) {
            assertEquals(0.0, rows.get(0).get("kl").asDouble(), 1e-9, "policy = reference at step 1");
        }
        // GRPO's tiny random policy never answers right, so every advantage is 0 and so is every gradient: B
        // stays 0 exactly when no group had a reward spread
        boolean signal = kind != TrainerKind.GRPO
                || rows.stream().anyMatch(row -> row.path("reward_std").asDouble(0) > 0);
        assertEquals(signal, bNorm > 0, kind + ": B moved away from 0 exactly when there was a gradient");
        CliRun more = run(kind, true, "max_steps: 4");
        assertEquals(0, more.exit(), kind + " resume: " + more.err());
        List<Long> steps = new ArrayList<>();
        for (String line : Files.readAllLines(runDir.resolve(RunDirectory.METRICS))) {
            steps.add(JSON.readTree(line).get("step").asLong());
        }
        assertEquals(List.of(1L, 2L, 3L, 4L), steps, kind + ": resumed from the adapter checkpoint of step 2");
    }

    private byte[] writeAndRead(TrainerKind kind) throws Exception {
        kind.config(dir, false);
        Path model = dir.resolve("model");
        if (!Files.isDirectory(model)) {
            HfCheckpoint.save(CausalLM.initialize(TrainerKind.tinyConfig(), DataType.FLOAT, 7), model,
                    TrainerKind.tokenizerDir());
        }
        return Files.readAllBytes(model.resolve("model.safetensors"));
    }

    /** KTO, ORPO and SimPO train full weights only: use_peft is refused at the start, naming the key. */
    @ParameterizedTest
    @EnumSource(value = TrainerKind.class, names = {"KTO", "ORPO", "SIMPO"})
    void offlinePreferenceTrainersRefuseUsePeft(TrainerKind kind) throws Exception {
        CliRun r = run(kind, false, "max_steps: 1");
        assertEquals(2, r.exit(), kind + ": " + r.err());
        assertTrue(r.err().contains("use_peft"), r.err());
        assertFalse(Files.exists(dir.resolve("run").resolve("final")), "nothing trained");
    }
}
