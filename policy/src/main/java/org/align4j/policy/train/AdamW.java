package org.align4j.policy.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.align4j.policy.io.AtomicFiles;
import org.align4j.policy.io.SafeTensors;
import org.align4j.policy.model.Parameter;
import org.align4j.policy.ops.Ops;
import org.align4j.policy.util.BadInputException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW (decoupled weight decay, Loshchilov and Hutter) over a fixed list of parameters. The moment buffers
 * are allocated once, with each parameter's shape and type, and updated in place by {@link Ops#adamW}.
 * State (moments and the step count) is saved as {@code optimizer.safetensors} (tensors named
 * {@code <param>.exp_avg} and {@code <param>.exp_avg_sq}, as PyTorch calls them) and {@code optimizer.json}; a
 * ZeRO-1 rank's share as {@code optimizer-rank-RRRRR-of-NNNNN.safetensors} ({@link #saveShard}).
 */
public final class AdamW {

    /**
     * Hyperparameters. The defaults are DeepSeek's (beta2 0.95, weight decay 0.1). Common practice, followed
     * by default, exempts 1-D parameters (norm weights and biases) from decay: shrinking them toward 0 does not
     * regularize, it just fights the normalization.
     */
    public record Options(double beta1, double beta2, double eps, double weightDecay, boolean decayOneDimensional) {
        public static Options defaults() {
            return new Options(0.9, 0.95, 1e-8, 0.1, false);
        }

        public Options withWeightDecay(double weightDecay) {
            return new Options(beta1, beta2, eps, weightDecay, decayOneDimensional);
        }

        public Options withBetas(double beta1, double beta2) {
            return new Options(beta1, beta2, eps, weightDecay, decayOneDimensional);
        }

        public Options withEps(double eps) {
            return new Options(beta1, beta2, eps, weightDecay, decayOneDimensional);
        }

        public Options withDecayOneDimensional(boolean decay) {
            return new Options(beta1, beta2, eps, weightDecay, decay);
        }
    }

    public static final String STATE_FILE = "optimizer.safetensors";
    public static final String META_FILE = "optimizer.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<Parameter> params;
    private final Options options;
    private final Ops ops;
    private final INDArray[] m;
    private final INDArray[] v;
    private final double[] decay;
    /** The parameters this optimizer updates and keeps state for (ZeRO-1: a rank's share); null: all of them. */
    private final boolean[] owned;
    private long step;

    public AdamW(List<Parameter> params) {
        this(params, Options.defaults(), Ops.cpu());
    }

    public AdamW(List<Parameter> params, Options options, Ops ops) {
        this(params, options, ops, null);
    }

    /**
     * An optimizer that keeps state for, and updates, only the parameters marked in {@code owned} (null: all), the
     * share of one rank of a ZeRO-1 data-parallel run; the other parameters' updates come from their owners.
     */
    public AdamW(List<Parameter> params, Options options, Ops ops, boolean[] owned) {
        this.params = List.copyOf(params);
        this.options = options;
        this.ops = ops;
        this.owned = owned == null ? null : owned.clone();
        int n = this.params.size();
        m = new INDArray[n];
        v = new INDArray[n];
        decay = new double[n];
        for (int i = 0; i < n; i++) {
            INDArray value = this.params.get(i).value();
            if (owns(i)) {
                m[i] = Nd4j.zeros(value.dataType(), value.shape());
                v[i] = Nd4j.zeros(value.dataType(), value.shape());
            }
            decay[i] = value.rank() >= 2 || options.decayOneDimensional() ? options.weightDecay() : 0.0;
        }
    }

    /** Whether this optimizer updates params.get(i) and keeps its state. */
    public boolean owns(int i) {
        return owned == null || owned[i];
    }

    /** The moments (exp_avg, exp_avg_sq) of an owned parameter; null for another rank's. */
    public INDArray[] state(int i) {
        return m[i] == null ? null : new INDArray[] {m[i], v[i]};
    }

    /** One update of every (owned) parameter from its current gradient, at learning rate lr. */
    public void step(double lr) {
        step++;
        for (int i = 0; i < params.size(); i++) {
            if (!owns(i)) {
                continue;
            }
            Parameter p = params.get(i);
            ops.adamW(p.value(), p.grad(), m[i], v[i], lr, options.beta1(), options.beta2(), options.eps(), decay[i], step);
        }
    }

    /** Updates taken so far (restored by {@link #load}). */
    public long stepCount() {
        return step;
    }

    public Options options() {
        return options;
    }

    /** The weight decay applied to params.get(index) (0 for exempt 1-D parameters). */
    public double weightDecayOf(int index) {
        return decay[index];
    }

    /** Writes optimizer.safetensors and optimizer.json into dir (each atomically): the state of every parameter. */
    public void save(Path dir) {
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            if (!owns(i)) {
                throw new IllegalStateException("optimizer state of " + params.get(i).name()
                        + " is another rank's: each rank saves its shard (saveShard)");
            }
            putState(i, tensors);
        }
        writeTensors(dir.resolve(STATE_FILE), tensors);
        writeMeta(dir, 0);
    }

    /**
     * ZeRO-1: writes this rank's share of the state (the moments of the parameters it owns) into dir as
     * {@link #shardFile shardFile(rank, ranks)}, atomically. optimizer.json ({@link #saveShardedMeta}) completes the
     * ranks' shards into a state that {@link #load} reads on any number of ranks.
     */
    public void saveShard(Path dir, int rank, int ranks) {
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            if (owns(i)) {
                putState(i, tensors);
            }
        }
        writeTensors(dir.resolve(shardFile(rank, ranks)), tensors);
    }

    /** ZeRO-1: writes optimizer.json of a state saved as {@code ranks} shards ({@link #saveShard}). */
    public void saveShardedMeta(Path dir, int ranks) {
        writeMeta(dir, ranks);
    }

    /** The file of rank {@code rank}'s share of a state sharded over {@code ranks} ranks. */
    public static String shardFile(int rank, int ranks) {
        return String.format("optimizer-rank-%05d-of-%05d.safetensors", rank, ranks);
    }

    private void putState(int i, Map<String, INDArray> tensors) {
        String name = params.get(i).name();
        ops.toHost(m[i]);
        ops.toHost(v[i]);
        tensors.put(name + ".exp_avg", m[i]);
        tensors.put(name + ".exp_avg_sq", v[i]);
    }

    private void writeTensors(Path file, Map<String, INDArray> tensors) {
        boolean dbl = !params.isEmpty() && params.get(0).value().dataType() == DataType.DOUBLE;
        SafeTensors.write(file, tensors, dbl ? SafeTensors.Dtype.F64 : SafeTensors.Dtype.F32,
                SafeTensors.PT_METADATA);
    }

    /** optimizer.json: the step count, the hyperparameters, the parameters, and (shards > 0) the shard count. */
    private void writeMeta(Path dir, int shards) {
        ObjectNode meta = JSON.createObjectNode();
        meta.put("step", step);
        meta.put("beta1", options.beta1());
        meta.put("beta2", options.beta2());
        meta.put("eps", options.eps());
        meta.put("weight_decay", options.weightDecay());
        meta.put("decay_one_dimensional", options.decayOneDimensional());
        if (shards > 0) {
            meta.put("shards", shards);
        }
        ArrayNode names = meta.putArray("params");
        params.forEach(p -> names.add(p.name()));
        AtomicFiles.writeJson(dir.resolve(META_FILE), meta);
    }

    /**
     * Restores the moments and the step count saved by {@link #save} (or by the ranks' {@link #saveShard} of a ZeRO-1
     * run, on any number of ranks) for the same parameters (same names and shapes); the hyperparameters stay those
     * this optimizer was built with. Only the parameters this optimizer owns are read: from a sharded state, only
     * the shard files that hold them (with the same ranks as the run that saved it, a rank's own file).
     */
    public void load(Path dir) {
        Path metaFile = dir.resolve(META_FILE);
        JsonNode meta;
        try {
            meta = JSON.readTree(Files.readString(metaFile));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + metaFile + ": " + e.getMessage(), e);
        }
        JsonNode stepNode = meta == null ? null : meta.get("step");
        if (stepNode == null || !stepNode.canConvertToLong() || stepNode.asLong() < 0) {
            throw new BadInputException(metaFile + ": missing or bad 'step'");
        }
        JsonNode shardsNode = meta.get("shards");
        if (shardsNode != null && (!shardsNode.canConvertToInt() || shardsNode.asInt() < 1)) {
            throw new BadInputException(metaFile + ": bad 'shards' " + shardsNode + " (a count of ranks >= 1)");
        }
        DataType type = params.isEmpty() ? DataType.FLOAT : params.get(0).value().dataType();
        if (shardsNode == null) {
            Path stateFile = dir.resolve(STATE_FILE);
            Map<String, INDArray> saved = SafeTensors.read(stateFile, type);
            int expected = 2 * params.size();
            if (saved.size() != expected) {
                throw new BadInputException(stateFile + ": holds " + saved.size() + " tensors, this optimizer has "
                        + expected);
            }
            for (int i = 0; i < params.size(); i++) {
                if (owns(i)) { // another rank's share is not kept (ZeRO-1)
                    copyInto(stateFile, params.get(i).name() + ".exp_avg", saved, m[i]);
                    copyInto(stateFile, params.get(i).name() + ".exp_avg_sq", saved, v[i]);
                }
            }
        } else {
            loadShards(dir, shardsNode.asInt(), type);
        }
        step = stepNode.asLong();
    }

    /** The owned parameters' moments from the {@code shards} files of a sharded state, reading only those needed. */
    private void loadShards(Path dir, int shards, DataType type) {
        Map<String, Path> where = new LinkedHashMap<>();
        for (int r = 0; r < shards; r++) {
            Path file = dir.resolve(shardFile(r, shards));
            if (!Files.isRegularFile(file)) {
                throw new BadInputException(file + ": missing (" + dir.resolve(META_FILE) + " says the state is in "
                        + shards + " shards)");
            }
            for (SafeTensors.TensorInfo t : SafeTensors.readHeader(file).tensors()) {
                Path other = where.put(t.name(), file);
                if (other != null) {
                    throw new BadInputException(file + ": tensor '" + t.name() + "' is in " + other + " too");
                }
            }
        }
        int expected = 2 * params.size();
        if (where.size() != expected) {
            throw new BadInputException(dir + ": the " + shards + " optimizer shards hold " + where.size()
                    + " tensors, this optimizer has " + expected);
        }
        Map<Path, List<Integer>> needed = new LinkedHashMap<>();
        for (int i = 0; i < params.size(); i++) {
            if (!owns(i)) {
                continue;
            }
            for (String key : List.of(params.get(i).name() + ".exp_avg", params.get(i).name() + ".exp_avg_sq")) {
                Path file = where.get(key);
                if (file == null) {
                    throw new BadInputException(dir + ": no optimizer shard holds tensor '" + key + "'");
                }
                List<Integer> of = needed.computeIfAbsent(file, f -> new ArrayList<>());
                if (of.isEmpty() || of.get(of.size() - 1) != i) {
                    of.add(i);
                }
            }
        }
        for (Map.Entry<Path, List<Integer>> e : needed.entrySet()) {
            Map<String, INDArray> saved = SafeTensors.read(e.getKey(), type);
            for (int i : e.getValue()) {
                String name = params.get(i).name();
                if (e.getKey().equals(where.get(name + ".exp_avg"))) {
                    copyInto(e.getKey(), name + ".exp_avg", saved, m[i]);
                }
                if (e.getKey().equals(where.get(name + ".exp_avg_sq"))) {
                    copyInto(e.getKey(), name + ".exp_avg_sq", saved, v[i]);
                }
            }
        }
    }

    /** A place to keep this optimizer's parameters and state as they are now, and to return to them later. */
    public Snapshot newSnapshot() {
        return new Snapshot();
    }

    /**
     * A copy of the parameter values, the moments and the step count (3x the parameters' memory), taken with
     * {@link #take} and put back with {@link #restore}: the divergence guard's last good step.
     */
    public final class Snapshot {
        private final INDArray[] w = new INDArray[params.size()];
        private final INDArray[] sm = new INDArray[params.size()];
        private final INDArray[] sv = new INDArray[params.size()];
        private long savedStep = -1;

        private Snapshot() {
            for (int i = 0; i < params.size(); i++) {
                INDArray value = params.get(i).value();
                w[i] = Nd4j.zeros(value.dataType(), value.shape());
                if (owns(i)) {
                    sm[i] = Nd4j.zeros(value.dataType(), value.shape());
                    sv[i] = Nd4j.zeros(value.dataType(), value.shape());
                }
            }
        }

        /** Copies the current values and state in. */
        public void take() {
            for (int i = 0; i < params.size(); i++) {
                ops.copy(params.get(i).value(), w[i]);
                if (owns(i)) {
                    ops.copy(m[i], sm[i]);
                    ops.copy(v[i], sv[i]);
                }
            }
            savedStep = step;
        }

        /** Puts the values and state of the last {@link #take} back. */
        public void restore() {
            if (savedStep < 0) {
                throw new IllegalStateException("no snapshot taken");
            }
            for (int i = 0; i < params.size(); i++) {
                ops.copy(w[i], params.get(i).value());
                if (owns(i)) {
                    ops.copy(sm[i], m[i]);
                    ops.copy(sv[i], v[i]);
                }
            }
            step = savedStep;
        }
    }

    private void copyInto(Path file, String key, Map<String, INDArray> saved, INDArray target) {
        INDArray t = saved.get(key);
        if (t == null) {
            throw new BadInputException(file + ": missing tensor '" + key + "'");
        }
        if (!Arrays.equals(t.shape(), target.shape())) {
            throw new BadInputException(file + ": tensor '" + key + "' has shape " + Arrays.toString(t.shape())
                    + ", the parameter has " + Arrays.toString(target.shape()));
        }
        ops.copy(t, target);
    }
}
