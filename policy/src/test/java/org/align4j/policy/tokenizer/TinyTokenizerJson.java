package org.align4j.policy.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;

/** A small byte-level tokenizer.json built in memory (256 byte tokens and a few merges), to vary one part at a time. */
final class TinyTokenizerJson {

    static final ObjectMapper JSON = new ObjectMapper();

    private TinyTokenizerJson() {
    }

    static ObjectNode create() {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        root.putArray("added_tokens");
        root.putNull("normalizer");
        root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", true).put("use_regex", true);
        root.putNull("post_processor");
        root.putObject("decoder").put("type", "ByteLevel");
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        ObjectNode vocab = model.putObject("vocab");
        for (int b = 0; b < 256; b++) {
            vocab.put(String.valueOf(ByteLevel.charOf(b)), b);
        }
        vocab.put("he", 256).put("ll", 257).put("hell", 258).put("Ġw", 259);
        ArrayNode merges = model.putArray("merges");
        merges.add("h e").add("l l");
        merges.addArray().add("he").add("ll");
        merges.add("Ġ w");
        return root;
    }

    static Tokenizer load(ObjectNode root) {
        return load(root, null);
    }

    static Tokenizer load(ObjectNode root, ObjectNode config) {
        byte[] json = root.toString().getBytes(StandardCharsets.UTF_8);
        return Tokenizer.read(new ByteArrayInputStream(json),
                config == null ? null : new ByteArrayInputStream(config.toString().getBytes(StandardCharsets.UTF_8)),
                "tiny/tokenizer.json");
    }
}
