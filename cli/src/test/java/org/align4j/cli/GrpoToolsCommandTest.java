package org.align4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tool-integrated math RL from the command line, on a tiny untrained model: conversational prompts rendered
 * by the model's chat template with the python tool's schema, multi-turn rollouts with the sandboxed python
 * tool, the outcome reward on the final answer, and the tool metrics logged. (A random model rarely writes a
 * valid tool call; the tool loop itself is tested with a scripted policy in rollout's ToolRolloutTest.)
 */
class GrpoToolsCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void aToolUsingGrpoRunGoesEndToEnd(@TempDir Path dir) throws Exception {
        StringBuilder corpus = new StringBuilder();
        StringBuilder prompts = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            int a = i % 9 + 1;
            int b = i % 7 + 2;
            corpus.append("{\"text\": \"What is ").append(a).append(" times ").append(b)
                    .append("? <tool_call>\\n{\\\"name\\\": \\\"python\\\", \\\"arguments\\\": {\\\"code\\\": \\\"print(")
                    .append(a).append("*").append(b).append(")\\\"}}\\n</tool_call> \\\\boxed{").append(a * b).append("}\"}\n");
            if (i < 8) {
                prompts.append("{\"prompt\": [{\"role\": \"user\", \"content\": \"What is ").append(a).append(" times ")
                        .append(b).append("?\"}], \"answer\": \"").append(a * b).append("\"}\n");
            }
        }
        Files.writeString(dir.resolve("corpus.jsonl"), corpus.toString());
        Files.writeString(dir.resolve("prompts.jsonl"), prompts.toString());
        Path model = dir.resolve("model");
        CliRun init = CliRun.of("init-model", "--config", DeepSeekCommandsTest.exampleConfig().toString(),
                "--train-tokenizer", dir.resolve("corpus.jsonl").toString(), "--out", model.toString());
        assertEquals(0, init.exit(), init.err());
        Path config = dir.resolve("grpo-tools.yaml");
        Files.writeString(config, String.join("\n",
                "model_name_or_path: " + model,
                "train_file: " + dir.resolve("prompts.jsonl"),
                "output_dir: " + dir.resolve("run"),
                "num_generations: 4",
                "batch_size: 8",
                "max_prompt_length: 96",
                "max_completion_length: 24",
                "learning_rate: 1.0e-3",
                "max_steps: 2",
                "logging_steps: 1",
                "save_steps: 0",
                "tools:",
                "  - {type: python, timeout_seconds: 5}",
                "max_tool_calling_iterations: 2",
                "rewards:",
                "  - {type: math_answer}", ""));
        CliRun r = CliRun.of("grpo", "--config", config.toString());
        assertEquals(0, r.exit(), r.err());
        List<String> lines = Files.readAllLines(dir.resolve("run/metrics.jsonl"));
        assertEquals(2, lines.size());
        for (String line : lines) {
            JsonNode m = JSON.readTree(line);
            assertTrue(m.has("tools/call_frequency"), line);
            assertTrue(m.has("tools/failure_frequency"), line);
        }
        assertTrue(Files.isRegularFile(dir.resolve("run/final/model.safetensors")));
    }
}
