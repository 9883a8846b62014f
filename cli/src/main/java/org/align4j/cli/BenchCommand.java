package org.align4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.align4j.examples.bench.BenchShape;
import org.align4j.examples.bench.Benchmark;
import org.align4j.policy.model.LoraConfig;
import org.align4j.policy.model.ModelConfig;
import org.align4j.policy.util.BadInputException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "bench",
        mixinStandardHelpOptions = true,
        description = {"Measures training and sampling throughput, a GRPO step's time split, and the machine's "
                + "SGEMM rate (the roofline's ceiling) on a random model of the given shape.",
                "bench/torch_cpu_bench.py runs the same shapes in PyTorch for a side-by-side comparison.",
                "--model-config FILE takes the model from a Hugging Face config.json instead (random weights of any "
                        + "architecture align4j loads: llama, qwen2, deepseek_v2, deepseek_v3); the model flags "
                        + "(--d, --layers, --heads, --kv-heads, --ffn, --vocab, --untied) are then refused, the "
                        + "workload flags still apply. bench/torch_gpu_bench.py --model-config FILE builds the same "
                        + "model with transformers for comparison."},
        footer = {"", "Examples:",
                "  ./align4j bench --json",
                "  ./align4j bench --json --d 512 --layers 8 --heads 8 --kv-heads 8 \\",
                "      --ffn 1376 --seq 512",
                "  ./align4j bench --json --model-config bench/configs/deepseek-v2-lite.json \\",
                "      --phases sample,grpo --lora-r 16 --bf16 --prompts 8 --group 8 \\",
                "      --new-tokens 128"})
final class BenchCommand implements Callable<Integer> {
    @Mixin
    DeviceOption device;

    @Spec
    CommandSpec spec;

    private static final BenchShape D = BenchShape.DEFAULT;

    @Option(names = "--model-config", paramLabel = "FILE",
            description = "A Hugging Face config.json: random weights of that model instead of the shape flags' "
                    + "Llama-style one (its bos/eos ids become the benchmark tokenizer's). Refused together with "
                    + "--d, --layers, --heads, --kv-heads, --ffn, --vocab or --untied.")
    Path modelConfig;

    /** The model flags that --model-config replaces (refused together with it rather than silently ignored). */
    static final List<String> MODEL_FLAGS = List.of("--d", "--layers", "--heads", "--kv-heads", "--ffn", "--vocab",
            "--untied");

    @Option(names = "--json", description = "Print one JSON object (the default prints it indented).")
    boolean compact;
    @Option(names = "--d", description = "Hidden size (default ${DEFAULT-VALUE}).")
    int d = D.d();
    @Option(names = "--layers", description = "Decoder layers (default ${DEFAULT-VALUE}).")
    int layers = D.layers();
    @Option(names = "--heads", description = "Attention heads (default ${DEFAULT-VALUE}).")
    int heads = D.heads();
    @Option(names = "--kv-heads", description = "Key/value heads (default ${DEFAULT-VALUE}).")
    int kvHeads = D.kvHeads();
    @Option(names = "--ffn", description = "MLP size (default ${DEFAULT-VALUE}).")
    int ffn = D.ffn();
    @Option(names = "--vocab", description = "Vocabulary (default ${DEFAULT-VALUE}).")
    int vocab = D.vocab();
    @Option(names = "--batch", description = "Training sequences per step (default ${DEFAULT-VALUE}).")
    int batch = D.batch();
    @Option(names = "--seq", description = "Training sequence length (default ${DEFAULT-VALUE}).")
    int seq = D.seq();
    @Option(names = "--prompts", description = "Prompts per sampling request (default ${DEFAULT-VALUE}).")
    int prompts = D.prompts();
    @Option(names = "--group", description = "Completions per prompt, G (default ${DEFAULT-VALUE}).")
    int group = D.group();
    @Option(names = "--prompt-len", description = "Prompt tokens (default ${DEFAULT-VALUE}).")
    int promptLen = D.promptLen();
    @Option(names = "--new-tokens", description = "Tokens sampled per completion (default ${DEFAULT-VALUE}).")
    int newTokens = D.newTokens();
    @Option(names = "--profile", description = "Add per-operation milliseconds (profile_ms) of the training and "
            + "sampling measurements (on a GPU each op is waited for and step graphs are off, so a profiled run's "
            + "tokens/s are lower).")
    boolean profile;
    @Option(names = "--repeats", description = "Timed repetitions per measurement (default ${DEFAULT-VALUE}).")
    int repeats = 3;

    @Option(names = "--lora-r", description = "Put LoRA adapters of this rank on the model (0: none, the default): "
            + "training then updates only the adapters and sampling runs them unmerged.")
    int loraR = 0;

    @Option(names = "--lora-target-modules", split = ",",
            description = "Modules the adapters go on (default ${DEFAULT-VALUE}).")
    List<String> loraTargets = List.of("all-linear");

    @Option(names = "--attn-implementation", paramLabel = "eager|flash_attention_2",
            description = "Attention of the training forward and backward (default ${DEFAULT-VALUE}).")
    String attnImplementation = "eager";

    @Option(names = "--untied", description = "Separate input embeddings and LM head (Qwen2.5-7B, Llama 3.1-8B); "
            + "the default ties them (Qwen2.5-0.5B/1.5B).")
    boolean untied;

    @Option(names = "--phases", split = ",", paramLabel = "PHASE",
            description = "Measurements to take, of train, sample, grpo (default ${DEFAULT-VALUE}).")
    List<String> phases = List.of("train", "sample", "grpo");

    @Option(names = "--gradient-checkpointing",
            description = "Recompute each layer's activations in the backward pass.")
    boolean gradientCheckpointing;

    @Option(names = "--lm-head-chunk-size", paramLabel = "TOKENS",
            description = "LM head chunk: -1 chooses from the shapes, 0 never chunks (default ${DEFAULT-VALUE}).")
    int lmHeadChunkSize = -1;

    @Option(names = "--bf16",
            description = "Mixed precision (bf16: true): frozen weights in bf16 only, trainable ones with a bf16 "
                    + "working copy beside float32 masters; compare the *_peak_gpu_gib and weights_gpu_gib numbers.")
    boolean bf16;

    @Override
    public Integer call() throws Exception {
        ModelConfig config = null;
        if (modelConfig != null) {
            List<String> mixed = MODEL_FLAGS.stream()
                    .filter(f -> spec.commandLine().getParseResult().hasMatchedOption(f)).toList();
            if (!mixed.isEmpty()) {
                throw new BadInputException("--model-config sets the model: drop " + String.join(", ", mixed)
                        + " (the workload flags --batch, --seq, --prompts, --group, --prompt-len, --new-tokens apply)");
            }
            config = Benchmark.readModelConfig(modelConfig);
        }
        device.apply();
        BenchShape shape = new BenchShape(d, layers, heads, kvHeads, ffn, vocab, batch, seq, prompts, group, promptLen,
                newTokens);
        LoraConfig lora = loraR > 0 ? new LoraConfig(loraR, 2.0 * loraR, 0, false, loraTargets, false) : null;
        ObjectNode result = new Benchmark(shape, config, Math.max(1, repeats), profile, lora,
                new Benchmark.ModelSettings(attnImplementation, gradientCheckpointing, lmHeadChunkSize, bf16, !untied,
                        new java.util.LinkedHashSet<>(phases))).run();
        if (modelConfig != null) {
            result.put("model_config", modelConfig.toString());
        }
        ObjectMapper m = new ObjectMapper();
        spec.commandLine().getOut().println(compact ? m.writeValueAsString(result)
                : m.writerWithDefaultPrettyPrinter().writeValueAsString(result));
        return 0;
    }
}
