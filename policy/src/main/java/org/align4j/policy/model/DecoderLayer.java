package org.align4j.policy.model;

import org.align4j.policy.ops.Ops;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Pre-norm block: h = x + attn(norm1(x)); out = h + mlp(norm2(h)). */
final class DecoderLayer {
    final RmsNorm inputNorm;
    final Attention attention;
    final RmsNorm postAttentionNorm;
    final SwiGluMlp mlp;
    private final Ops ops;

    DecoderLayer(Ops ops, RmsNorm inputNorm, Attention attention, RmsNorm postAttentionNorm, SwiGluMlp mlp) {
        this.ops = ops;
        this.inputNorm = inputNorm;
        this.attention = attention;
        this.postAttentionNorm = postAttentionNorm;
        this.mlp = mlp;
    }

    static final class Acts {
        final INDArray norm1;
        final INDArray rstd1;
        final Attention.Acts attn;
        final INDArray mid;
        final INDArray norm2;
        final INDArray rstd2;
        final SwiGluMlp.Acts mlp;

        Acts(Shape s, ModelConfig c) {
            norm1 = s.zeros(s.rows, c.hiddenSize);
            rstd1 = s.zeros(s.rows);
            attn = new Attention.Acts(s, c);
            mid = s.zeros(s.rows, c.hiddenSize);
            norm2 = s.zeros(s.rows, c.hiddenSize);
            rstd2 = s.zeros(s.rows);
            mlp = new SwiGluMlp.Acts(s, c);
        }
    }

    /** Scratch shared by all layers for the backward pass. */
    static final class Grads {
        final INDArray dNorm;
        final Attention.Grads attn;
        final SwiGluMlp.Grads mlp;

        Grads(Shape s, ModelConfig c) {
            dNorm = s.zeros(s.rows, c.hiddenSize);
            attn = new Attention.Grads(s, c);
            mlp = new SwiGluMlp.Grads(s, c);
        }
    }

    void forward(Shape s, INDArray x, int[] positions, Acts a, INDArray out, INDArray cacheK, INDArray cacheV,
                 int[] cacheStart) {
        inputNorm.forward(x, a.norm1, a.rstd1);
        ops.copy(x, a.mid);
        attention.forward(s, a.norm1, positions, a.attn, a.mid, cacheK, cacheV, cacheStart);
        postAttentionNorm.forward(a.mid, a.norm2, a.rstd2);
        ops.copy(a.mid, out);
        mlp.forward(a.norm2, a.mlp, out);
    }

    /** dResidual holds d(loss)/d(out) on entry and d(loss)/d(x) on return. */
    void backward(Shape s, INDArray x, int[] positions, Acts a, Grads g, INDArray dResidual) {
        mlp.backward(a.norm2, a.mlp, g.mlp, dResidual, g.dNorm);
        postAttentionNorm.backward(g.dNorm, a.mid, a.rstd2, dResidual);
        attention.backward(s, a.norm1, positions, a.attn, g.attn, dResidual, g.dNorm);
        inputNorm.backward(g.dNorm, x, a.rstd1, dResidual);
    }
}
