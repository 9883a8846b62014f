package org.align4j.examples.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;
import org.align4j.policy.io.ShardedSafeTensors;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.model.ModelConfig;
import org.align4j.policy.model.TorchDtype;
import org.align4j.policy.ops.Ops;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Loading a BF16 checkpoint on the CPU backend, the streaming way ({@link HfCheckpoint#load}: bf16 bytes into the
 * model's own arrays) or the widening way it replaced (every tensor widened into a float32 map, then copied into the
 * model), for host peak memory and time under {@code /usr/bin/time -v} (docs/BENCHMARKS.md).
 *
 * <pre>
 *   java -cp cli/target/align4j.jar org.align4j.examples.bench.Bf16LoadBenchmark write DIR LAYERS
 *   java -cp cli/target/align4j.jar org.align4j.examples.bench.Bf16LoadBenchmark load DIR stream|widen
 * </pre>
 * write makes random weights at Qwen2.5-0.5B's shape (d 896, 14 heads, 2 kv heads, ffn 4864, vocabulary 151936, tied
 * embeddings) with LAYERS layers, saved as BF16.
 */
public final class Bf16LoadBenchmark {
    private Bf16LoadBenchmark() {
    }

    static ModelConfig qwen05Shape(int layers) {
        ObjectNode c = new ObjectMapper().createObjectNode();
        c.putArray("architectures").add("Qwen2ForCausalLM");
        c.put("model_type", "qwen2");
        c.put("hidden_size", 896);
        c.put("num_hidden_layers", layers);
        c.put("num_attention_heads", 14);
        c.put("num_key_value_heads", 2);
        c.put("intermediate_size", 4864);
        c.put("vocab_size", 151936);
        c.put("tie_word_embeddings", true);
        c.put("rms_norm_eps", 1e-6);
        c.put("rope_theta", 1000000.0);
        c.put("max_position_embeddings", 32768);
        return ModelConfig.fromJson(c);
    }

    public static void main(String[] args) {
        if (args.length != 3 || !(args[0].equals("write") || args[0].equals("load"))) {
            System.err.println("usage: Bf16LoadBenchmark write DIR LAYERS | load DIR stream|widen");
            System.exit(2);
        }
        Path dir = Paths.get(args[1]);
        long start = System.nanoTime();
        CausalLM m;
        if (args[0].equals("write")) {
            m = CausalLM.initialize(qwen05Shape(Integer.parseInt(args[2])), DataType.FLOAT, 1, Ops.cpu());
            m.setCheckpointDtype(TorchDtype.BFLOAT16);
            HfCheckpoint.save(m, dir, null);
        } else if (args[2].equals("stream")) {
            m = HfCheckpoint.load(dir, DataType.FLOAT, Ops.cpu());
        } else if (args[2].equals("widen")) {
            m = CausalLM.fromWeights(ModelConfig.read(dir.resolve("config.json")),
                    ShardedSafeTensors.read(dir, DataType.FLOAT), DataType.FLOAT, Ops.cpu());
        } else {
            throw new IllegalArgumentException("load DIR stream|widen, not " + args[2]);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "{\"mode\": \"%s %s\", \"parameters\": %d, \"seconds\": %.2f}%n", args[0],
                args[2], m.parameterCount(), seconds);
    }
}
