package org.align4j.policy.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Deterministic mixed-language text for tokenizer benchmarks and for training small tokenizers:
 * documents drawn from English prose, code, CJK sentences, numbers and the conformance fixture strings
 * (which add emoji, Cyrillic, Arabic, odd whitespace and special-token lookalikes). Half of the prose
 * and CJK snippets are new sentences recombined from the samples' words and characters, so that the text
 * keeps producing unseen words (a tokenizer's word cache cannot hold all of it). The same seed always gives
 * the same text, so numbers measured on it can be compared across tokenizers and runs.
 */
public final class MixedLanguageText {

    private static final String SAMPLES = "mixed-text-samples.json";

    private MixedLanguageText() {
    }

    /** Documents of about 1-3 KB until their UTF-8 size reaches {@code bytes}. */
    public static List<String> documents(long bytes, long seed) {
        JsonNode samples = samples();
        List<List<String>> kinds = new ArrayList<>();
        for (String kind : List.of("prose", "code", "cjk", "fixtures")) {
            List<String> list = new ArrayList<>();
            samples.path(kind).forEach(n -> list.add(n.asText()));
            kinds.add(list);
        }
        // Share of each kind of snippet: prose, code, CJK, fixture strings, then numbers.
        double[] weights = {0.40, 0.20, 0.15, 0.15, 0.10};
        Random random = new Random(seed);
        List<String> docs = new ArrayList<>();
        long size = 0;
        while (size < bytes) {
            StringBuilder doc = new StringBuilder();
            int snippets = 8 + random.nextInt(20);
            for (int s = 0; s < snippets; s++) {
                if (s > 0) {
                    doc.append(random.nextInt(4) == 0 ? "\n" : " ");
                }
                double r = random.nextDouble();
                int kind = 0;
                while (kind < weights.length - 1 && r >= weights[kind]) {
                    r -= weights[kind];
                    kind++;
                }
                if (kind == 0 && random.nextBoolean()) {
                    doc.append(recombinedSentence(kinds.get(0), random));
                } else if (kind == 2 && random.nextBoolean()) {
                    doc.append(recombinedCjk(kinds.get(2), random));
                } else if (kind < kinds.size()) {
                    List<String> pool = kinds.get(kind);
                    doc.append(pool.get(random.nextInt(pool.size())));
                } else {
                    doc.append(numbers(random));
                }
            }
            String d = doc.toString();
            docs.add(d);
            size += d.getBytes(StandardCharsets.UTF_8).length;
        }
        return docs;
    }

    /** The documents of {@link #documents} joined by newlines. */
    public static String generate(long bytes, long seed) {
        return String.join("\n", documents(bytes, seed));
    }

    /** 6-25 words taken at random from the prose samples, as a sentence. */
    private static String recombinedSentence(List<String> prose, Random random) {
        StringBuilder out = new StringBuilder();
        int words = 6 + random.nextInt(20);
        for (int w = 0; w < words; w++) {
            String[] sample = prose.get(random.nextInt(prose.size())).split(" ");
            String word = sample[random.nextInt(sample.length)].replaceAll("[.,?;!]$", "").toLowerCase(java.util.Locale.ROOT);
            if (w == 0 && !word.isEmpty()) {
                word = Character.toUpperCase(word.charAt(0)) + word.substring(1);
            }
            out.append(w == 0 ? "" : " ").append(word);
        }
        return out.append(random.nextInt(5) == 0 ? "?" : ".").toString();
    }

    /** 8-40 characters taken at random from the CJK samples (punctuation included). */
    private static String recombinedCjk(List<String> cjk, Random random) {
        StringBuilder out = new StringBuilder();
        int chars = 8 + random.nextInt(33);
        for (int c = 0; c < chars; c++) {
            String sample = cjk.get(random.nextInt(cjk.size()));
            int[] cps = sample.codePoints().filter(cp -> cp > 0x2FFF).toArray();
            out.appendCodePoint(cps[random.nextInt(cps.length)]);
        }
        return out.toString();
    }

    private static String numbers(Random random) {
        switch (random.nextInt(4)) {
            case 0: return (random.nextInt(900) + 100) + " + " + random.nextInt(1000) + " = " + random.nextInt(2000);
            case 1: return String.format("%04d-%02d-%02d", 1900 + random.nextInt(150), 1 + random.nextInt(12), 1 + random.nextInt(28));
            case 2: return String.format("%.6f", random.nextDouble() * 1000);
            default: return "#### " + random.nextInt(100000);
        }
    }

    private static JsonNode samples() {
        try (InputStream in = MixedLanguageText.class.getResourceAsStream(SAMPLES)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + SAMPLES);
            }
            return new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
