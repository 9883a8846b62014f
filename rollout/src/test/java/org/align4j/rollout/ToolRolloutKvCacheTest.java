package org.align4j.rollout;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.ModelConfig;
import org.align4j.policy.testing.TestFixtures;
import org.align4j.policy.text.HfChatTemplate;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.rollout.tool.Environment;
import org.align4j.rollout.tool.ToolRollout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Multi-turn rollouts on one KV cache (each answer appended to the completion's cache) give the same greedy
 * completions as prefilling the whole conversation again for every turn.
 */
class ToolRolloutKvCacheTest {

    /** Answers every turn with the tool message "42"; counts one call per turn. */
    static final class Answering implements Environment {
        int steps;

        @Override
        public List<Map<String, Object>> toolSchemas() {
            return List.of();
        }

        @Override
        public void reset(String promptText, Map<String, Object> row) {
        }

        @Override
        public Step step(String assistantText) {
            steps++;
            return new Step(List.of(Map.of("role", "tool", "content", "42")), false, 1, 0);
        }

        @Override
        public Double reward() {
            return (double) steps;
        }
    }

    /** Counts the calls of each way of sampling. */
    static final class Counting implements ToolRollout.TurnSampler {
        final ToolRollout.TurnSampler inner;
        int turnByTurn;
        int oneCache;

        Counting(ToolRollout.TurnSampler inner) {
            this.inner = inner;
        }

        @Override
        public List<CompletionGroup> sample(List<Prompt> prompts, int n, SamplingParams params, long version) {
            turnByTurn++;
            return inner.sample(prompts, n, params, version);
        }

        @Override
        public int maxPromptLength() {
            return inner.maxPromptLength();
        }

        @Override
        public boolean samplesTurns() {
            return inner.samplesTurns();
        }

        @Override
        public List<CompletionGroup> sampleTurns(List<Prompt> prompts, int n, SamplingParams params, long version,
                                                 TurnEnds turnEnds) {
            oneCache++;
            return inner.sampleTurns(prompts, n, params, version, turnEnds);
        }
    }

    @Test
    void greedyTokensAreTheSameWithAndWithoutReusingTheCache(@TempDir Path dir) throws Exception {
        Path tokDir = TestFixtures.tinyTokenizer();
        Files.copy(tokDir.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(tokDir.resolve("tokenizer_config.json").toFile());
        config.put("chat_template", "{% for m in messages %}{{ '<' + m.role + '>' + m.content + eos_token }}{% endfor %}"
                + "{% if add_generation_prompt %}{{ '<assistant>' }}{% endif %}");
        Files.writeString(dir.resolve("tokenizer_config.json"), json.writeValueAsString(config));
        Tokenizer tok = Tokenizer.load(dir);
        HfChatTemplate template = HfChatTemplate.of(tok.config(), "test template");
        CausalLM model = CausalLM.initialize(ModelConfig.llama(tok.vocabSize(), 32, 64, 2, 4, 2, 256, 1, new int[] {2}),
                DataType.DOUBLE, 5);
        List<Prompt> prompts = List.of(
                new Prompt("a", tok.encode(template.render(List.of(Map.of("role", "user", "content", "What is 6 * 7?")),
                        null, true, null), false), null),
                new Prompt("b", tok.encode(template.render(List.of(Map.of("role", "user", "content", "Add 40 and 2.")),
                        null, true, null), false), null));
        SamplingParams greedy = SamplingParams.DEFAULTS.withTemperature(0).withMaxCompletionLength(48);

        // A random model seldom samples its EOS: end turns at a token greedy decoding writes early instead.
        int[] plain = new Sampler(model, null, new int[0], 8).sample(prompts, 1, greedy).get(0).get(0).ids();
        int turnEnd = plain[2];
        Sampler sampler = new Sampler(model, null, new int[] {turnEnd}, 8);

        Counting reusing = new Counting(ToolRollout.TurnSampler.of(sampler));
        Counting prefilling = new Counting(ToolRollout.TurnSampler.of(sampler));
        List<CompletionGroup> withReuse = new ToolRollout(tok, template, Answering::new, 3, true)
                .sample(reusing, prompts, 2, greedy, 0);
        List<CompletionGroup> without = new ToolRollout(tok, template, Answering::new, 3, false)
                .sample(prefilling, prompts, 2, greedy, 0);
        assertEquals(1, reusing.oneCache);
        assertEquals(0, reusing.turnByTurn);
        assertEquals(0, prefilling.oneCache);
        assertTrue(prefilling.turnByTurn > 1, "turn by turn: " + prefilling.turnByTurn + " calls");

        int multiTurn = 0;
        for (int p = 0; p < prompts.size(); p++) {
            for (int g = 0; g < 2; g++) {
                Completion a = withReuse.get(p).get(g);
                Completion b = without.get(p).get(g);
                assertArrayEquals(b.ids(), a.ids(), "prompt " + p + " completion " + g);
                assertArrayEquals(b.logProbs(), a.logProbs(), 1e-9);
                assertEquals(b.finishReason(), a.finishReason());
                assertEquals(b.toolCalls(), a.toolCalls());
                assertEquals(b.environmentReward(), a.environmentReward());
                assertEquals(b.text(), a.text());
                int answers = 0;
                for (int i = 0; i < a.length(); i++) {
                    assertEquals(b.fromEnvironment(i), a.fromEnvironment(i));
                    if (a.fromEnvironment(i) && (i == 0 || !a.fromEnvironment(i - 1))) {
                        answers++;
                    }
                }
                if (answers >= 2) {
                    multiTurn++;
                }
            }
        }
        assertTrue(multiTurn > 0, "some completion was answered twice or more");
    }
}
