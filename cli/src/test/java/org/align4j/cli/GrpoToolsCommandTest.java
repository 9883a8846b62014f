package org.align4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.align4j.policy.model.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tool-integrated math RL from the command line with the example config (examples/configs/grpo-tools.yaml) on
 * a tiny model: first taught by `align4j sft` to answer the example's word problems by calling the python tool
 * (conversations: the problem, a tool call, the tool's result, the boxed answer), then trained by
 * `align4j grpo` for two steps, in which its rollouts call the sandboxed python tool, get its output back
 * through the chat template and go on to a final answer that math_answer grades.
 */
class GrpoToolsCommandTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PROBLEM = Pattern.compile("holds (\\d+) apples and another holds (\\d+)\\..* among (\\d+) children");

    static Path example(String name) {
        for (Path p : new Path[] {Paths.get("../examples/configs", name), Paths.get("examples/configs", name)}) {
            if (Files.isRegularFile(p)) {
                return p.toAbsolutePath().normalize();
            }
        }
        throw new IllegalStateException("examples/configs/" + name + " not found");
    }

    /**
     * A tool call for a problem of tool-math.jsonl, in Qwen's format, which the parser reads: the sum of the
     * two crates. (A model this small learns the call's form in a few steps, not the copying of numbers.)
     */
    private static String call(String problem) {
        Matcher m = PROBLEM.matcher(problem);
        assertTrue(m.find(), problem);
        return "<tool_call>\n{\"name\": \"python\", \"arguments\": {\"code\": \"print(" + m.group(1).charAt(0)
                + " + 2)\"}}\n</tool_call>";
    }

    @Test
    void toolIntegratedMathRlWithTheExampleConfig(@TempDir Path dir) throws Exception {
        Path problems = example("tool-math.jsonl");
        StringBuilder corpus = new StringBuilder();
        StringBuilder sft = new StringBuilder();
        for (String line : Files.readAllLines(problems)) {
            ObjectNode row = (ObjectNode) JSON.readTree(line);
            ArrayNode messages = ((ArrayNode) row.get("prompt")).deepCopy();
            String answer = row.get("answer").asText();
            String call = call(messages.get(messages.size() - 1).get("content").asText());
            messages.addObject().put("role", "assistant").put("content", call);
            messages.addObject().put("role", "tool").put("content", answer);
            messages.addObject().put("role", "assistant").put("content", "\\boxed{" + answer + "}");
            StringBuilder text = new StringBuilder();
            messages.forEach(m -> text.append(m.get("content").asText()).append('\n'));
            corpus.append(JSON.writeValueAsString(JSON.createObjectNode().put("text", text.toString()))).append('\n');
            ObjectNode conversation = JSON.createObjectNode();
            conversation.set("messages", messages);
            sft.append(JSON.writeValueAsString(conversation)).append('\n');
        }
        Files.writeString(dir.resolve("corpus.jsonl"), corpus.toString());
        Files.writeString(dir.resolve("sft.jsonl"), sft.toString());
        Path model = dir.resolve("model");
        Path modelConfig = dir.resolve("llama-tiny.json");
        Files.writeString(modelConfig, ModelConfig.llama(512, 48, 96, 2, 4, 2, 256, null, new int[0]).toJson().toString());
        CliRun init = CliRun.of("init-model", "--config", modelConfig.toString(),
                "--train-tokenizer", dir.resolve("corpus.jsonl").toString(), "--out", model.toString());
        assertEquals(0, init.exit(), init.err());

        // Teach the tiny model the tool call (the tool's result is not trained on: assistant_only_loss).
        Path sftConfig = dir.resolve("sft.yaml");
        Files.writeString(sftConfig, String.join("\n",
                "model_name_or_path: " + model,
                "train_file: " + dir.resolve("sft.jsonl"),
                "output_dir: " + dir.resolve("sft"),
                "assistant_only_loss: true",
                "max_length: 192",
                "batch_size: 8",
                "learning_rate: 1.0e-2",
                "weight_decay: 0.0",
                "max_steps: 80",
                "logging_steps: 20",
                "save_steps: 0", ""));
        CliRun taught = CliRun.of("sft", "--config", sftConfig.toString());
        assertEquals(0, taught.exit(), taught.err());

        Path run = dir.resolve("grpo");
        CliRun r = CliRun.of("grpo", "--config", example("grpo-tools.yaml").toString(),
                "--set", "model_name_or_path=" + dir.resolve("sft/final"),
                "--set", "train_file=" + problems,
                "--set", "output_dir=" + run,
                "--set", "num_generations=4",
                "--set", "batch_size=8",
                "--set", "max_prompt_length=128",
                "--set", "max_completion_length=64",
                "--set", "max_steps=2",
                "--set", "save_steps=0",
                "--set", "log_completions=true");
        assertEquals(0, r.exit(), r.err());
        List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
        assertEquals(2, lines.size());
        for (String line : lines) {
            JsonNode m = JSON.readTree(line);
            assertTrue(m.has("rewards/math_answer/mean"), line);
            assertTrue(m.get("tools/call_frequency").asDouble() > 0.5, "the taught model calls the tool: " + line);
            assertTrue(m.get("tools/failure_frequency").asDouble() < 1, "some calls run: " + line);
        }
        // The python tool's output (a number it printed, not an error) came back through the chat template.
        boolean answered = false;
        for (String line : Files.readAllLines(run.resolve("completions.jsonl"))) {
            String completion = JSON.readTree(line).get("completion").asText();
            answered |= Pattern.compile("</tool_call>.*<\\|tool\\|>\\n\\d+", Pattern.DOTALL).matcher(completion).find();
        }
        assertTrue(answered, "a tool result follows a call in some completion");
        assertTrue(Files.isRegularFile(run.resolve("final/model.safetensors")));
    }
}
