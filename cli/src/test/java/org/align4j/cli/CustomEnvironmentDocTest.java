package org.align4j.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.align4j.cli.CustomRewardDocTest.bash;
import static org.align4j.cli.CustomRewardDocTest.blocks;
import static org.align4j.cli.CustomRewardDocTest.demoWorkspace;
import static org.align4j.cli.CustomRewardDocTest.launcherEnv;
import static org.align4j.cli.CustomRewardDocTest.repoFile;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The "Your own environment" section of docs/chat-and-tools.md as a user follows it: its Java class, its
 * compile commands and its config, taken from the section's code blocks and run through the launcher script
 * (see {@link CustomRewardDocTest}) on a tiny model with a chat template in place of the demo's.
 */
class CustomEnvironmentDocTest {

    @Test
    void theSectionsEnvironmentCompilesLoadsFromPluginsAndItsRewardIsLogged(@TempDir Path root) throws Exception {
        String doc = Files.readString(repoFile("docs/chat-and-tools.md"));
        String section = doc.substring(doc.indexOf("## Your own environment"), doc.indexOf("## The Java SPI in the rollout"));
        List<String> java = blocks(section, "java");
        List<String> bash = blocks(section, "bash");
        String yaml = blocks(section, "yaml").stream().filter(b -> b.contains("model_name_or_path")).findFirst().orElseThrow();
        assertEquals(1, java.size());
        assertEquals(2, bash.size());

        Files.writeString(root.resolve("RetryMath.java"), java.get(0));
        Files.writeString(root.resolve("my-retry.yaml"), yaml);
        Path model = demoWorkspace(root);
        ObjectMapper json = new ObjectMapper();
        ObjectNode tokConfig = (ObjectNode) json.readTree(model.resolve("tokenizer_config.json").toFile());
        tokConfig.put("chat_template", "{% for m in messages %}{{ '<|' + m.role + '|>' + m.content + eos_token }}{% endfor %}"
                + "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}");
        Files.writeString(model.resolve("tokenizer_config.json"), json.writeValueAsString(tokConfig));
        Map<String, String> env = launcherEnv(root);
        CustomRewardDocTest.Run compile = bash(root, bash.get(0), env);
        assertEquals(0, compile.exit(), compile.output());
        assertTrue(Files.isRegularFile(root.resolve("plugins/retry-math.jar")), compile.output());

        String runLine = bash.get(1).strip();
        assertEquals("./align4j grpo --config my-retry.yaml", runLine);
        String small = " --set max_steps=1 --set max_completion_length=8";
        CustomRewardDocTest.Run run = bash(root, runLine + small, env);
        assertEquals(0, run.exit(), run.output());
        String metrics = Files.readString(root.resolve("runs/grpo-retry/metrics.jsonl"));
        assertTrue(metrics.contains("\"rewards/environment/mean\""), metrics);
        assertTrue(metrics.contains("\"rewards/math_format/mean\""), metrics);

        CustomRewardDocTest.Run notAnEnvironment = bash(root, runLine + small
                + " --set environment=java.lang.String --set output_dir=runs/bad", env);
        assertEquals(2, notAnEnvironment.exit(), notAnEnvironment.output());
        assertTrue(notAnEnvironment.output().contains(
                "environment: class 'java.lang.String' does not implement org.align4j.rollout.tool.Environment"),
                notAnEnvironment.output());
    }
}
