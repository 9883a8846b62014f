package org.align4j.examples.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.KvCache;
import org.align4j.policy.model.MlaConfig;
import org.align4j.policy.model.ModelConfig;
import org.align4j.policy.model.MoeConfig;
import org.align4j.policy.ops.Backends;
import org.align4j.rollout.Prompt;
import org.align4j.rollout.Sampler;
import org.align4j.rollout.SamplingParams;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * `align4j bench-mla`: the rollout KV cache of multi-head latent attention against multi-head attention of the same
 * width. Three random float32 models share d, layers, heads, vocabulary and activated feed-forward width: a Llama
 * with as many key/value heads as query heads (MHA), a DeepSeek-V3 with MLA and a dense SwiGLU (the attention change
 * alone), and the same with DeepSeekMoE (fine-grained experts whose top-k plus shared experts activate the dense
 * width). MLA sizes follow DeepSeek-V2's ratios: latent 4 x head dim, RoPE dims head dim / 2.
 *
 * <p>For each: cached bytes per token (all layers, from an allocated cache), the most sequences of a given context
 * whose caches fit a memory budget (as G x P for the given G), and sampling tokens/s through the rollout
 * {@link Sampler} (median of the repeats after a warm-up).
 */
public final class MlaCacheBenchmark {

    /** Sizes of the compared models and of the sampling workload. */
    public record Shape(int d, int layers, int heads, int ffn, int vocab, int experts, int topK, int sharedExperts,
                        int prompts, int group, int promptLen, int newTokens, int context, long budgetBytes) {
        public Shape {
            if (d % heads != 0 || (d / heads) % 4 != 0) {
                throw new IllegalArgumentException("d must be heads x a head dim divisible by 4");
            }
            if (ffn % (topK + sharedExperts) != 0) {
                throw new IllegalArgumentException("ffn must split into top_k + shared experts of equal width");
            }
        }

        public static final Shape DEFAULT = new Shape(512, 4, 8, 1376, 1024, 16, 2, 2, 8, 8, 32, 64, 1024, 1L << 30);

        int headDim() {
            return d / heads;
        }
    }

    private final Shape s;
    private final int repeats;

    public MlaCacheBenchmark(Shape shape, int repeats) {
        this.s = shape;
        this.repeats = repeats;
    }

    ModelConfig mha() {
        return new ModelConfig(ModelConfig.LLAMA, s.vocab(), s.d(), s.ffn(), s.layers(), s.heads(), s.heads(),
                s.headDim(), maxPositions(), 1e-6, 10000.0, true, false, null, new int[] {2});
    }

    ModelConfig mla(boolean moe) {
        int hd = s.headDim();
        MlaConfig m = new MlaConfig(3 * s.d() / 4, 4 * hd, hd, hd / 2, hd, true, false);
        MoeConfig e = !moe ? null : new MoeConfig(0, 1, s.experts(), s.topK(), s.ffn() / (s.topK()
                + s.sharedExperts()), s.sharedExperts(), MoeConfig.SIGMOID, MoeConfig.NOAUX_TC, 1, 1, true, 1.0);
        return new ModelConfig(ModelConfig.DEEPSEEK_V3, s.vocab(), s.d(), s.ffn(), s.layers(), s.heads(), s.heads(),
                hd / 2, maxPositions(), 1e-6, 10000.0, true, false, null, new int[] {2}, m, e, 0);
    }

    private int maxPositions() {
        return Math.max(s.context(), s.promptLen() + s.newTokens() + 8);
    }

    public ObjectNode run() {
        ObjectNode out = new ObjectMapper().createObjectNode();
        ObjectNode shape = out.putObject("shape");
        shape.put("d", s.d()).put("layers", s.layers()).put("heads", s.heads()).put("head_dim", s.headDim())
                .put("ffn", s.ffn()).put("vocab", s.vocab()).put("experts", s.experts()).put("top_k", s.topK())
                .put("shared_experts", s.sharedExperts()).put("prompts", s.prompts()).put("group", s.group())
                .put("prompt_len", s.promptLen()).put("new_tokens", s.newTokens()).put("context", s.context())
                .put("budget_bytes", s.budgetBytes());
        long mhaBytes = measure(out.putObject("llama_mha"), mha());
        long mlaBytes = measure(out.putObject("deepseek_mla_dense"), mla(false));
        measure(out.putObject("deepseek_mla_moe"), mla(true));
        out.put("kv_cache_reduction", Math.round(10000.0 * (1.0 - (double) mlaBytes / mhaBytes)) / 10000.0);
        return out;
    }

    private long measure(ObjectNode o, ModelConfig c) {
        CausalLM model = CausalLM.initialize(c, DataType.FLOAT, 1, Backends.current());
        KvCache probe = model.newKvCache(2, 16);
        long perToken = probe.bytesPerToken();
        long rows = s.budgetBytes() / (perToken * s.context());
        o.put("architecture", c.architecture);
        o.put("params", model.parameterCount());
        o.put("kv_bytes_per_token", perToken);
        o.put("kv_bytes_per_token_per_layer", perToken / c.numLayers);
        o.put("max_sequences_in_budget", rows);
        o.put("max_prompts_in_budget_at_group", rows / s.group());
        o.put("sample_tokens_per_s", Math.round(sampleTokensPerSecond(model) * 10) / 10.0);
        return perToken;
    }

    private double sampleTokensPerSecond(CausalLM model) {
        Random r = new Random(2);
        List<Prompt> prompts = new ArrayList<>();
        for (int p = 0; p < s.prompts(); p++) {
            int[] ids = new int[s.promptLen()];
            for (int t = 0; t < ids.length; t++) {
                ids[t] = 3 + r.nextInt(s.vocab() - 3);
            }
            prompts.add(Prompt.ofIds("p" + p, ids));
        }
        Sampler sampler = new Sampler(model, null, s.prompts() * s.group());
        List<Double> rates = new ArrayList<>();
        for (int i = 0; i < repeats + 1; i++) {
            long t = System.nanoTime();
            long tokens = sampler.sample(prompts, s.group(), SamplingParams.DEFAULTS
                    .withMaxCompletionLength(s.newTokens()).withSeed(i)).stream()
                    .flatMap(g -> g.completions().stream()).mapToLong(c -> c.length()).sum();
            double secs = (System.nanoTime() - t) / 1e9;
            if (i > 0) {
                rates.add(tokens / secs);
            }
        }
        return Benchmark.median(rates);
    }
}
