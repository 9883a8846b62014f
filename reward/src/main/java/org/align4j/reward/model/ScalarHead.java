package org.align4j.reward.model;

import java.util.List;
import org.align4j.policy.model.Parameter;
import org.align4j.policy.ops.Ops;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The value head of a reward model: {@code r = w . h + b} on a final hidden state {@code h}. Named as
 * transformers' sequence-classification head ({@code score.weight} [1, hidden]) plus a bias {@code score.bias}
 * [1]. It only ever sees a few rows per sequence (the scored positions), so plain ND4J ops are enough here.
 */
public final class ScalarHead {
    public static final String WEIGHT = "score.weight";
    public static final String BIAS = "score.bias";

    private final Parameter weight;
    private final Parameter bias;
    private final Ops ops;

    public ScalarHead(INDArray weight, INDArray bias, Ops ops) {
        if (weight.rank() != 2 || weight.size(0) != 1) {
            throw new IllegalArgumentException(WEIGHT + " must have shape [1, hidden], got " + shape(weight));
        }
        if (bias.length() != 1) {
            throw new IllegalArgumentException(BIAS + " must hold one value, got " + shape(bias));
        }
        this.weight = new Parameter(WEIGHT, weight.dup('c'), Nd4j.zeros(weight.dataType(), weight.shape()));
        INDArray b = bias.reshape(1).dup('c');
        this.bias = new Parameter(BIAS, b, Nd4j.zeros(b.dataType(), 1));
        this.ops = ops; // the arrays are new: the backend uploads them at their first use
    }

    /**
     * A new head: weight normal(0, 0.02) as transformers initialises its score head, bias 0, so that the
     * first scores are near 0 and the trunk's features are not swamped at the start.
     */
    public static ScalarHead initialize(int hidden, DataType dtype, long seed, Ops ops) {
        Nd4j.getRandom().setSeed(seed);
        return new ScalarHead(Nd4j.randn(dtype, 1, hidden).muli(0.02), Nd4j.zeros(dtype, 1), ops);
    }

    public int hiddenSize() {
        return (int) weight.value().size(1);
    }

    /** The parameters' current values as host arrays (for saving). */
    public java.util.Map<String, INDArray> weights() {
        java.util.Map<String, INDArray> w = new java.util.LinkedHashMap<>();
        for (Parameter p : parameters()) {
            ops.toHost(p.value());
            w.put(p.name(), p.value());
        }
        return w;
    }

    public List<Parameter> parameters() {
        return List.of(weight, bias);
    }

    /** Scores of rows [n, hidden]: one value per row. */
    public double[] forward(INDArray rows) {
        ops.toHost(weight.value());
        ops.toHost(bias.value());
        INDArray r = rows.castTo(weight.value().dataType()).mmul(weight.value().transpose());
        double b = bias.value().getDouble(0);
        double[] out = new double[(int) rows.size(0)];
        for (int i = 0; i < out.length; i++) {
            out[i] = r.getDouble(i, 0) + b;
        }
        return out;
    }

    /**
     * Given d(loss)/d(score) per row, accumulates the head's gradients and returns d(loss)/d(rows) [n, hidden].
     */
    public INDArray backward(INDArray rows, double[] dScores) {
        DataType t = weight.value().dataType();
        INDArray d = Nd4j.createFromArray(dScores).castTo(t).reshape(dScores.length, 1);
        ops.toHost(weight.value());
        double sum = 0;
        for (double v : dScores) {
            sum += v;
        }
        double biasGrad = sum;
        ops.editOnHost(() -> {
            weight.grad().addi(d.transpose().mmul(rows.castTo(t)));
            bias.grad().addi(biasGrad);
        }, weight.grad(), bias.grad());
        return d.mmul(weight.value());
    }

    private static String shape(INDArray a) {
        return java.util.Arrays.toString(a.shape());
    }
}
