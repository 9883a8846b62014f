package org.align4j.policy.tokenizer;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

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
        TokenizerJsonReader reader = new TokenizerJsonReader(source);
        JsonNode root = reader.readTokenizerJson(tokenizerJson);
        TokenizerConfig config = tokenizerConfigJson == null ? TokenizerConfig.NONE
                : TokenizerConfig.fromJson(parse(tokenizerConfigJson, source + " (tokenizer_config.json)"),
                "tokenizer_config.json beside " + source);
        return reader.build(root, config);
    }

    /** A pre-tokenizer from its tokenizer.json form (used by training to cut text as the saved file will). */
    static PreTokenizer preTokenizerFromJson(JsonNode n, String source) {
        return new TokenizerJsonReader(source).preTokenizer(n, "pre_tokenizer");
    }

    /** The vocab and merges, read as a stream: as a tree of JSON nodes they would take several times the memory and time. */
    private final Map<String, Integer> vocab = new HashMap<>();
    private final List<String[]> merges = new ArrayList<>();
    private boolean sawVocab;

    private JsonNode readTokenizerJson(InputStream in) {
        try (JsonParser p = JSON.createParser(in)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw error("", "expected a JSON object");
            }
            ObjectNode root = JSON.createObjectNode();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.getCurrentName();
                JsonToken value = p.nextToken();
                if (name.equals("model") && value == JsonToken.START_OBJECT) {
                    ObjectNode model = root.putObject("model");
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        String key = p.getCurrentName();
                        JsonToken v = p.nextToken();
                        if (key.equals("vocab") && v == JsonToken.START_OBJECT) {
                            readVocab(p);
                        } else if (key.equals("merges") && v == JsonToken.START_ARRAY) {
                            readMerges(p);
                        } else {
                            model.set(key, p.readValueAsTree());
                        }
                    }
                } else {
                    root.set(name, p.readValueAsTree());
                }
            }
            return root;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(source + ": not valid JSON: "
                    + e.getOriginalMessage().replaceAll("\\s*\\(start marker at .*", ""), e);
        } catch (IOException e) {
            throw new IllegalArgumentException(source + ": cannot read: " + e.getMessage(), e);
        }
    }

    private void readVocab(JsonParser p) throws IOException {
        sawVocab = true;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String token = p.getCurrentName();
            if (p.nextToken() != JsonToken.VALUE_NUMBER_INT) {
                throw error("model.vocab", "the id of '" + token + "' is not an integer");
            }
            vocab.put(token, p.getIntValue());
        }
    }

    private void readMerges(JsonParser p) throws IOException {
        JsonToken t;
        while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
            String where = "model.merges[" + merges.size() + "]";
            if (t == JsonToken.VALUE_STRING) {
                String m = p.getText();
                int sp = m.indexOf(' ');
                if (sp <= 0) {
                    throw error(where, "expected \"a b\", got \"" + m + "\"");
                }
                merges.add(new String[] {m.substring(0, sp), m.substring(sp + 1)});
            } else if (t == JsonToken.START_ARRAY) {
                String[] pair = new String[2];
                int n = 0;
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    if (n < 2) {
                        pair[n] = p.getValueAsString();
                    }
                    n++;
                }
                if (n != 2 || pair[0] == null || pair[1] == null) {
                    throw error(where, "expected a pair of strings");
                }
                merges.add(pair);
            } else {
                throw error(where, "expected \"a b\" or [\"a\", \"b\"]");
            }
        }
    }

    private static JsonNode parse(InputStream in, String source) {
        try {
            return JSON.readTree(in);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(source + ": not valid JSON: "
                    + e.getOriginalMessage().replaceAll("\\s*\\(start marker at .*", ""), e);
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
        BpeModel model = model(root.get("model"));
        List<AddedToken> added = addedTokens(root.path("added_tokens"));
        for (int i = 0; i < added.size(); i++) {
            // Hugging Face gives an added token that is also a vocab entry the vocab's id; refuse files where they differ.
            Integer inVocab = vocab.get(added.get(i).content());
            if (inVocab != null && inVocab != added.get(i).id()) {
                throw error("added_tokens[" + i + "]", "id " + added.get(i).id() + " but the vocab gives '"
                        + added.get(i).content() + "' id " + inVocab);
            }
        }
        Normalizer normalizer = nullable(root.get("normalizer")) ? Normalizer.identity() : normalizer(root.get("normalizer"), "normalizer");
        PreTokenizer pre = nullable(root.get("pre_tokenizer")) ? null : preTokenizer(root.get("pre_tokenizer"), "pre_tokenizer");
        PostProcessor post = nullable(root.get("post_processor")) ? PostProcessor.none()
                : postProcessor(root.get("post_processor"), "post_processor");
        TokenDecoder decoder = nullable(root.get("decoder")) ? TokenDecoder.joinWithSpaces() : decoder(root.get("decoder"), "decoder");
        // When ByteLevel is the last pre-tokenization step, the tokenizer maps a piece to bytes only when its
        // ids are not cached yet (most pieces are repeats), so the step is left out here and done there.
        boolean mapToBytes = pre != null && pre.endsWithByteMapping();
        if (mapToBytes) {
            pre = pre.withoutFinalByteMapping();
        }
        return new Tokenizer(normalizer, pre, mapToBytes, model, added, post, decoder, config);
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

    private PostProcessor postProcessor(JsonNode n, String path) {
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
                    steps.add(postProcessor(list.get(i), path + ".processors[" + i + "]"));
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

    private BpeModel model(JsonNode n) {
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
        if (!sawVocab) {
            throw error(path + ".vocab", "expected an object of token -> id");
        }
        MergeTable table = new MergeTable(merges.size());
        for (int rank = 0; rank < merges.size(); rank++) {
            String left = merges.get(rank)[0];
            String right = merges.get(rank)[1];
            Integer l = vocab.get(left);
            Integer r = vocab.get(right);
            Integer merged = vocab.get(left + right);
            if (l == null || r == null || merged == null) {
                String missing = l == null ? left : r == null ? right : left + right;
                throw error(path + ".merges[" + rank + "]", "token '" + missing + "' is not in the vocab");
            }
            table.put(l, r, rank, merged);
        }
        Integer unkId = null;
        JsonNode unk = n.get("unk_token");
        if (unk != null && !unk.isNull()) {
            unkId = vocab.get(unk.asText());
            if (unkId == null) {
                throw error(path + ".unk_token", "'" + unk.asText() + "' is not in the vocab");
            }
        }
        return new BpeModel(vocab, table, flag(n, "ignore_merges", false), flag(n, "byte_fallback", false),
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
