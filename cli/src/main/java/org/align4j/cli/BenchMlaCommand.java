package org.align4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.concurrent.Callable;
import org.align4j.examples.bench.MlaCacheBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "bench-mla",
        mixinStandardHelpOptions = true,
        description = {"Compares the rollout KV cache of DeepSeek's multi-head latent attention with multi-head "
                + "attention of the same width: cached bytes per token, the most G x P sequences of a context that "
                + "fit a memory budget, and sampling tokens/s (random float32 models: Llama MHA, DeepSeek-V3 MLA "
                + "with a dense FFN, and with DeepSeekMoE)."},
        footer = {"", "Examples:",
                "  ./align4j bench-mla --json --context 2048 --budget-mb 1024"})
final class BenchMlaCommand implements Callable<Integer> {
    private static final MlaCacheBenchmark.Shape D = MlaCacheBenchmark.Shape.DEFAULT;

    @Spec
    CommandSpec spec;

    @Option(names = "--json", description = "Print one JSON object (the default prints it indented).")
    boolean compact;
    @Option(names = "--d", description = "Hidden size (default ${DEFAULT-VALUE}).")
    int d = D.d();
    @Option(names = "--layers", description = "Decoder layers (default ${DEFAULT-VALUE}).")
    int layers = D.layers();
    @Option(names = "--heads", description = "Attention heads (default ${DEFAULT-VALUE}).")
    int heads = D.heads();
    @Option(names = "--ffn", description = "Dense / activated MoE feed-forward width (default ${DEFAULT-VALUE}).")
    int ffn = D.ffn();
    @Option(names = "--vocab", description = "Vocabulary (default ${DEFAULT-VALUE}).")
    int vocab = D.vocab();
    @Option(names = "--experts", description = "Routed experts (default ${DEFAULT-VALUE}).")
    int experts = D.experts();
    @Option(names = "--top-k", description = "Experts per token (default ${DEFAULT-VALUE}).")
    int topK = D.topK();
    @Option(names = "--shared-experts", description = "Shared experts (default ${DEFAULT-VALUE}).")
    int shared = D.sharedExperts();
    @Option(names = "--prompts", description = "Prompts per sampling request, P (default ${DEFAULT-VALUE}).")
    int prompts = D.prompts();
    @Option(names = "--group", description = "Completions per prompt, G (default ${DEFAULT-VALUE}).")
    int group = D.group();
    @Option(names = "--prompt-len", description = "Prompt tokens (default ${DEFAULT-VALUE}).")
    int promptLen = D.promptLen();
    @Option(names = "--new-tokens", description = "Tokens sampled per completion (default ${DEFAULT-VALUE}).")
    int newTokens = D.newTokens();
    @Option(names = "--context", description = "Tokens per sequence for the budget (default ${DEFAULT-VALUE}).")
    int context = D.context();
    @Option(names = "--budget-mb", description = "KV-cache memory budget in MiB (default 1024).")
    long budgetMb = D.budgetBytes() >> 20;
    @Option(names = "--repeats", description = "Timed repetitions per measurement (default ${DEFAULT-VALUE}).")
    int repeats = 3;

    @Override
    public Integer call() throws Exception {
        MlaCacheBenchmark.Shape shape = new MlaCacheBenchmark.Shape(d, layers, heads, ffn, vocab, experts, topK,
                shared, prompts, group, promptLen, newTokens, context, budgetMb << 20);
        var result = new MlaCacheBenchmark(shape, Math.max(1, repeats)).run();
        ObjectMapper m = new ObjectMapper();
        spec.commandLine().getOut().println(compact ? m.writeValueAsString(result)
                : m.writerWithDefaultPrettyPrinter().writeValueAsString(result));
        return 0;
    }
}
