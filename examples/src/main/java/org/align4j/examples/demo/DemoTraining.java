package org.align4j.examples.demo;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;

/**
 * The part of summary.json that every demo task writes alike: what the pipeline trained (model size, SFT and
 * GRPO steps and their final loss and reward, where the models and their metrics plots are) and the seconds of
 * each phase. A task's summary unwraps it into its own keys.
 */
public record DemoTraining(@JsonProperty("model_parameters") long modelParameters,
                           @JsonProperty("vocab_size") int vocabSize,
                           @JsonProperty("sft_steps") long sftSteps,
                           @JsonProperty("sft_final_loss") double sftFinalLoss,
                           @JsonProperty("grpo_steps") long grpoSteps,
                           @JsonProperty("grpo_final_reward") double grpoFinalReward,
                           @JsonProperty("max_completion_length") int maxCompletionLength,
                           @JsonProperty("sft_model") String sftModel,
                           @JsonProperty("grpo_model") String grpoModel,
                           @JsonProperty("plots") Map<String, String> plots,
                           @JsonProperty("wall_seconds") Map<String, Double> wallSeconds,
                           @JsonProperty("cpu_seconds") Map<String, Double> cpuSeconds) {
}
