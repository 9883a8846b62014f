package org.align4j.reward.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.align4j.policy.io.AtomicFiles;
import org.align4j.policy.io.SafeTensors;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.model.PeftAdapter;
import org.align4j.policy.model.Parameter;
import org.align4j.policy.model.TokenBatch;
import org.align4j.policy.ops.Ops;
import org.align4j.policy.util.BadInputException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A learned reward model: a causal-LM trunk (its final hidden states) and a {@link ScalarHead}. An outcome
 * model (ORM) is read at the last token of prompt + completion, a process model (PRM) at the token ending each
 * step, where {@code sigmoid(score)} is the probability that the step is correct.
 *
 * <p>On disk it is a model directory: the trunk in Hugging Face layout ({@code config.json},
 * {@code model.safetensors}, tokenizer files), plus {@code reward_head.safetensors} and
 * {@code reward_model.json} ({@code {"kind": "orm"}}). The whole directory is written atomically.
 * Not thread-safe, as the trunk is not.
 */
public final class RewardModel {
    public static final String HEAD_FILE = "reward_head.safetensors";
    public static final String META_FILE = "reward_model.json";
    /** Sequences scored together by {@link #score}. */
    private static final int SCORE_BATCH = 16;
    /** Batches are padded to a multiple of half their width's power of two, at least this (see {@link #forward}). */
    private static final int MIN_BUCKET = 8;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final CausalLM trunk;
    private final ScalarHead head;
    private final RewardModelKind kind;

    public RewardModel(CausalLM trunk, ScalarHead head, RewardModelKind kind) {
        if (head.hiddenSize() != trunk.config().hiddenSize) {
            throw new IllegalArgumentException("head of width " + head.hiddenSize() + " on a trunk of hidden size "
                    + trunk.config().hiddenSize);
        }
        this.trunk = trunk;
        this.head = head;
        this.kind = kind;
    }

    /** A new reward model on a trunk (a policy or SFT model, or a fresh one) with a freshly initialised head. */
    public static RewardModel create(CausalLM trunk, RewardModelKind kind, long seed) {
        return new RewardModel(trunk, ScalarHead.initialize(trunk.config().hiddenSize, trunk.dataType(), seed, trunk.ops()), kind);
    }

    /** Whether dir holds a saved reward model (not just a language model). */
    public static boolean isRewardModel(Path dir) {
        return Files.isRegularFile(dir.resolve(META_FILE)) && Files.isRegularFile(dir.resolve(HEAD_FILE));
    }

    /** A float32 reward model on the given backend. */
    public static RewardModel load(Path dir, Ops ops) {
        return load(dir, DataType.FLOAT, ops);
    }

    /** A float32 reward model on the CPU backend. */
    public static RewardModel load(Path dir) {
        return load(dir, Ops.cpu());
    }

    /** A reward model of the given element type on the CPU backend. */
    public static RewardModel load(Path dir, DataType dtype) {
        return load(dir, dtype, Ops.cpu());
    }

    public static RewardModel load(Path dir, DataType dtype, Ops ops) {
        if (!isRewardModel(dir)) {
            throw new BadInputException(dir + ": not a reward model directory (needs " + META_FILE + " and "
                    + HEAD_FILE + "; train one with 'align4j rm train')");
        }
        RewardModelKind kind = readKind(dir.resolve(META_FILE));
        CausalLM trunk;
        if (PeftAdapter.isAdapter(dir)) {
            // a reward model trained with use_peft: the trunk's LoRA adapter on its base, and the full head
            trunk = HfCheckpoint.load(PeftAdapter.baseOf(dir), dtype, ops);
            PeftAdapter.load(trunk, dir);
        } else {
            trunk = HfCheckpoint.load(dir, dtype, ops);
        }
        Map<String, INDArray> h = SafeTensors.read(dir.resolve(HEAD_FILE), dtype);
        INDArray w = h.get(ScalarHead.WEIGHT);
        INDArray b = h.get(ScalarHead.BIAS);
        if (w == null || b == null) {
            throw new BadInputException(dir.resolve(HEAD_FILE) + ": needs tensors '" + ScalarHead.WEIGHT + "' and '"
                    + ScalarHead.BIAS + "'");
        }
        try {
            return new RewardModel(trunk, new ScalarHead(w, b, trunk.ops()), kind);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(dir.resolve(HEAD_FILE) + ": " + e.getMessage(), e);
        }
    }

    private static RewardModelKind readKind(Path file) {
        JsonNode n;
        try {
            n = JSON.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new BadInputException(file + ": not valid JSON: " + e.getMessage());
        }
        try {
            return RewardModelKind.parse(n == null ? null : n.path("kind").asText(null));
        } catch (IllegalArgumentException e) {
            throw new BadInputException(file + ": " + e.getMessage());
        }
    }

    /**
     * Writes the model to dir atomically: everything goes into a temporary sibling that is renamed into place,
     * so a reader never sees a trunk without its head. Tokenizer files in tokenizerDir (may be null) are copied.
     */
    public void save(Path dir, Path tokenizerDir) {
        save(dir, tokenizerDir, null);
    }

    /**
     * {@link #save(Path, Path)}; a trunk with LoRA adapters is saved as its adapter in PEFT's format (with baseDir,
     * which must then be given, as base_model_name_or_path) beside the full head, as PEFT saves a sequence
     * classifier's trained score head in modules_to_save.
     */
    public void save(Path dir, Path tokenizerDir, Path baseDir) {
        Path target = dir.toAbsolutePath();
        Path tmp = target.resolveSibling("." + target.getFileName() + ".rm.tmp");
        AtomicFiles.deleteRecursively(tmp);
        if (trunk.hasAdapters()) {
            if (baseDir == null) {
                throw new IllegalStateException("a reward model with LoRA adapters is saved with its base directory");
            }
            PeftAdapter.save(trunk, tmp, baseDir.toAbsolutePath().normalize().toString(), tokenizerDir);
        } else {
            HfCheckpoint.save(trunk, tmp, tokenizerDir);
        }
        SafeTensors.write(tmp.resolve(HEAD_FILE), head.weights());
        ObjectNode meta = JSON.createObjectNode();
        meta.put("kind", kind.key());
        meta.put("hidden_size", head.hiddenSize());
        AtomicFiles.writeJson(tmp.resolve(META_FILE), meta);
        AtomicFiles.replaceDirectory(tmp, target);
    }

    public RewardModelKind kind() {
        return kind;
    }

    public CausalLM trunk() {
        return trunk;
    }

    public ScalarHead head() {
        return head;
    }

    /** The longest sequence the trunk takes (max_position_embeddings). */
    public int maxLength() {
        return trunk.config().maxPositions;
    }

    /**
     * The parameters training updates: the trunk's and the head's. An untied lm_head is left out: the reward
     * never reads it, and weight decay alone would only shrink it.
     */
    public List<Parameter> parameters() {
        List<Parameter> out = new ArrayList<>();
        for (Parameter p : trunk.parameters()) {
            if (!(p.name().equals("lm_head.weight") && !trunk.config().tieWordEmbeddings)) {
                out.add(p);
            }
        }
        out.addAll(head.parameters());
        return out;
    }

    public void zeroGrad() {
        trunk.zeroGrad();
        for (Parameter p : head.parameters()) {
            trunk.ops().zero(p.grad());
        }
    }

    /** One forward pass over the sequences, scored at {@code positions[b]} of sequence b; keep it for backward. */
    public RewardForward forward(List<int[]> sequences, int[][] positions) {
        if (sequences.size() != positions.length) {
            throw new IllegalArgumentException(sequences.size() + " sequences but " + positions.length + " position lists");
        }
        int width = 0;
        for (int b = 0; b < positions.length; b++) {
            int length = sequences.get(b).length;
            for (int t : positions[b]) {
                if (t < 0 || t >= length) {
                    throw new IllegalArgumentException("sequence " + b + ": position " + t + " is outside its "
                            + length + " tokens");
                }
            }
            width = Math.max(width, length);
        }
        // Padding after a sequence's end never changes its scores (attention is causal), and a few bucket widths
        // let the trunk reuse its activation buffers instead of allocating new ones for every batch width: the
        // off-heap garbage of a new buffer set per batch grew a training process past 20 GB before the GC ran.
        int bucket = Math.max(MIN_BUCKET, Integer.highestOneBit(width) / 2);
        int padded = Math.max(width, Math.min(trunk.config().maxPositions, roundUp(width, bucket)));
        List<int[]> rows = new ArrayList<>(sequences.size());
        for (int[] s : sequences) {
            rows.add(s.length == padded ? s : Arrays.copyOf(s, padded));
        }
        return new RewardForward(trunk.forwardHidden(TokenBatch.of(rows)), head, positions);
    }

    private static int roundUp(int n, int bucket) {
        return (n + bucket - 1) / bucket * bucket;
    }

    /** Scores without a backward pass, in micro-batches; raw logits laid out as positions. */
    public double[][] score(List<int[]> sequences, int[][] positions) {
        double[][] out = new double[sequences.size()][];
        for (int from = 0; from < sequences.size(); from += SCORE_BATCH) {
            int to = Math.min(sequences.size(), from + SCORE_BATCH);
            double[][] part = forward(sequences.subList(from, to),
                    Arrays.copyOfRange(positions, from, to)).scores();
            System.arraycopy(part, 0, out, from, to - from);
        }
        return out;
    }

    public static double sigmoid(double z) {
        return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
    }
}
