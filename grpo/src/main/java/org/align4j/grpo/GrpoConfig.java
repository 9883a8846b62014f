package org.align4j.grpo;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.align4j.grpo.advantage.AdvantageEstimator;
import org.align4j.grpo.advantage.AdvantageEstimators;
import org.align4j.grpo.advantage.ScaleRewards;
import org.align4j.grpo.kl.KlEstimators;
import org.align4j.grpo.loss.ImportanceSamplingLevel;
import org.align4j.grpo.loss.PolicyLosses;
import org.align4j.policy.train.AllowedValues;
import org.align4j.policy.train.TrainingConfig;
import org.align4j.policy.util.BadInputException;
import org.align4j.reward.EnvironmentReward;
import org.align4j.reward.RewardFactory;
import org.align4j.reward.code.UnitTestReward;

/**
 * GRPO settings with TRL's names; defaults are DeepSeekMath's where the paper reports them (beta 0.04,
 * learning rate 1e-6, 64 samples per question in the paper, here num_generations 8 for CPU budgets).
 * Completions per optimizer step = batch_size x gradient_accumulation_steps, as TRL counts them; it must
 * be a multiple of num_generations.
 */
public class GrpoConfig extends TrainingConfig {
    /** The starting policy (a model directory in Hugging Face layout, with its tokenizer). */
    public String modelNameOrPath;
    /** JSONL prompts: {"prompt": ..., plus the fields rewards read, e.g. "answer" or "tests"}. */
    public String trainFile;
    /** JSONL held-out prompts with answers, for the accuracy logged every eval_steps and after the last step. */
    public String evalFile;
    /** Held-out prompts evaluated each time (0: all). */
    public int evalLimit = 0;
    /** Apply the tokenizer's chat template to prompts (false: the prompt text is used as is). */
    public boolean chatTemplate = false;

    /** Completions sampled per prompt: the group whose rewards are normalised into advantages. */
    public int numGenerations = 8;
    /** Prompts longer than this, in tokens, are cut (their start is dropped). */
    public int maxPromptLength = 256;
    /** Most tokens sampled per completion. */
    public int maxCompletionLength = 256;
    /** Sampling temperature of the rollouts (0: greedy). */
    public double temperature = 1.0;
    /** Nucleus sampling: keep the smallest set of tokens whose probability reaches top_p (1: off). */
    public double topP = 1.0;
    /** 0 disables top-k. */
    public int topK = 0;
    /** Generation stops at any of these strings (the text is cut there). */
    public List<String> stopStrings = new ArrayList<>();

    /** KL coefficient: of the KL term in the loss, or of the KL penalty in the reward with kl_in_reward. */
    public double beta = 0.04;
    /** Per-token KL estimator (see docs/grpo.md; the registry is KlEstimators): k1, k2 or k3. */
    @AllowedValues(KlEstimators.Names.class)
    public String klEstimator = "k3";
    /** Subtract beta x KL (of the sampling policy from the reference) from each token's reward instead of adding it
     * to the loss (verl's use_kl_in_reward). */
    public boolean klInReward = false;
    /** Lower clip range: ratios below 1 - epsilon are clipped. */
    public double epsilon = 0.2;
    /** Upper clip bound (DAPO's clip-higher); defaults to epsilon. For cispo, the cap of the weight (5.0 recommended). */
    public Double epsilonHigh;
    /** Two-sided clipping (INTELLECT-2): the unclipped ratio is capped at delta (> 1 + epsilon); null: off. */
    public Double delta;
    /** Policy updates per batch of rollouts (1 keeps GRPO exactly on-policy). */
    public int numIterations = 1;
    /** grpo, dr_grpo, dapo, bnpo or cispo (see docs/grpo.md; the registry is PolicyLosses). */
    @AllowedValues(PolicyLosses.Names.class)
    public String lossType = "grpo";
    /** token: one importance weight per token; sequence: one per completion (GSPO). */
    public String importanceSamplingLevel = "token";
    /** group (DeepSeekMath), batch (PPO Lite) or none (Dr. GRPO): what the grpo estimator divides centred rewards by;
     * true and false mean group and none. */
    public String scaleRewards = "group";
    /** grpo, rloo, reinforce_plus_plus or reinforce_plus_plus_baseline (verl's names; registry AdvantageEstimators). */
    @AllowedValues(AdvantageEstimators.Names.class)
    public String advantageEstimator = "grpo";
    /** Keep the policy term only for the top share of tokens by entropy (Beyond the 80/20 Rule; 0.2 recommended). */
    public double topEntropyQuantile = 1.0;
    /** Completions cut by max_completion_length train on nothing (DAPO's overlong filtering). */
    public boolean maskTruncatedCompletions = false;
    /** DAPO's dynamic sampling: drop groups whose rewards are all equal and sample more prompts until the batch is
     * full. */
    public boolean dynamicSampling = false;
    /** With dynamic_sampling, most generation batches sampled for one step (verl's name; 0: no limit); when it is
     * reached the step trains on the groups it has. */
    public int maxNumGenBatches = 10;
    /** DAPO's overlong reward shaping: completions longer than max_completion_length - overlong_buffer_length lose
     * up to overlong_penalty, linearly over the buffer (0: off). */
    public int overlongBufferLength = 0;
    /** The penalty at max_completion_length (verl's overlong_buffer.penalty_factor). */
    public double overlongPenalty = 1.0;
    /** Correct for the gap between the sampler's and the trainer's log-probs (the completions of async_rollouts come
     * from the previous policy) with truncated importance sampling, as TRL's option of this name. */
    public boolean vllmImportanceSamplingCorrection = true;
    /** token_truncate, token_mask, sequence_truncate or sequence_mask (TRL's modes). */
    public String vllmImportanceSamplingMode = "sequence_mask";
    /** Upper bound of the correction ratio (truncated to it, or masked above it); null: none. */
    public Double vllmImportanceSamplingClipMax = 3.0;
    /** Lower bound of the correction ratio; null: none. */
    public Double vllmImportanceSamplingClipMin;
    /** Write each logged step's prompts, completions, per-function rewards and advantages to completions.jsonl in
     * the run directory, and show one sampled completion every logging_steps. */
    public boolean logCompletions = false;
    /**
     * DeepSeekMoE router replay: the policy's teacher-forced passes reuse, for every completion token, the experts
     * the rollout chose (recorded while sampling) instead of routing again, so that the trainer's log-probs come
     * from the same experts as the sampler's (R3-style "rollout routing replay"). Either way each step logs
     * moe/router_mismatch, the fraction of (completion token, MoE layer) pairs whose top-k experts differ between
     * the rollout and the trainer's own routing. Models without MoE layers ignore it.
     */
    public boolean moeRouterReplay = false;
    /** Refresh the reference model from the policy every ref_model_sync_steps (TRL's TR-DPO style sync). */
    public boolean syncRefModel = false;
    /** Optimizer steps between reference refreshes (with sync_ref_model). */
    public int refModelSyncSteps = 512;
    /** Reference <- alpha * policy + (1 - alpha) * reference at a sync. */
    public double refModelMixupAlpha = 1.0;

    /** outcome: one reward per completion; process: per-step rewards (DeepSeekMath 4.1.3). */
    @AllowedValues(Supervision.class)
    public String supervision = "outcome";
    /** Reward functions, combined with their weights (TRL's reward_funcs and reward_weights). */
    @AllowedValues(RewardTypes.class)
    public List<Map<String, Object>> rewards = new ArrayList<>(List.of(new LinkedHashMap<>(Map.of("type", "math_answer"))));

    /**
     * Where the sandboxes of the code rewards (python_tests, java_tests, cpp_tests, javascript_tests) run: local, a
     * pool of reward_workers sandboxes on the trainer's machine; spark, one Spark task per chunk of the step's
     * completions on the cluster's executors (needs --ranks or --master, the distributed module's jar). A code
     * reward's own reward_executor wins over this.
     */
    @AllowedValues(RewardExecutor.class)
    public String rewardExecutor = "local";

    /**
     * Tools the policy may call while it completes a prompt (TRL's tools), each a name or a class with its
     * settings: [python], [{type: python, timeout_seconds: 10}], [python, com.example.MyTool] or
     * [{class: com.example.MyTool, ...settings}] (a public org.align4j.rollout.tool.Tool on the classpath:
     * plugins/*.jar or ALIGN4J_CLASSPATH). Multi-turn rollouts: the tool results are appended through the chat
     * template and left out of the loss and the KL. Needs a tokenizer with a chat_template; conversational
     * prompts are rendered with these tools' schemas.
     */
    public List<Object> tools = new ArrayList<>();
    /** Most tool results (environment answers) appended to one completion (TRL's max_tool_calling_iterations). */
    public int maxToolCallingIterations = 5;
    /**
     * The environment the policy interacts with over several turns (TRL's environment_factory): tools (plain
     * tool use over the tools list, the default when tools are given), your class by its full name
     * (com.example.MyEnv) or {class: com.example.MyEnv, args: {...}}: a public
     * org.align4j.rollout.tool.Environment on the classpath (plugins/*.jar or ALIGN4J_CLASSPATH), made anew for
     * each completion. Its end-of-episode reward is the reward function {type: environment} in rewards.
     */
    public Object environment;

    /**
     * Sample the next batch while the trainer updates (one policy version behind at most), from a copy of the
     * weights (one more set in memory, counted by the memory estimate); off, rollouts sample with the policy itself.
     */
    public boolean asyncRollouts = false;

    /** Iterative RL (DeepSeekMath Algorithm 1): settings of the outer loop; null for plain GRPO. */
    public IterativeConfig iterative;

    /**
     * Stop the run as diverged when a step's mean per-token KL to the reference exceeds this (nats; needs
     * beta > 0); 0: no limit. A policy this far from its reference has stopped being the model it was.
     */
    public double maxKl = 5.0;

    public GrpoConfig() {
        learningRate = 1e-6;
        lrSchedulerType = "constant";
        batchSize = 8;
        weightDecay = 0.0;
    }

    /**
     * Outer loop of iterative RL with a learned reward model retrained on the policy's samples (DeepSeekMath
     * Algorithm 1, run by {@link IterativeGrpo}). The reward model replaces {@code rewards} as GRPO's reward; the
     * rule checkers in label_rewards only label fresh samples for retraining it.
     */
    public static class IterativeConfig {
        /** Outer iterations; each resets the reference to the current policy. */
        public int iterations = 2;
        /** GRPO steps per outer iteration. */
        public int stepsPerIteration = 50;
        /** The reward model (a directory) that scores completions and is retrained after each iteration. */
        public String rewardModel;
        /** Share of each reward-model batch drawn from the replay of historical data. */
        public double replayFraction = 0.1;
        /** Most rows the replay buffer keeps (a uniform reservoir sample beyond that). */
        public int replayCapacity = 10_000;
        /**
         * The replay buffer directory; default output_dir/replay. Point it at the buffer of the run that trained
         * reward_model (its output_dir/replay) to replay that run's data too.
         */
        public String replayBuffer;
        /** Learning rate of each reward-model retraining. */
        public double rewardLearningRate = 1e-5;
        /** Reward-model optimizer steps of each retraining. */
        public int rewardTrainSteps = 50;
        /** Rows per reward-model batch in retraining. */
        public int rewardBatchSize = 16;
        /** Training prompts sampled after each iteration to label fresh completions. */
        public int labelPrompts = 64;
        /** Completions sampled per labelled prompt. */
        public int labelGenerations = 4;
        /** Share of the fresh samples held out of retraining, to measure the reward model before and after. */
        public double heldOutFraction = 0.2;
        /**
         * Ground truth for outcome labels: a completion is correct (label 1) when every checker that applies
         * to its row gives the full reward 1; rows no checker applies to are not labelled. Add
         * {@code {type: python_tests}} for code rows.
         */
        public List<Map<String, Object>> labelRewards =
                new ArrayList<>(List.of(new LinkedHashMap<>(Map.of("type", "math_answer"))));
        /** Ground truth for step labels when the reward model is a PRM (a process reward, see StepLabels). */
        public Map<String, Object> stepLabelReward = new LinkedHashMap<>(Map.of("type", "math_steps"));
    }

    /** The values of supervision. */
    public enum Supervision { OUTCOME, PROCESS }

    /** The values of reward_executor. */
    public enum RewardExecutor { LOCAL, SPARK }

    /**
     * The reward functions with reward_executor given to the code rewards that do not set their own (the other
     * rewards run where the trainer runs).
     */
    public List<Map<String, Object>> rewardsWithExecutor() {
        List<Map<String, Object>> out = new ArrayList<>(rewards.size());
        for (Map<String, Object> r : rewards) {
            if (r != null && UnitTestReward.isType(r.get("type")) && !r.containsKey("reward_executor")) {
                Map<String, Object> withExecutor = new LinkedHashMap<>(r);
                withExecutor.put("reward_executor", rewardExecutor);
                out.add(withExecutor);
            } else {
                out.add(r);
            }
        }
        return out;
    }

    /** The built-in reward types of {@link RewardFactory} (a rewards entry may also name a class). */
    public static final class RewardTypes implements Supplier<List<String>> {
        @Override
        public List<String> get() {
            return RewardFactory.builtInTypes();
        }
    }

    public double epsilonHighOrDefault() {
        return epsilonHigh == null ? epsilon : epsilonHigh;
    }

    public int completionsPerStep() {
        return batchSize * gradientAccumulationSteps;
    }

    @Override
    public double klLimit() {
        return maxKl;
    }

    public int promptsPerStep() {
        return completionsPerStep() / numGenerations;
    }

    public double deltaOrInfinity() {
        return delta == null ? Double.POSITIVE_INFINITY : delta;
    }

    public boolean processSupervision() {
        return supervision.equals("process");
    }

    @Override
    public void validate() {
        super.validate();
        if (usePeft && syncRefModel) {
            throw new BadInputException("sync_ref_model cannot be used with use_peft: the reference of a LoRA policy "
                    + "is its base model (adapters off), which is never updated");
        }
        atLeast("max_tool_calling_iterations", maxToolCallingIterations, 0);
        if (rewards != null && environment == null) {
            for (int i = 0; i < rewards.size(); i++) {
                if (EnvironmentReward.TYPE.equals(rewards.get(i).get("type"))) {
                    throw new BadInputException("rewards[" + i + "]: type 'environment' passes on the reward of an "
                            + "environment: set the key 'environment' (your class, e.g. com.example.MyEnv)");
                }
            }
        }
        if (modelNameOrPath == null || modelNameOrPath.isBlank()) {
            throw new BadInputException("model_name_or_path is required");
        }
        if (trainFile == null || trainFile.isBlank()) {
            throw new BadInputException("train_file is required");
        }
        atLeast("num_generations", numGenerations, 1);
        if (completionsPerStep() % numGenerations != 0) {
            throw new BadInputException("batch_size x gradient_accumulation_steps (" + completionsPerStep()
                    + ") must be a multiple of num_generations (" + numGenerations + ")");
        }
        atLeast("max_prompt_length", maxPromptLength, 1);
        atLeast("max_completion_length", maxCompletionLength, 1);
        atLeast("temperature", temperature, 0);
        if (!(topP > 0 && topP <= 1)) {
            throw new BadInputException("top_p must be in (0, 1], got " + topP);
        }
        atLeast("top_k", topK, 0);
        atLeast("beta", beta, 0);
        atLeast("epsilon", epsilon, 0);
        atLeast("max_kl", maxKl, 0);
        if (epsilonHigh != null) {
            atLeast("epsilon_high", epsilonHigh, 0);
        }
        atLeast("num_iterations", numIterations, 1);
        PolicyLosses.get(lossType);
        ImportanceSamplingLevel.parse(importanceSamplingLevel);
        ScaleRewards.parse(scaleRewards);
        KlEstimators.get(klEstimator);
        AdvantageEstimator estimator = AdvantageEstimators.get(advantageEstimator);
        if (delta != null && !(delta > 1 + epsilon)) {
            throw new BadInputException("delta must exceed 1 + epsilon (" + (1 + epsilon) + "), got " + delta);
        }
        between("top_entropy_quantile", topEntropyQuantile, 0, 1);
        atLeast("max_num_gen_batches", maxNumGenBatches, 0);
        atLeast("overlong_buffer_length", overlongBufferLength, 0);
        if (overlongBufferLength >= maxCompletionLength) {
            throw new BadInputException("overlong_buffer_length (" + overlongBufferLength
                    + ") must be less than max_completion_length (" + maxCompletionLength + ")");
        }
        atLeast("overlong_penalty", overlongPenalty, 0);
        ImportanceSamplingCorrection.Mode.parse(vllmImportanceSamplingMode);
        if (vllmImportanceSamplingClipMax != null) {
            positive("vllm_importance_sampling_clip_max", vllmImportanceSamplingClipMax);
        }
        if (vllmImportanceSamplingClipMin != null) {
            atLeast("vllm_importance_sampling_clip_min", vllmImportanceSamplingClipMin, 0);
        }
        if (!rewardExecutor.equals("local") && !rewardExecutor.equals("spark")) {
            throw new BadInputException("reward_executor must be local or spark, got '" + rewardExecutor + "'");
        }
        if (!supervision.equals("outcome") && !supervision.equals("process")) {
            throw new BadInputException("supervision must be outcome or process, got '" + supervision + "'");
        }
        if (processSupervision() && !estimator.acceptsProcessRewards()) {
            throw new BadInputException("advantage_estimator " + advantageEstimator + " needs one reward per completion: "
                    + "use supervision: outcome, or grpo or reinforce_plus_plus for process rewards");
        }
        atLeast("ref_model_sync_steps", refModelSyncSteps, 1);
        between("ref_model_mixup_alpha", refModelMixupAlpha, 0, 1);
        if (rewards == null || rewards.isEmpty()) {
            throw new BadInputException("rewards must list at least one reward function");
        }
        if (iterative != null) {
            if (iterative.rewardModel == null) {
                throw new BadInputException("iterative.reward_model is required for iterative RL");
            }
            if (!(iterative.replayFraction >= 0 && iterative.replayFraction < 1)) {
                throw new BadInputException("iterative.replay_fraction must be in [0, 1), got " + iterative.replayFraction);
            }
            atLeast("iterative.iterations", iterative.iterations, 1);
            atLeast("iterative.steps_per_iteration", iterative.stepsPerIteration, 1);
            atLeast("iterative.replay_capacity", iterative.replayCapacity, 1);
            positive("iterative.reward_learning_rate", iterative.rewardLearningRate);
            atLeast("iterative.reward_train_steps", iterative.rewardTrainSteps, 1);
            atLeast("iterative.reward_batch_size", iterative.rewardBatchSize, 1);
            atLeast("iterative.label_prompts", iterative.labelPrompts, 1);
            atLeast("iterative.label_generations", iterative.labelGenerations, 1);
            if (!(iterative.heldOutFraction >= 0 && iterative.heldOutFraction < 1)) {
                throw new BadInputException("iterative.held_out_fraction must be in [0, 1), got "
                        + iterative.heldOutFraction);
            }
            if (iterative.labelRewards == null || iterative.labelRewards.isEmpty()) {
                throw new BadInputException("iterative.label_rewards must list at least one rule checker");
            }
        }
    }
}
