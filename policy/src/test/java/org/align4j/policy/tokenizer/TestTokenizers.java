package org.align4j.policy.tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.GZIPInputStream;

/** The reference tokenizers in test resources, loaded once per test run (they take a second each). */
public final class TestTokenizers {

    private static final Map<String, Tokenizer> LOADED = new ConcurrentHashMap<>();

    private TestTokenizers() {
    }

    /** {@code name} is a folder under tokenizers/ in test resources: deepseek_v3 or qwen3. */
    public static Tokenizer get(String name) {
        return LOADED.computeIfAbsent(name, TestTokenizers::load);
    }

    private static Tokenizer load(String name) {
        String dir = "/tokenizers/" + name + "/";
        try (InputStream json = new GZIPInputStream(resource(dir + "tokenizer.json.gz"));
             InputStream config = resource(dir + "tokenizer_config.json")) {
            return Tokenizer.read(json, config, name + "/tokenizer.json.gz");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static InputStream resource(String path) {
        InputStream in = TestTokenizers.class.getResourceAsStream(path);
        if (in == null) {
            throw new IllegalStateException("missing test resource " + path);
        }
        return in;
    }
}
