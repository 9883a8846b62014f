package org.align4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.align4j.policy.text.ChatJson;
import org.align4j.policy.text.ChatMessage;
import org.align4j.policy.text.HfChatTemplate;
import org.align4j.policy.text.PromptTemplate;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.policy.util.BadInputException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "chat",
        mixinStandardHelpOptions = true,
        description = "Renders conversations with the tokenizer's chat template (the Jinja chat_template of "
                + "tokenizer_config.json), byte for byte as transformers' apply_chat_template(..., tokenize=False). "
                + "Input: a JSON array of {\"messages\": [...], \"add_generation_prompt\": bool, \"tools\": [...]?, "
                + "\"kwargs\": {...}?}. Output: a JSON array of the rendered strings.",
        footer = {"", "Examples:",
                "  echo '[{\"messages\": [{\"role\": \"user\", \"content\": \"2+3?\"}],' \\",
                "      '\"add_generation_prompt\": true}]' > chats.json",
                "  ./align4j tokenizer chat --tokenizer runs/demo/tokenizer --input chats.json"})
final class TokenizerChatCommand implements Callable<Integer> {

    @Option(names = "--tokenizer", required = true, paramLabel = "PATH",
            description = "tokenizer.json (or .gz), or its directory, with tokenizer_config.json beside it.")
    Path tokenizer;

    @Option(names = "--input", required = true, paramLabel = "FILE.json",
            description = "JSON array of {\"messages\", \"add_generation_prompt\", \"tools\"?, \"kwargs\"?}.")
    Path input;

    @Option(names = "--output", paramLabel = "FILE.json", description = "Write here (atomically) instead of stdout.")
    Path output;

    @Override
    public Integer call() {
        JsonNode cases = TokenizerJsonIo.readArray(input);
        Tokenizer tok = Tokenizer.load(tokenizer);
        Path dir = Files.isDirectory(tokenizer) ? tokenizer : tokenizer.toAbsolutePath().getParent();
        HfChatTemplate hf = HfChatTemplate.of(tok.config(), dir.resolve("tokenizer_config.json").toString());
        PromptTemplate fallback = hf == null ? PromptTemplate.chat(tok) : null;
        List<String> rendered = new ArrayList<>();
        for (int i = 0; i < cases.size(); i++) {
            String where = input + ": element " + i;
            JsonNode c = cases.get(i);
            if (!c.isObject()) {
                throw new BadInputException(where + " is not an object");
            }
            List<Map<String, Object>> messages = ChatJson.messages(c.get("messages"), where + ": \"messages\"");
            JsonNode gen = c.path("add_generation_prompt");
            if (!gen.isMissingNode() && !gen.isBoolean()) {
                throw new BadInputException(where + ": \"add_generation_prompt\" must be true or false");
            }
            List<Object> tools = ChatJson.tools(c.get("tools"), where);
            Map<String, Object> kwargs = ChatJson.kwargs(c.get("kwargs"), where);
            if (hf != null) {
                rendered.add(hf.render(messages, tools, gen.asBoolean(false), kwargs));
            } else {
                if (tools != null) {
                    throw new BadInputException(where + ": \"tools\" need a chat_template in tokenizer_config.json");
                }
                List<ChatMessage> plain = new ArrayList<>();
                for (Map<String, Object> m : messages) {
                    plain.add(new ChatMessage((String) m.get("role"), ChatJson.contentText(m)));
                }
                rendered.add(fallback.render(plain, gen.asBoolean(false)));
            }
        }
        TokenizerJsonIo.write(rendered, output);
        return 0;
    }
}
