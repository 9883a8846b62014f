package org.align4j.policy.model;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * How rotary frequencies are stretched for contexts longer than pre-training (the {@code rope_type} of a
 * Hugging Face config), with the formulas of transformers 5's {@code modeling_rope_utils}:
 * <ul>
 * <li>{@code default}: theta^(-2i / dim);</li>
 * <li>{@code linear}: default / factor;</li>
 * <li>{@code dynamic} (NTK): default with theta * (factor * L / max_position_embeddings - (factor - 1))^(dim /
 * (dim - 2)) once the sequence length L of a forward pass exceeds max_position_embeddings (see
 * {@link #inverseFrequencies});</li>
 * <li>{@code llama3}: frequencies with wavelength above original_max_position_embeddings / low_freq_factor are
 * divided by factor, those below original / high_freq_factor kept, and those between interpolated smoothly;</li>
 * <li>{@code yarn}: a ramp between interpolated (divided by factor) and extrapolated frequencies over the dims
 * whose number of rotations in original_max_position_embeddings lies between beta_slow and beta_fast, and cos/sin
 * multiplied by an attention factor (attention_factor, or get_mscale(factor, mscale) / get_mscale(factor,
 * mscale_all_dim) when both are set, else get_mscale(factor)). DeepSeek-V2/V3 also multiply the softmax scale by
 * get_mscale(factor, mscale_all_dim)^2 ({@link #softmaxScaleFactor}).</li>
 * </ul>
 * Unset optional values are NaN (mscale, mscale_all_dim, attention_factor) so that "absent" and 0 stay apart
 * where transformers tells them apart.
 */
public final class RopeScaling {
    public static final String DEFAULT = "default";
    public static final String LINEAR = "linear";
    public static final String DYNAMIC = "dynamic";
    public static final String LLAMA3 = "llama3";
    public static final String YARN = "yarn";
    public static final List<String> TYPES = List.of(DEFAULT, LINEAR, DYNAMIC, LLAMA3, YARN);
    public static final RopeScaling NONE = new RopeScaling(DEFAULT, 1, 0, 0, 0, 0, 0, Double.NaN, Double.NaN,
            Double.NaN, true);

    public final String type;
    public final double factor;
    /** Pre-training context (llama3, yarn); 0 for the other types. */
    public final int originalMaxPositions;
    public final double lowFreqFactor;
    public final double highFreqFactor;
    public final double betaFast;
    public final double betaSlow;
    public final double mscale;
    public final double mscaleAllDim;
    public final double attentionFactor;
    /** yarn: round the correction range to whole dims (transformers' default true). */
    public final boolean truncate;

    public RopeScaling(String type, double factor, int originalMaxPositions, double lowFreqFactor,
                       double highFreqFactor, double betaFast, double betaSlow, double mscale, double mscaleAllDim,
                       double attentionFactor, boolean truncate) {
        if (!TYPES.contains(type)) {
            throw new IllegalArgumentException("unsupported rope_type '" + type + "' (supported: "
                    + String.join(", ", TYPES) + ")");
        }
        this.type = type;
        this.factor = factor;
        this.originalMaxPositions = originalMaxPositions;
        this.lowFreqFactor = lowFreqFactor;
        this.highFreqFactor = highFreqFactor;
        this.betaFast = betaFast;
        this.betaSlow = betaSlow;
        this.mscale = mscale;
        this.mscaleAllDim = mscaleAllDim;
        this.attentionFactor = attentionFactor;
        this.truncate = truncate;
    }

    public static RopeScaling linear(double factor) {
        return new RopeScaling(LINEAR, factor, 0, 0, 0, 0, 0, Double.NaN, Double.NaN, Double.NaN, true);
    }

    public static RopeScaling dynamic(double factor) {
        return new RopeScaling(DYNAMIC, factor, 0, 0, 0, 0, 0, Double.NaN, Double.NaN, Double.NaN, true);
    }

    public static RopeScaling llama3(double factor, double lowFreqFactor, double highFreqFactor, int original) {
        return new RopeScaling(LLAMA3, factor, original, lowFreqFactor, highFreqFactor, 0, 0, Double.NaN, Double.NaN,
                Double.NaN, true);
    }

    /** YaRN; pass NaN for an absent mscale, mscale_all_dim or attention_factor, 0 for absent betas. */
    public static RopeScaling yarn(double factor, int original, double betaFast, double betaSlow, double mscale,
                                   double mscaleAllDim, double attentionFactor, boolean truncate) {
        return new RopeScaling(YARN, factor, original, 0, 0, betaFast, betaSlow, mscale, mscaleAllDim,
                attentionFactor, truncate);
    }

    public boolean isDefault() {
        return type.equals(DEFAULT);
    }

    /** Whether the frequencies depend on the length of the forward pass. */
    public boolean isDynamic() {
        return type.equals(DYNAMIC);
    }

    /**
     * Inverse frequencies of a head of dim rotary dims with base theta, for a forward pass whose largest position
     * is seqLen - 1 (used by {@code dynamic} only; maxPositions is max_position_embeddings).
     */
    public double[] inverseFrequencies(int dim, double theta, int maxPositions, int seqLen) {
        int half = dim / 2;
        double[] inv = new double[half];
        double base = theta;
        if (type.equals(DYNAMIC)) {
            double len = Math.max(seqLen, maxPositions);
            base = theta * Math.pow(factor * len / maxPositions - (factor - 1), dim / (double) (dim - 2));
        }
        for (int i = 0; i < half; i++) {
            inv[i] = 1.0 / Math.pow(base, (2.0 * i) / dim);
        }
        switch (type) {
            case LINEAR -> {
                for (int i = 0; i < half; i++) {
                    inv[i] /= factor;
                }
            }
            case LLAMA3 -> llama3(inv);
            case YARN -> yarn(inv, dim, theta);
            default -> {
            }
        }
        return inv;
    }

    private void llama3(double[] inv) {
        double lowWavelen = originalMaxPositions / lowFreqFactor;
        double highWavelen = originalMaxPositions / highFreqFactor;
        for (int i = 0; i < inv.length; i++) {
            double wavelen = 2 * Math.PI / inv[i];
            if (wavelen > lowWavelen) {
                inv[i] /= factor;
            } else if (wavelen >= highWavelen) {
                double smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                inv[i] = (1 - smooth) * inv[i] / factor + smooth * inv[i];
            }
        }
    }

    private void yarn(double[] inv, int dim, double theta) {
        double fast = betaFast == 0 ? 32 : betaFast;
        double slow = betaSlow == 0 ? 1 : betaSlow;
        double low = correctionDim(fast, dim, theta);
        double high = correctionDim(slow, dim, theta);
        if (truncate) {
            low = Math.floor(low);
            high = Math.ceil(high);
        }
        low = Math.max(low, 0);
        high = Math.min(high, dim - 1);
        if (low == high) {
            high += 0.001; // as transformers, to avoid dividing by zero
        }
        for (int i = 0; i < inv.length; i++) {
            double ramp = Math.min(1, Math.max(0, (i - low) / (high - low)));
            double extrapolation = 1 - ramp;
            // inv[i] is the extrapolated (unscaled) frequency; inv[i] / factor the interpolated one
            inv[i] = inv[i] / factor * (1 - extrapolation) + inv[i] * extrapolation;
        }
    }

    /** The dim at which a frequency makes numRotations turns over the pre-training context. */
    private double correctionDim(double numRotations, int dim, double theta) {
        return dim * Math.log(originalMaxPositions / (numRotations * 2 * Math.PI)) / (2 * Math.log(theta));
    }

    /** The factor cos and sin are multiplied by (transformers' attention_scaling): 1 except for yarn. */
    public double cosSinScale() {
        if (!type.equals(YARN)) {
            return 1.0;
        }
        if (!Double.isNaN(attentionFactor)) {
            return attentionFactor;
        }
        if (truthy(mscale) && truthy(mscaleAllDim)) {
            return getMscale(factor, mscale) / getMscale(factor, mscaleAllDim);
        }
        return getMscale(factor, 1);
    }

    /**
     * What DeepSeek-V2/V3 multiply their softmax scale 1 / sqrt(qk_head_dim) by: get_mscale(factor,
     * mscale_all_dim)^2 for any rope type but default when mscale_all_dim is set and non-zero, else 1.
     */
    public double softmaxScaleFactor() {
        if (isDefault() || !truthy(mscaleAllDim)) {
            return 1.0;
        }
        double m = getMscale(factor, mscaleAllDim);
        return m * m;
    }

    /** YaRN's attention temperature: 0.1 * mscale * ln(scale) + 1, or 1 when scale <= 1. */
    static double getMscale(double scale, double mscale) {
        return scale <= 1 ? 1.0 : 0.1 * mscale * Math.log(scale) + 1.0;
    }

    /** Python truthiness of an optional number: set and non-zero. */
    private static boolean truthy(double v) {
        return !Double.isNaN(v) && v != 0;
    }

    /** Writes the settings into a rope_parameters object (beside its rope_theta). */
    void writeTo(ObjectNode n) {
        n.put("rope_type", type);
        if (isDefault()) {
            return;
        }
        n.put("factor", factor);
        if (type.equals(LLAMA3)) {
            n.put("low_freq_factor", lowFreqFactor);
            n.put("high_freq_factor", highFreqFactor);
        }
        if (type.equals(LLAMA3) || type.equals(YARN)) {
            n.put("original_max_position_embeddings", originalMaxPositions);
        }
        if (type.equals(YARN)) {
            if (betaFast != 0) {
                n.put("beta_fast", betaFast);
            }
            if (betaSlow != 0) {
                n.put("beta_slow", betaSlow);
            }
            putOptional(n, "mscale", mscale);
            putOptional(n, "mscale_all_dim", mscaleAllDim);
            putOptional(n, "attention_factor", attentionFactor);
            if (!truncate) {
                n.put("truncate", false);
            }
        }
    }

    private static void putOptional(ObjectNode n, String key, double v) {
        if (!Double.isNaN(v)) {
            n.put(key, v);
        }
    }

    @Override
    public String toString() {
        return type + (isDefault() ? "" : " (factor " + factor + ")");
    }
}
