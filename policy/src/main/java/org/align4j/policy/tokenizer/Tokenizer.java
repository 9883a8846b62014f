package org.align4j.policy.tokenizer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.zip.GZIPInputStream;

/**
 * A byte-level BPE tokenizer loaded from a Hugging Face {@code tokenizer.json} (the kind DeepSeek, Qwen,
 * Llama 3 and GPT-2 ship), giving the same ids as Hugging Face tokenizers. Encoding runs: added tokens
 * are cut out of the raw text, the rest is normalized, pre-tokenized into pieces and each piece is
 * BPE-encoded. Thread-safe.
 */
public final class Tokenizer {

    /** Pieces at least this long are not cached (they are rare, and would crowd the cache). */
    private static final int MAX_CACHED_LENGTH = 256;
    private static final int CACHE_CAPACITY = 200_000;

    private final Normalizer normalizer;
    private final PreTokenizer preTokenizer;
    /** Whether pieces still need rewriting in byte-level characters before BPE (see TokenizerJsonReader). */
    private final boolean mapToBytes;
    private final BpeModel model;
    /** Ids of recently seen pieces: text repeats its words, and BPE on a word costs far more than a lookup. */
    private final Map<String, int[]> pieceCache = new java.util.concurrent.ConcurrentHashMap<>();
    private final AddedVocabulary rawAddedTokens;
    private final AddedVocabulary normalizedAddedTokens;
    private final PostProcessor postProcessor;
    private final TokenDecoder decoder;
    /** Token strings by id as decoding sees them; null where no token has the id. */
    private final String[] tokens;
    private final boolean[] special;
    private final Map<String, Integer> addedIds;
    private final TokenizerConfig config;

    Tokenizer(Normalizer normalizer, PreTokenizer preTokenizer, boolean mapToBytes, BpeModel model, java.util.List<AddedToken> added,
              PostProcessor postProcessor, TokenDecoder decoder, TokenizerConfig config) {
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.mapToBytes = mapToBytes;
        this.model = model;
        this.rawAddedTokens = new AddedVocabulary(added.stream().filter(t -> !t.normalized()).toList());
        // A normalized added token is matched, and decoded, in its normalized form.
        java.util.List<AddedToken> normalizedForms = added.stream().filter(AddedToken::normalized)
                .map(t -> new AddedToken(t.id(), normalizer.normalize(t.content()), t.singleWord(), t.lstrip(),
                        t.rstrip(), true, t.special()))
                .toList();
        this.normalizedAddedTokens = new AddedVocabulary(normalizedForms);
        this.postProcessor = postProcessor;
        this.decoder = decoder;
        this.config = config;
        int maxId = -1;
        for (int id : model.vocab().values()) {
            maxId = Math.max(maxId, id);
        }
        for (AddedToken t : added) {
            maxId = Math.max(maxId, t.id());
        }
        this.tokens = new String[maxId + 1];
        this.special = new boolean[maxId + 1];
        model.vocab().forEach((tok, id) -> tokens[id] = tok);
        Map<String, Integer> ids = new java.util.HashMap<>();
        for (AddedToken t : added) {
            tokens[t.id()] = t.normalized() ? normalizer.normalize(t.content()) : t.content();
            special[t.id()] = t.special();
            ids.put(t.content(), t.id());
        }
        this.addedIds = Map.copyOf(ids);
    }

    /**
     * Loads {@code tokenizer.json} (or {@code tokenizer.json.gz}) given as a file or as the directory
     * holding it, with the {@code tokenizer_config.json} beside it when there is one.
     */
    public static Tokenizer load(Path fileOrDir) {
        Path file = fileOrDir;
        if (Files.isDirectory(fileOrDir)) {
            file = fileOrDir.resolve("tokenizer.json");
            if (!Files.exists(file)) {
                file = fileOrDir.resolve("tokenizer.json.gz");
            }
            if (!Files.exists(file)) {
                throw new IllegalArgumentException(fileOrDir + ": no tokenizer.json or tokenizer.json.gz in this directory");
            }
        } else if (!Files.exists(fileOrDir)) {
            throw new IllegalArgumentException(fileOrDir + ": no such file");
        }
        Path dir = file.toAbsolutePath().getParent();
        Path configFile = dir == null ? null : dir.resolve("tokenizer_config.json");
        try (InputStream json = open(file);
             InputStream cfg = configFile != null && Files.exists(configFile) ? Files.newInputStream(configFile) : null) {
            return read(json, cfg, file.toString());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static InputStream open(Path file) throws IOException {
        InputStream in = Files.newInputStream(file);
        return file.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(in, 1 << 16) : in;
    }

    /**
     * Reads a tokenizer from the content of a {@code tokenizer.json} and, when not null, of a
     * {@code tokenizer_config.json}; {@code source} names them in error messages.
     */
    public static Tokenizer read(InputStream tokenizerJson, InputStream tokenizerConfigJson, String source) {
        return TokenizerJsonReader.read(tokenizerJson, tokenizerConfigJson, source);
    }

    /**
     * The ids of {@code text}. With {@code addSpecialTokens}, the post-processor's template is applied
     * (e.g. bos in front) and, as transformers does, bos/eos are added where tokenizer_config.json's
     * {@code add_bos_token}/{@code add_eos_token} ask for them and the template did not.
     * Special tokens written in the text itself (e.g. {@code <|im_start|>}) are always recognised.
     */
    public int[] encode(String text, boolean addSpecialTokens) {
        IntBuffer out = new IntBuffer(Math.max(16, text.length() / 3));
        rawAddedTokens.split(text,
                segment -> normalizedAddedTokens.split(normalizer.normalize(segment),
                        piece -> encodePiece(piece, out),
                        (token, covered) -> out.add(token.id())),
                (token, covered) -> out.add(token.id()));
        int[] ids = out.toArray();
        if (!addSpecialTokens) {
            return ids;
        }
        ids = postProcessor.addSpecialTokens(ids);
        Integer bos = bosId();
        if (config.addBosToken() && bos != null && (ids.length == 0 || ids[0] != bos)) {
            int[] withBos = new int[ids.length + 1];
            withBos[0] = bos;
            System.arraycopy(ids, 0, withBos, 1, ids.length);
            ids = withBos;
        }
        Integer eos = eosId();
        if (config.addEosToken() && eos != null && (ids.length == 0 || ids[ids.length - 1] != eos)) {
            ids = Arrays.copyOf(ids, ids.length + 1);
            ids[ids.length - 1] = eos;
        }
        return ids;
    }

    private void encodePiece(String text, IntBuffer out) {
        if (preTokenizer == null) {
            out.addAll(pieceIds(text));
        } else {
            preTokenizer.split(text, piece -> out.addAll(pieceIds(piece)));
        }
    }

    /** BPE ids of one pre-tokenized piece. The array may be shared through the cache: never modify it. */
    private int[] pieceIds(String piece) {
        int[] ids = pieceCache.get(piece);
        if (ids != null) {
            return ids;
        }
        ids = model.encode(mapToBytes ? ByteLevel.encode(piece) : piece);
        if (piece.length() < MAX_CACHED_LENGTH) {
            if (pieceCache.size() >= CACHE_CAPACITY) {
                pieceCache.clear(); // bounds memory; a long run of text refills it with its own words
            }
            pieceCache.put(piece, ids);
        }
        return ids;
    }

    /**
     * The text of {@code ids}. Ids no token has are skipped, as Hugging Face does; bytes that do not form
     * valid UTF-8 (such as a character cut off at the end) become U+FFFD, so a partial sequence decodes
     * without error. For text produced one id at a time use {@link #streamingDecoder}.
     */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(ids.length * 4);
        int index = 0;
        for (int id : ids) {
            if (appendBytes(id, skipSpecialTokens, index, bytes)) {
                index++;
            }
        }
        return new String(bytes.toByteArray(), StandardCharsets.UTF_8);
    }

    /** Appends the bytes of one id; false when the id is skipped. */
    boolean appendBytes(int id, boolean skipSpecialTokens, int index, ByteArrayOutputStream out) {
        if (id < 0 || id >= tokens.length || tokens[id] == null || (skipSpecialTokens && special[id])) {
            return false;
        }
        decoder.appendBytes(tokens[id], index, out);
        return true;
    }

    /** A decoder that takes ids one at a time and returns text as soon as its characters are complete. */
    public StreamingDecoder streamingDecoder(boolean skipSpecialTokens) {
        return new StreamingDecoder(this, skipSpecialTokens);
    }

    /** The size of the id space: the highest id of any token (model or added) plus one. */
    public int vocabSize() {
        return tokens.length;
    }

    /** The id of a token, given as an added token's content or as a vocabulary entry (byte-level form). */
    public OptionalInt tokenId(String token) {
        Integer id = addedIds.get(token);
        if (id == null) {
            id = model.vocab().get(token);
        }
        return id == null ? OptionalInt.empty() : OptionalInt.of(id);
    }

    /** The token with this id (vocabulary entries in their byte-level form). */
    public Optional<String> token(int id) {
        return id >= 0 && id < tokens.length ? Optional.ofNullable(tokens[id]) : Optional.empty();
    }

    /** Whether {@code id} is a special added token (skipped by {@code decode(ids, true)}). */
    public boolean isSpecial(int id) {
        return id >= 0 && id < special.length && special[id];
    }

    /** The bos token's id, from tokenizer_config.json; null when it names none. */
    public Integer bosId() {
        return idOf(config.bosToken());
    }

    /** The eos token's id, from tokenizer_config.json; null when it names none. */
    public Integer eosId() {
        return idOf(config.eosToken());
    }

    /** The padding token's id, from tokenizer_config.json; null when it names none. */
    public Integer padId() {
        return idOf(config.padToken());
    }

    BpeModel model() {
        return model;
    }

    public TokenizerConfig config() {
        return config;
    }

    private Integer idOf(String token) {
        if (token == null) {
            return null;
        }
        OptionalInt id = tokenId(token);
        return id.isPresent() ? id.getAsInt() : null;
    }

    /** A growable int array, to collect ids without boxing. */
    private static final class IntBuffer {
        private int[] data;
        private int size;

        IntBuffer(int capacity) {
            data = new int[capacity];
        }

        void add(int v) {
            if (size == data.length) {
                data = Arrays.copyOf(data, data.length * 2);
            }
            data[size++] = v;
        }

        void addAll(int[] vs) {
            if (size + vs.length > data.length) {
                data = Arrays.copyOf(data, Math.max(data.length * 2, size + vs.length));
            }
            System.arraycopy(vs, 0, data, size, vs.length);
            size += vs.length;
        }

        int[] toArray() {
            return Arrays.copyOf(data, size);
        }
    }
}
