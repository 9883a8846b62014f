package org.align4j.policy.train;

import org.align4j.policy.model.CausalLM;
import com.fasterxml.jackson.annotation.JsonFormat;
import java.util.ArrayList;
import java.util.List;
import org.align4j.policy.model.LoraConfig;
import org.align4j.policy.model.ModelConfig;
import org.align4j.policy.model.MemoryEstimate;
import org.align4j.policy.ops.Ops;
import org.align4j.policy.util.BadInputException;

/**
 * The settings every trainer shares, with TRL/transformers key names (snake_case in files, see
 * {@link ConfigLoader}); the SFT, reward-model, DPO and GRPO configs extend it. Fields are public so that a
 * config reads like the YAML it comes from. Optimizer defaults are DeepSeek's (beta2 0.95, weight decay 0.1).
 */
public class TrainingConfig implements ConfigLoader.Validated {
    /** Where the run directory goes (config.yaml, metrics.jsonl, checkpoints/). */
    public String outputDir = "runs/run";
    /** Peak learning rate of AdamW (reached after warmup, then shaped by lr_scheduler_type). */
    public double learningRate = 5e-5;
    /** Passes over the data; ignored when max_steps is positive. */
    public double numTrainEpochs = 1.0;
    /** Optimizer steps to run; -1 derives them from num_train_epochs. */
    public long maxSteps = -1;
    /** Examples per micro-batch. */
    public int batchSize = 8;
    /** Micro-batches whose gradients are summed before one optimizer step. */
    public int gradientAccumulationSteps = 1;
    /** Learning-rate schedule: constant, linear, cosine or multi_step (see {@link LrSchedule}). */
    @AllowedValues(LrSchedule.Type.class)
    public String lrSchedulerType = "linear";
    /** Warmup as a fraction of the total steps; warmup_steps wins when positive. */
    public double warmupRatio = 0.0;
    /** Linear warmup from 0 to learning_rate over this many optimizer steps (0: use warmup_ratio). */
    public long warmupSteps = 0;
    /** For cosine: the final learning rate as a fraction of the peak. */
    public double minLrRatio = 0.0;
    /** AdamW's decoupled weight decay (DeepSeek's 0.1; TRL's default is 0). */
    public double weightDecay = 0.1;
    /** AdamW's first-moment decay. */
    public double adamBeta1 = 0.9;
    /** AdamW's second-moment decay (DeepSeek's 0.95; transformers' default is 0.999). */
    public double adamBeta2 = 0.95;
    /** AdamW's denominator epsilon. */
    public double adamEpsilon = 1e-8;
    /** Global gradient norm limit; 0 disables clipping. */
    public double maxGradNorm = 1.0;
    /** Log metrics every this many steps, and after the last step (see {@link TrainingLoop}). */
    public int loggingSteps = 10;
    /** Save a checkpoint every this many steps (0: none; the end of the run is final/). */
    public int saveSteps = 100;
    /** Checkpoints kept (the newest); 0 keeps all. */
    public int saveTotalLimit = 3;
    /**
     * With an eval file: evaluate every this many steps and after the last step (0: only after the last step).
     * Without one, nothing is evaluated.
     */
    public int evalSteps = 0;
    /** Seed of the initial weights, the data order, dropout and sampling. */
    public long seed = 42;
    /**
     * Steps whose loss or gradient is not finite are skipped (no update); one more than this many in a run stops
     * it as diverged (exit 3), keeping the last good checkpoint. 0: the first such step stops the run.
     */
    public int maxSkippedSteps = 3;
    /**
     * Stop the run as diverged when a step's loss exceeds the running mean of the steps before it by more than
     * max_loss_spike x max(1, |mean|) (the default catches a loss that jumps a hundredfold, as a blown-up model's
     * does within a step or two); 0 disables the check.
     */
    public double maxLossSpike = 100.0;
    /**
     * Weight of DeepSeekMoE's sequence-wise expert balance loss, added to the router gradients of the policy
     * (0: off; models without MoE layers ignore it). DeepSeek-V2 trained with 0.003, DeepSeek-V3 with 0.0001
     * beside its bias-based balancing.
     */
    public double moeAuxLossWeight = 0.0;
    /**
     * DeepSeek-V3's auxiliary-loss-free load balancing (its bias update speed gamma): after each optimizer step every
     * MoE layer's e_score_correction_bias moves by this much per expert, up for experts that got fewer than the
     * mean number of the step's trained tokens, down for those that got more (DeepSeek-V3 pre-trained with 0.001).
     * 0 (default): off. Needs noaux_tc routing (DeepSeek-V3-style models); models without MoE layers ignore it.
     */
    public double auxFreeBiasUpdateSpeed = 0.0;
    /**
     * Tokens per chunk of the LM head in training passes: log-probs, entropies and their gradients are computed
     * chunk by chunk so that no [tokens, vocab] logits of the whole batch exist (as Liger's fused linear
     * cross-entropy). -1 (default) chooses from the shapes (whole batch while its logits stay under 16M
     * elements); 0 never chunks; a positive value is the chunk. Results are the same either way.
     */
    public int lmHeadChunkSize = -1;
    /**
     * Recompute each layer's activations in the backward pass instead of keeping them (transformers' name): activation
     * memory drops to one layer's buffers plus a [tokens, hidden] input per layer, for about one more forward pass
     * of compute per step. Gradients are the same.
     */
    public boolean gradientCheckpointing = false;
    /**
     * Attention of training passes (transformers' name): eager keeps [seq, seq] probabilities per head;
     * flash_attention_2 runs the fused online-softmax kernel, which never holds them (DeepSeek's latent attention
     * too).
     */
    public String attnImplementation = CausalLM.EAGER;
    /**
     * Mixed precision (TRL's name): on the CUDA backend every frozen weight matrix (the reference model's, LoRA's
     * base) is held on the GPU in bf16 only, and trainable ones as float32 masters (AdamW updates them, in float32
     * moments) with a bf16 working copy; every matrix product (weight gradients and attention too, as autocast
     * runs them) takes bf16 inputs and accumulates in float32, and fused attention runs on the tensor cores.
     * Activations, gradients, norms and biases are stored float32. On the CPU backend frozen weights are rounded to
     * bf16 values (an emulation) and products stay float32; needs a float32 model. See docs/gpu.md.
     */
    public boolean bf16 = false;

    /**
     * DeepSpeed's ZeRO stage of a data-parallel run (--ranks): 0 keeps the whole AdamW state on every rank; 1 shards
     * it, each rank keeping and updating the state of its share of the parameters (contiguous, by size) and sending
     * its updated weights to the others (docs/distributed.md). One rank ignores it.
     */
    public int zeroStage = 0;

    /** The ranks this run is one of (not a config key: set by the distributed launcher). */
    private transient Collective collective = Collective.SINGLE;

    /** The ranks of a data-parallel run ({@link Collective#SINGLE} for one process). */
    public Collective collective() {
        return collective;
    }

    /** Makes this config's run one rank of {@code ranks} (data parallel; see docs/distributed.md). */
    public void distributeOver(Collective ranks) {
        this.collective = ranks;
    }

    /**
     * Applies the settings that live in the trained model (balance loss weight, LM head chunk size, gradient
     * checkpointing, attention implementation).
     */
    public void applyTo(CausalLM model) {
        model.setMoeAuxLossWeight(moeAuxLossWeight);
        model.setAuxFreeBiasUpdateSpeed(auxFreeBiasUpdateSpeed);
        model.setLmHeadChunkSize(lmHeadChunkSize);
        model.setGradientCheckpointing(gradientCheckpointing);
        model.setAttnImplementation(attnImplementation);
        applyBf16(model);
    }

    /** With bf16, holds the trained model's weight matrices in bf16 (see {@link CausalLM#storeInBf16}). */
    public void applyBf16(CausalLM model) {
        if (bf16) {
            model.storeInBf16(false);
            model.ops().useBf16Products(true); // autocast's recipe: the activation products and attention too
        }
    }

    /**
     * Makes a separate frozen reference model forward-only ({@link CausalLM#setForwardOnly}) and, with bf16, holds its
     * weights in bf16 only; nothing when there is no reference or the policy serves as its own (LoRA with adapters off,
     * precomputed reference log-probs).
     */
    public void applyToReference(CausalLM reference, CausalLM policy) {
        if (reference == null || reference == policy) {
            return;
        }
        reference.setForwardOnly(true); // its log-prob passes keep no activations of every layer
        if (bf16) {
            reference.storeInBf16(true);
        }
    }

    /**
     * Refuses, before the run starts, a run whose estimated peak device memory (see {@link MemoryEstimate}) exceeds
     * the device's: trainSequences x trainLength tokens per micro-batch, sampleRows sequences of sampleLength
     * positions decoded at once (0 when the run does not sample). Nothing is checked on the CPU backend.
     */
    public void checkMemory(CausalLM model, boolean reference, int trainSequences, int trainLength, int sampleRows,
                            int sampleLength) {
        checkMemory(model, reference, trainSequences, trainLength, sampleRows, sampleLength, false);
    }

    /** The same, with rolloutCopy when rollouts sample from a copy of the policy's weights (async rollouts). */
    public void checkMemory(CausalLM model, boolean reference, int trainSequences, int trainLength, int sampleRows,
                            int sampleLength, boolean rolloutCopy) {
        long adapters = MemoryEstimate.Run.NO_ADAPTERS;
        if (model.hasAdapters()) {
            adapters = 0;
            for (var p : model.parameters()) {
                adapters += p.size();
            }
        }
        MemoryEstimate.Run run = new MemoryEstimate.Run(model.dataType().width(), trainSequences, trainLength,
                sampleRows, sampleLength, reference, gradientCheckpointing,
                CausalLM.FLASH_ATTENTION_2.equals(attnImplementation), lmHeadChunkSize, bf16, adapters, rolloutCopy);
        MemoryEstimate.of(model.config(), run).requireFits(model.ops().deviceMemoryBytes(), run);
    }

    // LoRA (TRL's ModelConfig names and defaults; see docs/lora.md)
    /** Train LoRA adapters on the frozen model instead of every weight (saved in PEFT's format). */
    public boolean usePeft = false;
    /** LoRA rank r. */
    public int loraR = 16;
    /** LoRA alpha: the update B A x is scaled by lora_alpha / r (lora_alpha / sqrt(r) with use_rslora). */
    public double loraAlpha = 32;
    /** Dropout on the adapters' input in training passes. */
    public double loraDropout = 0.05;
    /**
     * Modules to adapt, by PEFT's names (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj; MLA's
     * q_a_proj, q_b_proj, kv_a_proj_with_mqa, kv_b_proj) or all-linear; unset: PEFT's default (q_proj, v_proj).
     */
    @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
    public List<String> loraTargetModules;
    /** Rank-stabilised LoRA: scale by lora_alpha / sqrt(r). */
    public boolean useRslora = false;
    /** A PEFT adapter directory to continue training (with use_peft; its r, alpha and targets win). */
    public String adapterNameOrPath;

    /** The KL to the reference above which the run stops as diverged; 0: no limit (trainers without a KL). */
    public double klLimit() {
        return 0.0;
    }

    /** Optimizer steps of the whole run, given how many one epoch holds. */
    public long totalSteps(long stepsPerEpoch) {
        if (maxSteps > 0) {
            return maxSteps;
        }
        return Math.max(1, (long) Math.ceil(numTrainEpochs * stepsPerEpoch));
    }

    public LrSchedule schedule(long totalSteps) {
        return LrSchedule.of(lrSchedulerType, learningRate,
                LrSchedule.warmupSteps(warmupSteps, warmupRatio, totalSteps), totalSteps, minLrRatio);
    }

    public AdamW.Options adamWOptions() {
        return new AdamW.Options(adamBeta1, adamBeta2, adamEpsilon, weightDecay, false);
    }

    public GradientClipper gradientClipper(Ops ops) {
        return new GradientClipper(maxGradNorm, ops);
    }

    /**
     * The LoRA settings of this run (use_peft), with PEFT's default targets for the model when none are given;
     * lora_target_modules entries may also be comma-separated (--set lora_target_modules=q_proj,v_proj).
     */
    public LoraConfig loraConfig(ModelConfig model) {
        List<String> targets = new ArrayList<>();
        if (loraTargetModules != null) {
            for (String t : loraTargetModules) {
                for (String part : t.split(",")) {
                    if (!part.isBlank()) {
                        targets.add(part.trim());
                    }
                }
            }
        }
        if (targets.isEmpty()) {
            targets = LoraConfig.defaultTargets(model);
        }
        return new LoraConfig(loraR, loraAlpha, loraDropout, useRslora, targets, false);
    }

    @Override
    public void validate() {
        positive("learning_rate", learningRate);
        if (usePeft) {
            atLeast("lora_r", loraR, 1);
            between("lora_dropout", loraDropout, 0, 0.999);
        } else if (adapterNameOrPath != null) {
            throw new BadInputException("adapter_name_or_path needs use_peft: true (to train the adapter further)");
        }
        between("zero_stage", zeroStage, 0, 1);
        atLeast("batch_size", batchSize, 1);
        atLeast("gradient_accumulation_steps", gradientAccumulationSteps, 1);
        atLeast("logging_steps", loggingSteps, 1);
        atLeast("save_steps", saveSteps, 0);
        atLeast("save_total_limit", saveTotalLimit, 0);
        atLeast("eval_steps", evalSteps, 0);
        atLeast("max_skipped_steps", maxSkippedSteps, 0);
        atLeast("max_loss_spike", maxLossSpike, 0);
        atLeast("warmup_steps", warmupSteps, 0);
        atLeast("moe_aux_loss_weight", moeAuxLossWeight, 0);
        atLeast("aux_free_bias_update_speed", auxFreeBiasUpdateSpeed, 0);
        atLeast("lm_head_chunk_size", lmHeadChunkSize, -1);
        if (!CausalLM.EAGER.equals(attnImplementation) && !CausalLM.FLASH_ATTENTION_2.equals(attnImplementation)) {
            throw new BadInputException("unknown attn_implementation '" + attnImplementation + "' (known: "
                    + CausalLM.EAGER + ", " + CausalLM.FLASH_ATTENTION_2 + ")");
        }
        if (maxSteps <= 0 && !(numTrainEpochs > 0)) {
            throw new BadInputException("set max_steps or a positive num_train_epochs");
        }
        between("warmup_ratio", warmupRatio, 0, 1);
        between("min_lr_ratio", minLrRatio, 0, 1);
        between("adam_beta1", adamBeta1, 0, 1);
        between("adam_beta2", adamBeta2, 0, 1);
        atLeast("weight_decay", weightDecay, 0);
        atLeast("max_grad_norm", maxGradNorm, 0);
        LrSchedule.Type.parse(lrSchedulerType);
        if (outputDir == null || outputDir.isBlank()) {
            throw new BadInputException("output_dir must not be empty");
        }
    }

    protected static void positive(String key, double v) {
        if (!(v > 0)) {
            throw new BadInputException(key + " must be positive, got " + v);
        }
    }

    protected static void atLeast(String key, double v, double min) {
        if (!(v >= min)) {
            throw new BadInputException(key + " must be at least " + fmt(min) + ", got " + fmt(v));
        }
    }

    protected static void between(String key, double v, double lo, double hi) {
        if (!(v >= lo && v <= hi)) {
            throw new BadInputException(key + " must be in [" + fmt(lo) + ", " + fmt(hi) + "], got " + v);
        }
    }

    private static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }
}
