package org.align4j.reward;

import org.align4j.policy.util.BadInputException;
import org.align4j.reward.plugins.CountingEnvironment;
import org.align4j.reward.plugins.NoToolsEnvironment;
import org.align4j.rollout.tool.Environment;
import org.align4j.rollout.tool.Tool;
import org.align4j.rollout.tool.ToolCallFormat;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A user's tools and environments named in a config by their class (as custom rewards are), the errors of
 * names and classes that do not fit, and the {@code environment} reward that passes an environment's reward on.
 */
class PluginToolsAndEnvironmentsTest {

    private static final String ECHO = "org.align4j.reward.plugins.EchoTool";
    private static final String COUNTING = "org.align4j.reward.plugins.CountingEnvironment";
    private static final String CALL = "<tool_call>\n{\"name\": \"echo\", \"arguments\": {\"text\": \"hi\"}}\n</tool_call>";

    private static String error(Runnable r) {
        String m = assertThrows(BadInputException.class, r::run).getMessage();
        assertFalse(m.contains("\n"), m);
        return m;
    }

    @Test
    void toolsAreNamesOrClassesAloneOrWithSettings() throws Exception {
        List<Tool> tools = ToolFactory.create(List.of(ECHO));
        assertEquals("echo", tools.get(0).name());
        assertEquals("hi", tools.get(0).call(Map.of("text", "hi")));
        Tool withSettings = ToolFactory.create(List.of(Map.of("class", ECHO, "prefix", "> "))).get(0);
        assertEquals("> hi", withSettings.call(Map.of("text", "hi")));
    }

    @Test
    void badToolEntriesAreOneLineNamingTheEntry() {
        String unknown = error(() -> ToolFactory.create(List.of(ECHO, "calculator")));
        assertTrue(unknown.startsWith("tools[1]: unknown tool 'calculator' (known: python; or give your own class by its "
                + "full name, e.g. com.example.MyTool: a public class implementing org.align4j.rollout.tool.Tool"), unknown);
        assertTrue(unknown.contains("plugins/") && unknown.contains("ALIGN4J_CLASSPATH"), unknown);
        assertEquals("tools[0]: class 'java.lang.String' does not implement org.align4j.rollout.tool.Tool",
                error(() -> ToolFactory.create(List.of("java.lang.String"))));
        assertTrue(error(() -> ToolFactory.create(List.of("com.example.Missing")))
                .startsWith("tools[0]: class 'com.example.Missing' not found on the classpath (put it in a jar in plugins/"));
        assertEquals("tools: two tools are named 'echo'", error(() -> ToolFactory.create(List.of(ECHO, ECHO))));
        assertTrue(error(() -> ToolFactory.create(List.of(Map.of("type", "python", "class", ECHO))))
                .startsWith("tools[0]: a tool entry needs exactly one of 'type' (python) or 'class'"));
    }

    @Test
    void anEnvironmentClassIsMadeFreshForEachCompletionWithItsArgsAndTheTools() {
        List<Tool> tools = ToolFactory.create(List.of(ECHO));
        Supplier<Environment> envs = EnvironmentFactory.create(Map.of("class", COUNTING, "args", Map.of("per_call", 0.25)),
                tools, ToolCallFormat.QWEN);
        Environment a = envs.get();
        assertNotSame(a, envs.get());
        CountingEnvironment counting = (CountingEnvironment) a;
        assertEquals(Map.of("per_call", 0.25), counting.args);
        a.reset("p", Map.of());
        Environment.Step step = a.step(CALL + CALL);
        assertEquals(2, step.calls());
        assertEquals("hi", step.messages().get(0).get("content"));
        assertEquals(0.5, a.reward());
        assertEquals("echo", ((Map<?, ?>) a.toolSchemas().get(0).get("function")).get("name"));
        // by name alone, without args or tools
        assertEquals(0.5, EnvironmentFactory.create("org.align4j.reward.plugins.NoToolsEnvironment", List.of(),
                ToolCallFormat.QWEN).get().reward());
        // the built-in plain tool use, also the default
        assertNull(EnvironmentFactory.create(null, tools, ToolCallFormat.QWEN).get().reward());
        assertEquals(1, EnvironmentFactory.create("tools", tools, ToolCallFormat.QWEN).get().step(CALL).calls());
    }

    @Test
    void badEnvironmentsAreOneLineNamingTheKey() {
        String unknown = error(() -> EnvironmentFactory.create("sokoban", List.of(), ToolCallFormat.QWEN));
        assertTrue(unknown.startsWith("environment: unknown environment 'sokoban' (built-in: tools, plain tool use over the "
                + "tools list; or give your own class by its full name, e.g. com.example.MyEnv"), unknown);
        assertTrue(unknown.contains("plugins/") && unknown.contains("ALIGN4J_CLASSPATH"), unknown);
        assertEquals("environment: class '" + ECHO + "' does not implement org.align4j.rollout.tool.Environment",
                error(() -> EnvironmentFactory.create(ECHO, List.of(), ToolCallFormat.QWEN)));
        assertTrue(error(() -> EnvironmentFactory.create("com.example.Missing", List.of(), ToolCallFormat.QWEN))
                .startsWith("environment: class 'com.example.Missing' not found on the classpath"));
        assertEquals("environment: class '" + NoToolsEnvironment.class.getName() + "' takes no tools (it has no public "
                        + "constructor (Map<String, Object> args, ToolEnvironment tools)) but the config lists tools",
                error(() -> EnvironmentFactory.create(NoToolsEnvironment.class.getName(), ToolFactory.create(List.of(ECHO)),
                        ToolCallFormat.QWEN)));
        assertEquals("environment: class '" + NoToolsEnvironment.class.getName() + "' takes no args (it has no Map "
                        + "constructor) but the entry has [n]",
                error(() -> EnvironmentFactory.create(Map.of("class", NoToolsEnvironment.class.getName(), "args", Map.of("n", 1)),
                        List.of(), ToolCallFormat.QWEN)));
        assertEquals("environment: unknown key [name] (known: args, class)",
                error(() -> EnvironmentFactory.create(Map.of("class", COUNTING, "name", "x"), List.of(), ToolCallFormat.QWEN)));
    }

    @Test
    void theEnvironmentRewardIsAWeightedRewardLikeTheOthers() {
        WeightedRewards rewards = RewardFactory.weighted(List.of(Map.of("type", "environment", "weight", 0.5),
                Map.of("type", "math_answer")));
        List<RewardInput> batch = Arrays.asList(
                new RewardInput("p", "\\boxed{4}", null, null, Map.of("answer", "4"), 1.0),
                new RewardInput("p", "\\boxed{5}", null, null, Map.of("answer", "4"), null));
        WeightedScores s = rewards.score(batch);
        assertEquals(List.of("environment", "math_answer"), rewards.names());
        assertEquals(1.0 * 0.5 + 1.0, s.total(0), 1e-12);
        assertEquals(0.0, s.total(1), 1e-12, "the environment abstains where it gave no reward");
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> RewardFactory.weighted(List.of(Map.of("type", "environment", "scale", 2)))).getMessage()
                .startsWith("rewards[0]: environment: unknown key 'scale'"));
    }
}
