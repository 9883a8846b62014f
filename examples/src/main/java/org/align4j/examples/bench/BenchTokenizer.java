package org.align4j.examples.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import org.align4j.policy.io.AtomicFiles;

/**
 * A byte-level tokenizer.json with exactly the benchmark's vocabulary size: the 256 byte tokens, the
 * specials, and filler tokens (reachable only by sampling) up to the size. Text prompts encode one token
 * per ASCII character, so a prompt of n letters is n tokens.
 */
final class BenchTokenizer {
    private BenchTokenizer() {
    }

    static void write(Path dir, int vocabSize) {
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = m.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        String[] specials = {"<pad>", "<s>", "</s>"};
        for (int i = 0; i < specials.length; i++) {
            added.addObject().put("id", i).put("content", specials[i]).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
        }
        root.putNull("normalizer");
        root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false)
                .put("trim_offsets", true).put("use_regex", false);
        root.putNull("post_processor");
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true)
                .put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").putNull("dropout");
        model.putNull("unk_token");
        model.put("fuse_unk", false).put("byte_fallback", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < specials.length; i++) {
            vocab.put(specials[i], i);
        }
        int id = specials.length;
        for (int b = 0; b < 256; b++) {
            vocab.put(byteToUnicode(b), id++);
        }
        while (id < vocabSize) {
            vocab.put("<filler_" + id + ">", id);
            id++;
        }
        model.putArray("merges");
        AtomicFiles.writeJson(dir.resolve("tokenizer.json"), root);
        ObjectNode cfg = m.createObjectNode().put("bos_token", "<s>").put("eos_token", "</s>").put("pad_token", "<pad>")
                .put("add_bos_token", false);
        AtomicFiles.writeJson(dir.resolve("tokenizer_config.json"), cfg);
    }

    /** GPT-2's byte-to-unicode map: printable bytes map to themselves, the rest to code points from 256. */
    static String byteToUnicode(int b) {
        boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
        if (printable) {
            return String.valueOf((char) b);
        }
        int n = 0;
        for (int x = 0; x < b; x++) {
            boolean p = (x >= '!' && x <= '~') || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE && x <= 0xFF);
            if (!p) {
                n++;
            }
        }
        return String.valueOf((char) (256 + n));
    }
}
