package org.align4j.policy.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.align4j.policy.io.AtomicFiles;
import org.align4j.policy.tokenizer.Tokenizer;

/**
 * A model directory's {@code generation_config.json}, as transformers' {@code save_pretrained} writes it for a
 * model whose config has no generation settings of its own: {@code _from_model_config} and the special token ids
 * {@code bos_token_id}, {@code eos_token_id} (one id, or a list when the model has several) and
 * {@code pad_token_id}. The ids come from the model's config.json, then from the tokenizer's special tokens; a
 * generation_config.json already present (copied from the source model) keeps its settings and only gains the
 * ids it lacks.
 */
public final class GenerationConfig {
    public static final String FILE = "generation_config.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private GenerationConfig() {
    }

    /** Writes (or completes) dir/generation_config.json for a model of config, with the tokenizer in dir if any. */
    public static void write(Path dir, ModelConfig config) {
        Path file = dir.resolve(FILE);
        ObjectNode g;
        try {
            g = Files.isRegularFile(file) && JSON.readTree(file.toFile()) instanceof ObjectNode o ? o
                    : JSON.createObjectNode().put("_from_model_config", true);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        Tokenizer tok = Files.isRegularFile(dir.resolve("tokenizer.json")) ? Tokenizer.load(dir) : null;
        Integer bos = config.bosTokenId != null ? config.bosTokenId : tok == null ? null : tok.bosId();
        putIfAbsent(g, "bos_token_id", bos);
        if (!hasId(g, "eos_token_id")) {
            int[] eos = config.eosTokenIds;
            if (eos != null && eos.length == 1) {
                g.put("eos_token_id", eos[0]);
            } else if (eos != null && eos.length > 1) {
                ArrayNode a = g.putArray("eos_token_id");
                for (int id : eos) {
                    a.add(id);
                }
            } else if (tok != null && tok.eosId() != null) {
                g.put("eos_token_id", tok.eosId());
            }
        }
        putIfAbsent(g, "pad_token_id", tok == null ? null : tok.padId());
        AtomicFiles.writeJson(file, g);
    }

    private static boolean hasId(ObjectNode g, String key) {
        JsonNode n = g.get(key);
        return n != null && !n.isNull();
    }

    private static void putIfAbsent(ObjectNode g, String key, Integer id) {
        if (id != null && !hasId(g, key)) {
            g.put(key, id);
        }
    }
}
