package org.align4j.grpo;

import org.align4j.policy.text.HfChatTemplate;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.policy.util.BadInputException;
import org.align4j.reward.EnvironmentFactory;
import org.align4j.reward.ToolFactory;
import org.align4j.rollout.Completion;
import org.align4j.rollout.tool.Environment;
import org.align4j.rollout.tool.Tool;
import org.align4j.rollout.tool.ToolCallFormat;
import org.align4j.rollout.tool.ToolRollout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * GRPO's tool use: the multi-turn rollout of the configured tools and environment, and what it adds to the trainer: the
 * tools' schemas for rendering prompts, the loss mask without the tokens the tools wrote, and the metrics
 * TRL logs ({@code tools/call_frequency}: calls per completion; {@code tools/failure_frequency}: failed
 * calls per call).
 */
final class ToolUse {

    private ToolUse() {
    }

    /** The rollout with the config's tools and environment, or null when it has neither. */
    static ToolRollout rollout(GrpoConfig config, Tokenizer tokenizer) {
        boolean hasTools = config.tools != null && !config.tools.isEmpty();
        if (!hasTools && config.environment == null) {
            return null;
        }
        HfChatTemplate template = HfChatTemplate.of(tokenizer.config(), "chat_template of tokenizer_config.json");
        if (template == null) {
            throw new BadInputException((hasTools ? "tools" : "environment") + ": the tokenizer has no chat_template in "
                    + "tokenizer_config.json, which the environment's answers are rendered with");
        }
        List<Tool> tools = hasTools ? ToolFactory.create(config.tools) : List.of();
        ToolCallFormat format = ToolCallFormat.forTokenizer(tokenizer);
        Supplier<Environment> environments = EnvironmentFactory.create(config.environment, tools, format);
        return new ToolRollout(tokenizer, template, environments, config.maxToolCallingIterations);
    }

    /** The tools' schemas, for the chat template of conversational prompts; null without tools. */
    static List<Object> schemas(ToolRollout rollout) {
        return rollout == null ? null : new ArrayList<>(rollout.toolSchemas());
    }

    /** 1 for each token the policy sampled, 0 for those the environment wrote. */
    static void maskEnvironmentTokens(Completion c, double[] mask) {
        for (int t = 0; t < mask.length; t++) {
            if (c.fromEnvironment(t)) {
                mask[t] = 0.0;
            }
        }
    }

    static void metrics(List<Completion> completions, Map<String, ? super Double> m) {
        long calls = 0;
        long failures = 0;
        for (Completion c : completions) {
            calls += c.toolCalls();
            failures += c.toolFailures();
        }
        m.put("tools/call_frequency", (double) calls / Math.max(1, completions.size()));
        m.put("tools/failure_frequency", calls == 0 ? 0.0 : (double) failures / calls);
    }
}
