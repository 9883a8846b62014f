package org.align4j.rollout.tool;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.align4j.policy.text.HfChatTemplate;
import org.align4j.policy.tokenizer.BpeTrainer;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.rollout.Completion;
import org.align4j.rollout.CompletionGroup;
import org.align4j.rollout.FinishReason;
import org.align4j.rollout.Prompt;
import org.align4j.rollout.SamplingParams;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Multi-turn rollouts with a scripted policy: tool calls parsed, run, answered through the chat template;
 * the environment's tokens flagged; the whole sequence equal to the template's rendering of the conversation.
 */
class ToolRolloutTest {

    /** Qwen-style: tool results go back in a user turn as <tool_response> blocks. */
    private static final String TEMPLATE = "{{ bos_token }}{% for m in messages %}"
            + "{% if m.role == 'tool' %}{% if loop.first or messages[loop.index0 - 1].role != 'tool' %}{{ '<|user|>' }}{% endif %}"
            + "{{ '\\n<tool_response>\\n' + m.content + '\\n</tool_response>' }}"
            + "{% if loop.last or messages[loop.index0 + 1].role != 'tool' %}{{ eos_token + '\\n' }}{% endif %}"
            + "{% else %}{{ '<|' + m.role + '|>\\n' + m.content + eos_token + '\\n' }}{% endif %}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}";

    private static final String CALL = "<tool_call>\n{\"name\": \"double\", \"arguments\": {\"x\": 21}}\n</tool_call>";

    @TempDir
    static Path dir;
    static Tokenizer tok;
    static HfChatTemplate template;

    @BeforeAll
    static void tokenizer() throws Exception {
        BpeTrainer trainer = BpeTrainer.deepSeekStyle(300);
        trainer.add("what is double 21? <tool_call> {\"name\": \"double\", \"arguments\": {\"x\": 21}} </tool_call> the answer is 42.");
        trainer.train().save(dir);
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(dir.resolve("tokenizer_config.json").toFile());
        config.put("chat_template", TEMPLATE);
        Files.writeString(dir.resolve("tokenizer_config.json"), json.writeValueAsString(config));
        tok = Tokenizer.load(dir);
        template = HfChatTemplate.of(tok.config(), "test template");
    }

    /** A tool that doubles "x". */
    static final class Doubler implements Tool {
        @Override
        public String name() {
            return "double";
        }

        @Override
        public String description() {
            return "Doubles x.";
        }

        @Override
        public Map<String, Object> parameters() {
            return Map.of("type", "object", "properties", Map.of("x", Map.of("type", "integer")));
        }

        @Override
        public String call(Map<String, Object> arguments) throws ToolException {
            if (!(arguments.get("x") instanceof Number n)) {
                throw new ToolException("x must be a number");
            }
            return String.valueOf(2 * n.longValue());
        }
    }

    /** Replies with script(text so far) and eos; every token at log-prob -1. */
    private static ToolRollout.TurnSampler scripted(Function<String, String> script) {
        return new ToolRollout.TurnSampler() {
            @Override
            public List<CompletionGroup> sample(List<Prompt> prompts, int n, SamplingParams params, long version) {
                List<CompletionGroup> out = new ArrayList<>();
                for (Prompt p : prompts) {
                    List<Completion> cs = new ArrayList<>();
                    for (int g = 0; g < n; g++) {
                        int[] reply = tok.encode(script.apply(tok.decode(p.ids(), false)), false);
                        int[] ids = Arrays.copyOf(reply, reply.length + 1);
                        ids[reply.length] = tok.eosId();
                        double[] lp = new double[ids.length];
                        Arrays.fill(lp, -1.0);
                        cs.add(new Completion(p.id(), g, ids, lp, FinishReason.EOS, version, null));
                    }
                    out.add(new CompletionGroup(p, cs, version));
                }
                return out;
            }

            @Override
            public int maxPromptLength() {
                return 4096;
            }
        };
    }

    private static Map<String, Object> msg(String role, String content) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        m.put("content", content);
        return m;
    }

    private static Prompt prompt(String question) {
        return new Prompt("q", tok.encode(template.render(List.of(msg("user", question)), null, true, null), false), question);
    }

    @Test
    void aToolCallIsRunAndAnsweredThroughTheTemplate() {
        ToolRollout rollout = new ToolRollout(tok, template,
                () -> new ToolEnvironment(List.of(new Doubler()), ToolCallFormat.QWEN), 3);
        Function<String, String> script = text -> text.contains("<tool_response>") ? "The answer is 42." : CALL;
        Completion c = rollout.sample(scripted(script), List.of(prompt("what is double 21?")), 2,
                SamplingParams.DEFAULTS.withMaxCompletionLength(200), 7).get(0).get(1);
        assertEquals(1, c.toolCalls());
        assertEquals(0, c.toolFailures());
        assertEquals(FinishReason.EOS, c.finishReason());
        // The environment's tokens are exactly the template's tool turn and the opening of the next assistant turn.
        List<Integer> env = new ArrayList<>();
        for (int i = 0; i < c.length(); i++) {
            if (c.fromEnvironment(i)) {
                env.add(c.ids()[i]);
                assertEquals(0.0, c.logProbs()[i]);
            } else {
                assertEquals(-1.0, c.logProbs()[i]);
            }
        }
        assertEquals("\n<|user|>\n<tool_response>\n42\n</tool_response><|end_of_text|>\n<|assistant|>\n",
                tok.decode(env.stream().mapToInt(Integer::intValue).toArray(), false));
        // Prompt + completion is the conversation as the chat template renders it.
        List<Map<String, Object>> conversation = List.of(msg("user", "what is double 21?"), msg("assistant", CALL),
                msg("tool", "42"), msg("assistant", "The answer is 42."));
        int[] p = prompt("what is double 21?").ids();
        int[] all = Arrays.copyOf(p, p.length + c.length());
        System.arraycopy(c.ids(), 0, all, p.length, c.length());
        assertEquals(template.render(conversation, null, false, null), tok.decode(all, false) + "\n");
        assertTrue(c.text().endsWith("The answer is 42."), c.text());
    }

    @Test
    void callsStopAtMaxToolCallingIterationsAndFailuresAreCounted() {
        ToolRollout rollout = new ToolRollout(tok, template,
                () -> new ToolEnvironment(List.of(new Doubler()), ToolCallFormat.QWEN), 2);
        Completion c = rollout.sample(scripted(text -> CALL), List.of(prompt("again?")), 1,
                SamplingParams.DEFAULTS.withMaxCompletionLength(400), 0).get(0).get(0);
        assertEquals(3, c.toolCalls(), "two answered calls and the unanswered third");
        int envRuns = 0;
        for (int i = 0; i < c.length(); i++) {
            if (c.fromEnvironment(i) && (i == 0 || !c.fromEnvironment(i - 1))) {
                envRuns++;
            }
        }
        assertEquals(2, envRuns);

        Completion bad = rollout.sample(scripted(text -> text.contains("<tool_response>") ? "ok"
                        : "<tool_call>\n{\"name\": \"triple\", \"arguments\": {}}\n</tool_call>"),
                List.of(prompt("x")), 1, SamplingParams.DEFAULTS.withMaxCompletionLength(400), 0).get(0).get(0);
        assertEquals(1, bad.toolCalls());
        assertEquals(1, bad.toolFailures());
        assertTrue(tok.decode(bad.ids(), false).contains("Error: no tool named 'triple' (tools: double)"));
    }

    @Test
    void aReplyWithoutToolCallsIsOneTurn() {
        ToolRollout rollout = new ToolRollout(tok, template,
                () -> new ToolEnvironment(List.of(new Doubler()), ToolCallFormat.QWEN), 3);
        Completion c = rollout.sample(scripted(text -> "42"), List.of(prompt("x")), 1,
                SamplingParams.DEFAULTS.withMaxCompletionLength(50), 0).get(0).get(0);
        assertEquals(0, c.toolCalls());
        for (int i = 0; i < c.length(); i++) {
            assertFalse(c.fromEnvironment(i));
        }
    }

    @Test
    void deepSeekToolCallsAreParsed() {
        List<ToolCall> calls = ToolCallFormat.DEEPSEEK.parse("<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>python\n"
                + "```json\n{\"code\": \"print(1)\"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>");
        assertEquals(1, calls.size());
        assertEquals("python", calls.get(0).name());
        assertEquals(Map.of("code", "print(1)"), calls.get(0).arguments());
        List<ToolCall> qwen = ToolCallFormat.QWEN.parse("a <tool_call>\n{\"name\": \"f\", \"arguments\": \"{\\\"y\\\": 2}\"}\n</tool_call>"
                + "<tool_call>not json</tool_call>");
        assertEquals(2, qwen.size());
        assertEquals(Map.of("y", 2), qwen.get(0).arguments());
        assertEquals(null, qwen.get(1).name());
    }

    /** Guess the row's "answer": each wrong reply is answered by a user turn saying higher or lower; reward 1 when guessed. */
    static final class Guess implements Environment {
        int answer;
        boolean guessed;

        @Override
        public List<Map<String, Object>> toolSchemas() {
            return List.of();
        }

        @Override
        public void reset(String promptText, Map<String, Object> row) {
            answer = ((Number) row.get("answer")).intValue();
        }

        @Override
        public Step step(String assistantText) {
            int guess = Integer.parseInt(assistantText.replaceAll("[^0-9]", ""));
            guessed = guess == answer;
            return guessed ? Step.finished() : new Step(List.of(msg("user", guess < answer ? "higher" : "lower")), false, 0, 0);
        }

        @Override
        public Double reward() {
            return guessed ? 1.0 : 0.0;
        }
    }

    @Test
    void anEnvironmentIsResetWithTheRowAndItsRewardEndsInTheCompletion() {
        Prompt p = new Prompt("q", prompt("guess").ids(), "guess", Map.of("answer", 42));
        // 40, then (told "higher") 42
        Function<String, String> script = text -> text.contains("higher") ? "42" : "40";
        Completion twoTurns = new ToolRollout(tok, template, Guess::new, 3)
                .sample(scripted(script), List.of(p), 1, SamplingParams.DEFAULTS.withMaxCompletionLength(200), 0).get(0).get(0);
        assertEquals(1.0, twoTurns.environmentReward());
        assertTrue(tok.decode(twoTurns.ids(), false).contains("<|user|>\nhigher"), tok.decode(twoTurns.ids(), false));
        // max_tool_calling_iterations 0: one reply, stepped (graded) but not answered
        Completion oneTurn = new ToolRollout(tok, template, Guess::new, 0)
                .sample(scripted(script), List.of(p), 1, SamplingParams.DEFAULTS.withMaxCompletionLength(200), 0).get(0).get(0);
        assertEquals(0.0, oneTurn.environmentReward());
        assertFalse(tok.decode(oneTurn.ids(), false).contains("higher"));
        // plain tool use gives no reward of its own
        Completion tools = new ToolRollout(tok, template, () -> new ToolEnvironment(List.of(new Doubler()), ToolCallFormat.QWEN), 1)
                .sample(scripted(text -> "42"), List.of(p), 1, SamplingParams.DEFAULTS.withMaxCompletionLength(50), 0).get(0).get(0);
        assertNull(tools.environmentReward());
    }

    @Test
    void deepSeekV3sOwnTemplateRendersCallsTheParserReadsAndAnswersThatContinueTheTurn() throws Exception {
        Tokenizer ds = deepSeekTokenizer();
        HfChatTemplate dsTemplate = HfChatTemplate.of(ds.config(), "deepseek_v3/tokenizer_config.json");
        assertEquals(ToolCallFormat.DEEPSEEK, ToolCallFormat.forTokenizer(ds));
        assertEquals(ToolCallFormat.QWEN, ToolCallFormat.forTokenizer(tok));
        Map<String, Object> assistant = new HashMap<>();
        assistant.put("role", "assistant");
        assistant.put("content", null);
        assistant.put("tool_calls", List.of(
                Map.of("type", "function", "function", Map.of("name", "python", "arguments", "{\"code\": \"print(6*7)\"}")),
                Map.of("type", "function", "function", Map.of("name", "double", "arguments", "{\"x\": 21}"))));
        String rendered = dsTemplate.render(List.of(msg("user", "6*7?"), assistant), null, false, null);
        String reply = rendered.substring(rendered.indexOf("<｜Assistant｜>") + "<｜Assistant｜>".length());
        List<ToolCall> calls = ToolCallFormat.DEEPSEEK.parse(reply);
        assertEquals(2, calls.size(), reply);
        assertEquals("python", calls.get(0).name());
        assertEquals(Map.of("code", "print(6*7)"), calls.get(0).arguments());
        assertEquals("double", calls.get(1).name());
        assertEquals(Map.of("x", 21), calls.get(1).arguments());
        // the tool results as the template writes them after the reply (its end-of-sentence already sampled)
        ToolRollout rollout = new ToolRollout(ds, dsTemplate, () -> new ToolEnvironment(List.of(new Doubler()), ToolCallFormat.DEEPSEEK), 1);
        assertEquals("<｜tool▁outputs▁begin｜><｜tool▁output▁begin｜>42<｜tool▁output▁end｜>\n<｜tool▁output▁begin｜>x"
                        + "<｜tool▁output▁end｜><｜tool▁outputs▁end｜>",
                rollout.answerText(List.of(msg("tool", "42"), msg("tool", "x"))));
        // DeepSeek-V3.1's shorter form: NAME<sep>ARGS
        List<ToolCall> v31 = ToolCallFormat.DEEPSEEK.parse("<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>double<｜tool▁sep｜>{\"x\": 2}"
                + "<｜tool▁call▁end｜><｜tool▁calls▁end｜>");
        assertEquals(1, v31.size());
        assertEquals("double", v31.get(0).name());
        assertEquals(Map.of("x", 2), v31.get(0).arguments());
    }

    /**
     * A small BPE with DeepSeek-V3's special tokens added and DeepSeek-V3's own tokenizer_config.json (its chat
     * template, bos and eos), as the real 128k-token tokenizer has them.
     */
    static Tokenizer deepSeekTokenizer() throws Exception {
        Path ds = dir.resolve("deepseek");
        Files.createDirectories(ds);
        ObjectMapper json = new ObjectMapper();
        ObjectNode tokenizer = (ObjectNode) json.readTree(dir.resolve("tokenizer.json").toFile());
        int id = tokenizer.get("model").get("vocab").size();
        com.fasterxml.jackson.databind.node.ArrayNode added = (com.fasterxml.jackson.databind.node.ArrayNode) tokenizer.get("added_tokens");
        for (String special : List.of("<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", "<｜User｜>", "<｜Assistant｜>",
                "<｜tool▁calls▁begin｜>", "<｜tool▁calls▁end｜>", "<｜tool▁call▁begin｜>", "<｜tool▁call▁end｜>", "<｜tool▁sep｜>",
                "<｜tool▁outputs▁begin｜>", "<｜tool▁outputs▁end｜>", "<｜tool▁output▁begin｜>", "<｜tool▁output▁end｜>")) {
            added.addObject().put("id", id++).put("content", special).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
        }
        Files.writeString(ds.resolve("tokenizer.json"), json.writeValueAsString(tokenizer));
        try (var in = ToolRolloutTest.class.getResourceAsStream("/deepseek_v3/tokenizer_config.json")) {
            Files.write(ds.resolve("tokenizer_config.json"), in.readAllBytes());
        }
        return Tokenizer.load(ds);
    }
}
