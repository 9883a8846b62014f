package org.align4j.policy.model;

import org.align4j.policy.ops.Ops;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Pre-norm block: h = x + attn(norm1(x)); out = h + ffn(norm2(h)). */
final class DecoderLayer {
    final RmsNorm inputNorm;
    final AttentionBlock attention;
    final RmsNorm postAttentionNorm;
    final FeedForwardBlock mlp;
    private final Ops ops;

    DecoderLayer(Ops ops, RmsNorm inputNorm, AttentionBlock attention, RmsNorm postAttentionNorm,
                 FeedForwardBlock mlp) {
        this.ops = ops;
        this.inputNorm = inputNorm;
        this.attention = attention;
        this.postAttentionNorm = postAttentionNorm;
        this.mlp = mlp;
    }

    static final class Acts {
        final INDArray norm1;
        final INDArray rstd1;
        final AttentionBlock.Acts attn;
        final INDArray mid;
        final INDArray norm2;
        final INDArray rstd2;
        final FeedForwardBlock.Acts mlp;

        Acts(Shape s, ModelConfig c, DecoderLayer layer) {
            norm1 = s.zeros(s.rows, c.hiddenSize);
            rstd1 = s.zeros(s.rows);
            attn = layer.attention.newActs(s);
            mid = s.zeros(s.rows, c.hiddenSize);
            norm2 = s.zeros(s.rows, c.hiddenSize);
            rstd2 = s.zeros(s.rows);
            mlp = layer.mlp.newActs(s);
        }
    }

    /** Backward scratch of one layer; its parts are shared with the other layers of the same kinds. */
    static final class Grads {
        final INDArray dNorm;
        final AttentionBlock.Grads attn;
        final FeedForwardBlock.Grads mlp;

        Grads(INDArray dNorm, AttentionBlock.Grads attn, FeedForwardBlock.Grads mlp) {
            this.dNorm = dNorm;
            this.attn = attn;
            this.mlp = mlp;
        }
    }

    void forward(Shape s, INDArray x, int[] positions, boolean[] valid, Acts a, INDArray out, LayerCache cache,
                 int[] cacheStart) {
        inputNorm.forward(x, a.norm1, a.rstd1);
        ops.copy(x, a.mid);
        attention.forward(s, a.norm1, positions, a.attn, a.mid, cache, cacheStart);
        postAttentionNorm.forward(a.mid, a.norm2, a.rstd2);
        ops.copy(a.mid, out);
        mlp.forward(s, a.norm2, a.mlp, out, valid);
    }

    /**
     * The forward pass again, for gradient checkpointing: refills a (shared with other layers of this kind) from
     * the layer's input x; out receives the same output as the first time. MoE load is not counted twice.
     */
    void recompute(Shape s, INDArray x, int[] positions, boolean[] valid, Acts a, INDArray out) {
        MoeFeedForward moe = mlp instanceof MoeFeedForward m ? m : null;
        if (moe != null) {
            moe.setCountingLoad(false);
        }
        try {
            forward(s, x, positions, valid, a, out, null, null);
        } finally {
            if (moe != null) {
                moe.setCountingLoad(true);
            }
        }
    }

    /** Key of the activation buffers this layer can share with others (same attention and feed-forward kinds). */
    Object actsKey() {
        return java.util.List.of(attention.scratchKey(), mlp.scratchKey());
    }

    /** dResidual holds d(loss)/d(out) on entry and d(loss)/d(x) on return. */
    void backward(Shape s, INDArray x, int[] positions, Acts a, Grads g, INDArray dResidual) {
        mlp.backward(s, a.norm2, a.mlp, g.mlp, dResidual, g.dNorm);
        postAttentionNorm.backward(g.dNorm, a.mid, a.rstd2, dResidual);
        attention.backward(s, a.norm1, positions, a.attn, g.attn, dResidual, g.dNorm);
        inputNorm.backward(g.dNorm, x, a.rstd1, dResidual);
    }

    /** One decoding step in place on the cache's residual stream (see {@link CausalLM#decode}). */
    void decode(KvCache c, int layer, int[] positions, int[] start, int[] visible, boolean[] valid) {
        inputNorm.forward(c.x, c.norm, c.rstd);
        attention.decode(c.norm, c.x, positions, start, visible, c.layers[layer], c.attnStep[layer]);
        postAttentionNorm.forward(c.x, c.norm, c.rstd);
        mlp.forward(c.stepShape, c.norm, c.ffnStep[layer], c.x, valid);
    }
}
