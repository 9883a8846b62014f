package org.align4j.policy.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
 * {@code <param>.exp_avg} and {@code <param>.exp_avg_sq}, as PyTorch calls them) and {@code optimizer.json}.
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

    /** The moments (exp_avg, exp_avg_sq) of an owned parameter, or those held by {@link #holdState}; else null. */
    public INDArray[] state(int i) {
        return m[i] == null ? null : new INDArray[] {m[i], v[i]};
    }

    /** Holds another rank's moments of params.get(i) until {@link #dropHeldState()}, for a checkpoint of all. */
    public void holdState(int i, INDArray exp, INDArray expSq) {
        if (owns(i)) {
            throw new IllegalStateException(params.get(i).name() + " is this optimizer's own");
        }
        m[i] = exp;
        v[i] = expSq;
    }

    /** Releases the moments held by {@link #holdState}. */
    public void dropHeldState() {
        for (int i = 0; i < params.size(); i++) {
            if (!owns(i)) {
                m[i] = null;
                v[i] = null;
            }
        }
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

    /**
     * Writes optimizer.safetensors and optimizer.json into dir (each atomically): the state of every parameter
     * (a ZeRO-1 rank must hold the others' first, see {@link #holdState}).
     */
    public void save(Path dir) {
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < params.size(); i++) {
            String name = params.get(i).name();
            if (m[i] == null) {
                throw new IllegalStateException("optimizer state of " + name + " is another rank's: gather it first");
            }
            names.add(name);
            ops.toHost(m[i]);
            ops.toHost(v[i]);
            tensors.put(name + ".exp_avg", m[i]);
            tensors.put(name + ".exp_avg_sq", v[i]);
        }
        boolean dbl = !params.isEmpty() && params.get(0).value().dataType() == DataType.DOUBLE;
        SafeTensors.write(dir.resolve(STATE_FILE), tensors, dbl ? SafeTensors.Dtype.F64 : SafeTensors.Dtype.F32,
                SafeTensors.PT_METADATA);
        ObjectNode meta = JSON.createObjectNode();
        meta.put("step", step);
        meta.put("beta1", options.beta1());
        meta.put("beta2", options.beta2());
        meta.put("eps", options.eps());
        meta.put("weight_decay", options.weightDecay());
        meta.put("decay_one_dimensional", options.decayOneDimensional());
        names.forEach(meta.putArray("params")::add);
        AtomicFiles.writeJson(dir.resolve(META_FILE), meta);
    }

    /**
     * Restores the moments and the step count saved by {@link #save} for the same parameters (same names and
     * shapes); the hyperparameters stay those this optimizer was built with.
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
        Path stateFile = dir.resolve(STATE_FILE);
        DataType type = params.isEmpty() ? DataType.FLOAT : params.get(0).value().dataType();
        Map<String, INDArray> saved = SafeTensors.read(stateFile, type);
        int expected = 2 * params.size();
        if (saved.size() != expected) {
            throw new BadInputException(stateFile + ": holds " + saved.size() + " tensors, this optimizer has " + expected);
        }
        for (int i = 0; i < params.size(); i++) {
            if (!owns(i)) {
                continue; // another rank's share (a checkpoint holds all: any number of ranks resumes from it)
            }
            copyInto(stateFile, params.get(i).name() + ".exp_avg", saved, m[i]);
            copyInto(stateFile, params.get(i).name() + ".exp_avg_sq", saved, v[i]);
        }
        step = stepNode.asLong();
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
