package org.align4j.policy.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Builds a {@link Tokenizer} from a Hugging Face {@code tokenizer.json}. Every component is either
 * implemented exactly or refused with an error naming its type: a tokenizer that silently differs from
 * Hugging Face's would train a model on the wrong ids.
 */
final class TokenizerJsonReader {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String source;

    private TokenizerJsonReader(String source) {
        this.source = source;
    }

    static Tokenizer read(InputStream tokenizerJson, InputStream tokenizerConfigJson, String source) {
        JsonNode root = parse(tokenizerJson, source);
        TokenizerConfig config = tokenizerConfigJson == null ? TokenizerConfig.NONE
                : TokenizerConfig.fromJson(parse(tokenizerConfigJson, source + " (tokenizer_config.json)"),
                "tokenizer_config.json beside " + source);
        return new TokenizerJsonReader(source).build(root, config);
    }

    /** A pre-tokenizer from its tokenizer.json form (used by training to cut text as the saved file will). */
    static PreTokenizer preTokenizerFromJson(JsonNode n, String source) {
        return new TokenizerJsonReader(source).preTokenizer(n, "pre_tokenizer");
    }

    private static JsonNode parse(InputStream in, String source) {
        try {
            return JSON.readTree(in);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(source + ": not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException(source + ": cannot read: " + e.getMessage(), e);
        }
    }

    private Tokenizer build(JsonNode root, TokenizerConfig config) {
        if (!root.isObject() || !root.has("model")) {
            throw error("", "not a tokenizer.json (no \"model\")");
        }
        for (String key : List.of("truncation", "padding")) {
            if (root.has(key) && !root.get(key).isNull()) {
                throw error(key, "not supported; set it to null (align4j truncates and pads itself)");
            }
        }
        Map<String, Integer> vocab = new HashMap<>();
        BpeModel model = model(root.get("model"), vocab);
        List<AddedToken> added = addedTokens(root.path("added_tokens"));
        Map<String, Integer> idsByContent = new HashMap<>(vocab);
        added.forEach(t -> idsByContent.put(t.content(), t.id()));
        Normalizer normalizer = nullable(root.get("normalizer")) ? Normalizer.identity() : normalizer(root.get("normalizer"), "normalizer");
        PreTokenizer pre = nullable(root.get("pre_tokenizer")) ? null : preTokenizer(root.get("pre_tokenizer"), "pre_tokenizer");
        PostProcessor post = nullable(root.get("post_processor")) ? PostProcessor.none()
                : postProcessor(root.get("post_processor"), "post_processor", idsByContent);
        TokenDecoder decoder = nullable(root.get("decoder")) ? TokenDecoder.joinWithSpaces() : decoder(root.get("decoder"), "decoder");
        return new Tokenizer(normalizer, pre, model, added, post, decoder, config);
    }

    private static boolean nullable(JsonNode n) {
        return n == null || n.isNull();
    }

    private IllegalArgumentException error(String path, String message) {
        return new IllegalArgumentException(source + ": " + (path.isEmpty() ? "" : path + ": ") + message);
    }

    private String type(JsonNode n, String path) {
        JsonNode t = n.get("type");
        if (t == null || !t.isTextual()) {
            throw error(path, "missing \"type\"");
        }
        return t.asText();
    }

    private IllegalArgumentException unsupported(String path, String type, String supported) {
        return error(path, "unsupported type '" + type + "' (align4j supports " + supported + ")");
    }

    private boolean flag(JsonNode n, String key, boolean dflt) {
        JsonNode v = n.get(key);
        return v == null || v.isNull() ? dflt : v.asBoolean();
    }

    private Normalizer normalizer(JsonNode n, String path) {
        String type = type(n, path);
        switch (type) {
            case "NFC": return Normalizer.unicode(java.text.Normalizer.Form.NFC);
            case "NFD": return Normalizer.unicode(java.text.Normalizer.Form.NFD);
            case "NFKC": return Normalizer.unicode(java.text.Normalizer.Form.NFKC);
            case "NFKD": return Normalizer.unicode(java.text.Normalizer.Form.NFKD);
            case "Lowercase": return Normalizer.lowercase();
            case "Sequence": {
                List<Normalizer> steps = new ArrayList<>();
                JsonNode list = n.path("normalizers");
                for (int i = 0; i < list.size(); i++) {
                    steps.add(normalizer(list.get(i), path + ".normalizers[" + i + "]"));
                }
                return steps.isEmpty() ? Normalizer.identity() : Normalizer.sequence(steps);
            }
            default: throw unsupported(path, type, "NFC, NFD, NFKC, NFKD, Lowercase, Sequence");
        }
    }

    private PreTokenizer preTokenizer(JsonNode n, String path) {
        String type = type(n, path);
        switch (type) {
            case "Split": {
                JsonNode pattern = n.path("pattern");
                java.util.regex.Pattern p;
                if (pattern.has("Regex")) {
                    try {
                        p = HfRegex.compile(pattern.get("Regex").asText());
                    } catch (IllegalArgumentException e) {
                        throw error(path, e.getMessage());
                    }
                } else if (pattern.has("String")) {
                    p = HfRegex.literal(pattern.get("String").asText());
                } else {
                    throw error(path + ".pattern", "expected {\"Regex\": ...} or {\"String\": ...}");
                }
                SplitBehavior behavior;
                try {
                    behavior = SplitBehavior.fromJson(n.path("behavior").asText());
                } catch (IllegalArgumentException e) {
                    throw error(path + ".behavior", e.getMessage());
                }
                return new RegexSplit(p, behavior, flag(n, "invert", false));
            }
            case "ByteLevel":
                return new ByteLevelPreTokenizer(flag(n, "add_prefix_space", true), flag(n, "use_regex", true));
            case "Digits":
                // Hugging Face splits on char::is_numeric, which is exactly the Unicode category N.
                return new RegexSplit(HfRegex.compile(flag(n, "individual_digits", false) ? "\\p{N}" : "\\p{N}+"),
                        SplitBehavior.ISOLATED, false);
            case "Sequence": {
                List<PreTokenizer> steps = new ArrayList<>();
                JsonNode list = n.path("pretokenizers");
                for (int i = 0; i < list.size(); i++) {
                    steps.add(preTokenizer(list.get(i), path + ".pretokenizers[" + i + "]"));
                }
                return new SequencePreTokenizer(steps);
            }
            default: throw unsupported(path, type, "Split, ByteLevel, Digits, Sequence");
        }
    }

    private PostProcessor postProcessor(JsonNode n, String path, Map<String, Integer> ids) {
        String type = type(n, path);
        switch (type) {
            case "ByteLevel":
                return PostProcessor.none();
            case "TemplateProcessing": {
                Map<String, int[]> specials = new HashMap<>();
                Iterator<Map.Entry<String, JsonNode>> it = n.path("special_tokens").fields();
                while (it.hasNext()) {
                    Map.Entry<String, JsonNode> e = it.next();
                    JsonNode idList = e.getValue().path("ids");
                    int[] v = new int[idList.size()];
                    for (int i = 0; i < v.length; i++) {
                        v[i] = idList.get(i).asInt();
                    }
                    specials.put(e.getKey(), v);
                }
                List<int[]> pieces = new ArrayList<>();
                JsonNode single = n.path("single");
                for (int i = 0; i < single.size(); i++) {
                    JsonNode piece = single.get(i);
                    String where = path + ".single[" + i + "]";
                    if (piece.has("Sequence")) {
                        if (!"A".equals(piece.path("Sequence").path("id").asText())) {
                            throw error(where, "a single-sequence template can only hold sequence A");
                        }
                        pieces.add(null);
                    } else if (piece.has("SpecialToken")) {
                        String id = piece.path("SpecialToken").path("id").asText();
                        int[] v = specials.get(id);
                        if (v == null) {
                            throw error(where, "special token '" + id + "' is not in special_tokens");
                        }
                        pieces.add(v);
                    } else {
                        throw error(where, "expected a Sequence or a SpecialToken piece");
                    }
                }
                return PostProcessor.template(pieces);
            }
            case "Sequence": {
                List<PostProcessor> steps = new ArrayList<>();
                JsonNode list = n.path("processors");
                for (int i = 0; i < list.size(); i++) {
                    steps.add(postProcessor(list.get(i), path + ".processors[" + i + "]", ids));
                }
                return PostProcessor.sequence(steps);
            }
            default: throw unsupported(path, type, "ByteLevel, TemplateProcessing, Sequence");
        }
    }

    private TokenDecoder decoder(JsonNode n, String path) {
        String type = type(n, path);
        switch (type) {
            case "ByteLevel":
                return TokenDecoder.byteLevel();
            case "Sequence": {
                JsonNode list = n.path("decoders");
                if (list.size() != 1) {
                    throw error(path, "a Sequence decoder is supported only with exactly one ByteLevel decoder in it");
                }
                return decoder(list.get(0), path + ".decoders[0]");
            }
            default: throw unsupported(path, type, "ByteLevel, Sequence");
        }
    }

    private BpeModel model(JsonNode n, Map<String, Integer> vocab) {
        String path = "model";
        String type = n.has("type") ? type(n, path) : "BPE";
        if (!type.equals("BPE")) {
            throw unsupported(path, type, "BPE");
        }
        for (String key : List.of("continuing_subword_prefix", "end_of_word_suffix")) {
            JsonNode v = n.get(key);
            if (v != null && !v.isNull() && !v.asText().isEmpty()) {
                throw error(path + "." + key, "not supported (byte-level BPE does not use it)");
            }
        }
        JsonNode dropout = n.get("dropout");
        if (dropout != null && !dropout.isNull() && dropout.asDouble() != 0.0) {
            throw error(path + ".dropout", "BPE dropout is not supported (encoding must be deterministic)");
        }
        JsonNode vocabNode = n.path("vocab");
        if (!vocabNode.isObject()) {
            throw error(path + ".vocab", "expected an object of token -> id");
        }
        Iterator<Map.Entry<String, JsonNode>> it = vocabNode.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            vocab.put(e.getKey(), e.getValue().asInt());
        }
        JsonNode mergesNode = n.path("merges");
        MergeTable merges = new MergeTable(mergesNode.size());
        for (int rank = 0; rank < mergesNode.size(); rank++) {
            JsonNode m = mergesNode.get(rank);
            String left;
            String right;
            if (m.isArray() && m.size() == 2) {
                left = m.get(0).asText();
                right = m.get(1).asText();
            } else if (m.isTextual() && m.asText().indexOf(' ') > 0) {
                String s = m.asText();
                int sp = s.indexOf(' ');
                left = s.substring(0, sp);
                right = s.substring(sp + 1);
            } else {
                throw error(path + ".merges[" + rank + "]", "expected \"a b\" or [\"a\", \"b\"], got " + m);
            }
            Integer l = vocab.get(left);
            Integer r = vocab.get(right);
            Integer merged = vocab.get(left + right);
            if (l == null || r == null || merged == null) {
                String missing = l == null ? left : r == null ? right : left + right;
                throw error(path + ".merges[" + rank + "]", "token '" + missing + "' is not in the vocab");
            }
            merges.put(l, r, rank, merged);
        }
        Integer unkId = null;
        JsonNode unk = n.get("unk_token");
        if (unk != null && !unk.isNull()) {
            unkId = vocab.get(unk.asText());
            if (unkId == null) {
                throw error(path + ".unk_token", "'" + unk.asText() + "' is not in the vocab");
            }
        }
        return new BpeModel(vocab, merges, flag(n, "ignore_merges", false), flag(n, "byte_fallback", false),
                unkId, flag(n, "fuse_unk", false));
    }

    private List<AddedToken> addedTokens(JsonNode list) {
        List<AddedToken> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode t = list.get(i);
            if (!t.path("id").isInt() || !t.path("content").isTextual()) {
                throw error("added_tokens[" + i + "]", "needs an integer \"id\" and a string \"content\"");
            }
            boolean special = flag(t, "special", false);
            out.add(new AddedToken(t.get("id").asInt(), t.get("content").asText(), flag(t, "single_word", false),
                    flag(t, "lstrip", false), flag(t, "rstrip", false), flag(t, "normalized", !special), special));
        }
        return out;
    }
}
