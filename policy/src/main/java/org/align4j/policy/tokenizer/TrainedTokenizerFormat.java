package org.align4j.policy.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Map;

/**
 * What the tokenizer files align4j trains declare, besides the learned vocabulary and merges: the
 * DeepSeek-style pre-tokenization, the special tokens, the bos template, the byte-level decoder and the
 * tokenizer_config.json with the chat markers. Defined once here so that training cuts text exactly as
 * the saved tokenizer.json will.
 */
final class TrainedTokenizerFormat {

    static final String BOS = "<|begin_of_text|>";
    static final String EOS = "<|end_of_text|>";
    static final String PAD = "<|pad|>";
    static final String SYSTEM = "<|system|>";
    static final String USER = "<|user|>";
    static final String ASSISTANT = "<|assistant|>";

    /** Ids 0..5 of every trained tokenizer, in this order. */
    static final List<String> SPECIAL_TOKENS = List.of(BOS, EOS, PAD, SYSTEM, USER, ASSISTANT);

    /** DeepSeek-V3's word regex: letters with one leading non-letter, punctuation runs, newlines, spaces. */
    static final String WORD_REGEX = "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+"
            + "|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+";
    /** Runs of CJK ideographs, hiragana and katakana are kept apart from other text, as DeepSeek-V3 does. */
    static final String CJK_REGEX = "[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+";

    private static final ObjectMapper JSON = new ObjectMapper();

    private TrainedTokenizerFormat() {
    }

    /**
     * Numbers are cut into single digits (as the DeepSeek LLM paper does), then CJK runs and words are
     * split off with DeepSeek-V3's regexes, then the text is written in byte-level characters.
     */
    static ObjectNode preTokenizerJson() {
        ObjectNode seq = JSON.createObjectNode().put("type", "Sequence");
        ArrayNode steps = seq.putArray("pretokenizers");
        steps.addObject().put("type", "Digits").put("individual_digits", true);
        for (String regex : List.of(CJK_REGEX, WORD_REGEX)) {
            ObjectNode split = steps.addObject().put("type", "Split");
            split.putObject("pattern").put("Regex", regex);
            split.put("behavior", "Isolated").put("invert", false);
        }
        steps.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true)
                .put("use_regex", false);
        return seq;
    }

    static PreTokenizer preTokenizer() {
        return TokenizerJsonReader.preTokenizerFromJson(preTokenizerJson(), "align4j trained tokenizer");
    }

    static ObjectNode tokenizerJson(Map<String, Integer> vocab, List<String[]> merges) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (String special : SPECIAL_TOKENS) {
            added.addObject().put("id", vocab.get(special)).put("content", special).put("single_word", false)
                    .put("lstrip", false).put("rstrip", false).put("normalized", false).put("special", true);
        }
        root.putNull("normalizer");
        root.set("pre_tokenizer", preTokenizerJson());
        root.set("post_processor", bosTemplate(vocab.get(BOS)));
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true)
                .put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false).put("byte_fallback", false).put("ignore_merges", false);
        ObjectNode v = model.putObject("vocab");
        vocab.forEach(v::put);
        ArrayNode m = model.putArray("merges");
        for (String[] merge : merges) {
            m.addArray().add(merge[0]).add(merge[1]);
        }
        return root;
    }

    /** Encoding with special tokens puts bos in front, as Llama 3's tokenizer.json does. */
    private static ObjectNode bosTemplate(int bosId) {
        ObjectNode t = JSON.createObjectNode().put("type", "TemplateProcessing");
        ArrayNode single = t.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", BOS).put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = t.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", BOS).put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", BOS).put("type_id", 1);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode bos = t.putObject("special_tokens").putObject(BOS);
        bos.put("id", BOS);
        bos.putArray("ids").add(bosId);
        bos.putArray("tokens").add(BOS);
        return t;
    }

    /**
     * tokenizer_config.json: bos/eos/pad for transformers and align4j, a Jinja chat template for
     * transformers, and the same turn markers as plain strings under {@code align4j_chat} for align4j's
     * chat template (a conversation is bos, then per turn the role marker, the text and eos).
     */
    static ObjectNode tokenizerConfigJson() {
        ObjectNode c = JSON.createObjectNode();
        c.put("tokenizer_class", "PreTrainedTokenizerFast");
        c.put("bos_token", BOS).put("eos_token", EOS).put("pad_token", PAD);
        c.putArray("additional_special_tokens").add(SYSTEM).add(USER).add(ASSISTANT);
        c.put("clean_up_tokenization_spaces", false);
        c.put("chat_template", "{{ bos_token }}{% for message in messages %}"
                + "{{ '<|' + message['role'] + '|>\\n' + message['content'] + eos_token }}{% endfor %}"
                + "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}");
        ObjectNode chat = c.putObject(TokenizerConfig.CHAT_MARKERS_KEY);
        chat.put("begin", BOS);
        chat.put("system", SYSTEM + "\n");
        chat.put("user", USER + "\n");
        chat.put("assistant", ASSISTANT + "\n");
        chat.put("end_of_turn", EOS);
        return c;
    }
}
