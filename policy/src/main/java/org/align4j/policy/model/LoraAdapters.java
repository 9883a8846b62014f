package org.align4j.policy.model;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The LoRA adapters of one model: one {@link LoraLayer} per adapted linear layer, the switch that turns them off
 * (the reference policy of DPO and GRPO is the base model), the dropout pass, and the scratch buffers the layers
 * share (they run one at a time).
 */
final class LoraAdapters {
    /** Scratch buffers of a LoRA layer's passes. */
    enum Slot { H, DH, DROPPED_X, DX_PART }

    final LoraConfig config;
    final Map<String, LoraLayer> layers = new LinkedHashMap<>();
    private final DataType dtype;
    private boolean enabled = true;
    private long dropoutPass = -1;
    private final Map<Slot, Map<Integer, INDArray>> scratch = new EnumMap<>(Slot.class);

    LoraAdapters(LoraConfig config, DataType dtype) {
        this.config = config;
        this.dtype = dtype;
    }

    boolean enabled() {
        return enabled;
    }

    void setEnabled(boolean on) {
        enabled = on;
    }

    /** The pass whose dropout mask the layers use, or -1 for a pass without dropout. */
    long dropoutPass() {
        return dropoutPass;
    }

    void setDropoutPass(long pass) {
        dropoutPass = pass;
    }

    /** The trainable tensors: lora_A then lora_B of each adapted module, in model order. */
    List<Parameter> parameters() {
        List<Parameter> out = new ArrayList<>();
        for (LoraLayer l : layers.values()) {
            out.add(l.a);
            out.add(l.b);
        }
        return out;
    }

    /** A [rows, cols] buffer of this slot: the first rows of one that grows to the largest request. */
    INDArray scratch(Slot slot, int rows, int cols) {
        Map<Integer, INDArray> byCols = scratch.computeIfAbsent(slot, s -> new HashMap<>());
        INDArray buf = byCols.get(cols);
        if (buf == null || buf.size(0) < rows) {
            if (buf != null) {
                buf.close();
            }
            buf = Nd4j.create(dtype, rows, cols);
            byCols.put(cols, buf);
        }
        return LoraLayer.rows(buf, rows);
    }

    void releaseScratch() {
        scratch.values().forEach(m -> m.values().forEach(a -> {
            if (!a.wasClosed()) {
                a.close();
            }
        }));
        scratch.clear();
    }

    /** SplitMix64's finalizer: a well-mixed 64-bit hash. */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
