package org.align4j.policy.text;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.align4j.policy.tokenizer.TestTokenizers;
import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The real chat templates of Qwen3 and DeepSeek-V3 render byte for byte as transformers renders them:
 * chat_*_public.json are transformers 5.17's apply_chat_template (from shared fixtures);
 * chat_extra_jinja2.json adds tools, tool calls, reasoning, enable_thinking and a template of further Jinja
 * features, rendered by Jinja2 set up as transformers sets it up (bench/chat/make_extra_chat_cases.py).
 */
class HfChatTemplateTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TestFactory
    List<DynamicTest> everyFixtureCaseRendersByteForByte() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (String name : List.of("qwen3", "deepseek_v3")) {
            List<Map<String, Object>> cases = read("/chat/chat_" + name + "_public.json");
            for (int i = 0; i < cases.size(); i++) {
                Map<String, Object> c = cases.get(i);
                tests.add(DynamicTest.dynamicTest(name + " (transformers) #" + i, () -> check(template(name), c)));
            }
        }
        List<Map<String, Object>> extra = read("/chat/chat_extra_jinja2.json");
        for (int i = 0; i < extra.size(); i++) {
            Map<String, Object> c = extra.get(i);
            String name = (String) c.get("template");
            tests.add(DynamicTest.dynamicTest(name + " (jinja2) #" + i, () -> check(template(name), c)));
        }
        assertEquals(3 + 3 + 13, tests.size());
        return tests;
    }

    @Test
    void completionSuffixIsWhatFollowsTheAssistantsContent() {
        assertEquals("4<|im_end|>\n", template("qwen3").renderCompletion("4"));
        assertEquals("4<｜end▁of▁sentence｜>", template("deepseek_v3").renderCompletion("4"));
    }

    @Test
    void promptTemplateChatRunsTheTokenizersOwnTemplate() {
        PromptTemplate chat = PromptTemplate.chat(TestTokenizers.get("qwen3"));
        assertTrue(chat instanceof HfChatTemplate);
        assertEquals("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n", chat.renderPrompt("hi"));
    }

    @Test
    void aTemplateErrorIsOneLineWithTheTemplatesMessage() {
        HfChatTemplate t = new HfChatTemplate("{{ raise_exception('Conversation roles must alternate user/assistant') }}",
                Map.of(), Map.of(), "model/tokenizer_config.json");
        BadInputException e = assertThrows(BadInputException.class,
                () -> t.render(List.of(ChatMessage.user("hi")), true));
        assertEquals("model/tokenizer_config.json: chat template: Conversation roles must alternate user/assistant", e.getMessage());
        HfChatTemplate broken = new HfChatTemplate("{% for m in messages %}{{ m.content }", Map.of(), Map.of(), "x.json");
        BadInputException syntax = assertThrows(BadInputException.class, () -> broken.render(List.of(ChatMessage.user("hi")), true));
        assertTrue(syntax.getMessage().startsWith("x.json: chat template: "), syntax.getMessage());
        assertTrue(!syntax.getMessage().contains("\n"), syntax.getMessage());
    }

    @Test
    void transformersGenerationBlocksRenderTheirContent() {
        HfChatTemplate t = new HfChatTemplate("{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}"
                + "{{ m.content }}!{% endgeneration %}{% else %}{{ m.content }}{% endif %}{% endfor %}", Map.of(), Map.of(), "x");
        assertEquals("hiyo!", t.render(List.of(ChatMessage.user("hi"), ChatMessage.assistant("yo")), false));
    }

    @Test
    void aToolUseTemplateIsChosenWhenThereAreTools() {
        HfChatTemplate t = new HfChatTemplate("plain", Map.of("tool_use", "tools={{ tools | length }}"), Map.of(), "x");
        assertEquals("plain", t.render(List.of(ChatMessage.user("hi")), true));
        assertEquals("tools=2", t.render(HfChatTemplate.toMaps(List.of(ChatMessage.user("hi"))), List.of(Map.of(), Map.of()), true, null));
    }

    private static void check(HfChatTemplate template, Map<String, Object> c) {
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> messages = (List<Map<String, Object>>) c.get("messages");
        @SuppressWarnings("unchecked")
        List<Object> tools = (List<Object>) c.get("tools");
        @SuppressWarnings("unchecked")
        Map<String, Object> kwargs = (Map<String, Object>) c.get("kwargs");
        boolean gen = (Boolean) c.get("add_generation_prompt");
        if (c.containsKey("error")) {
            BadInputException e = assertThrows(BadInputException.class, () -> template.render(messages, tools, gen, kwargs));
            assertTrue(e.getMessage().endsWith("chat template: " + c.get("error")), e.getMessage());
        } else {
            assertEquals(c.get("expected"), template.render(messages, tools, gen, kwargs));
        }
    }

    private static HfChatTemplate template(String name) {
        if (name.equals("features")) {
            try (InputStream in = HfChatTemplateTest.class.getResourceAsStream("/chat/features.jinja")) {
                String source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                return new HfChatTemplate(source, Map.of(), Map.of("bos_token", "<s>", "eos_token", "</s>"), "features.jinja");
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
        return HfChatTemplate.of(TestTokenizers.get(name).config(), name + "/tokenizer_config.json");
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> read(String resource) throws IOException {
        try (InputStream in = HfChatTemplateTest.class.getResourceAsStream(resource)) {
            return JSON.readValue(in, List.class);
        }
    }
}
