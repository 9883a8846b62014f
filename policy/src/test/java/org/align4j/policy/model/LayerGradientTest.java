package org.align4j.policy.model;

import java.util.function.DoubleSupplier;
import org.align4j.policy.ops.Ops;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One float64 finite-difference check per layer: loss = sum(coef * output), gradients with respect to the
 * layer's input and to each of its parameters.
 */
class LayerGradientTest {
    private final Ops ops = Ops.cpu();
    private final DataType f64 = DataType.DOUBLE;

    @BeforeEach
    void seed() {
        Nd4j.getRandom().setSeed(17);
    }

    private INDArray randn(long... shape) {
        return Nd4j.randn(f64, shape);
    }

    private Parameter param(String name, long... shape) {
        return new Parameter(name, randn(shape), Nd4j.zeros(f64, shape));
    }

    private static double dot(INDArray a, INDArray b) {
        return a.mul(b).sumNumber().doubleValue();
    }

    @Test
    void linearWithBias() {
        Linear lin = new Linear(ops, param("w", 5, 4), param("b", 5));
        INDArray x = randn(3, 4);
        INDArray coef = randn(3, 5);
        INDArray y = Nd4j.zeros(f64, 3, 5);
        INDArray dx = Nd4j.zeros(f64, 3, 4);
        lin.backward(x, coef, dx, false);
        DoubleSupplier loss = () -> {
            lin.forward(x, y, false);
            return dot(y, coef);
        };
        GradCheck.check("x", x, dx, loss, 12, 1, 1e-5);
        GradCheck.check("w", lin.weight.value(), lin.weight.grad(), loss, 20, 2, 1e-5);
        GradCheck.check("b", lin.bias.value(), lin.bias.grad(), loss, 5, 3, 1e-5);
    }

    @Test
    void rmsNorm() {
        RmsNorm norm = new RmsNorm(ops, param("g", 6), 1e-5);
        INDArray x = randn(4, 6);
        INDArray coef = randn(4, 6);
        INDArray out = Nd4j.zeros(f64, 4, 6);
        INDArray rstd = Nd4j.zeros(f64, 4);
        INDArray dx = Nd4j.zeros(f64, 4, 6);
        norm.forward(x, out, rstd);
        norm.backward(coef, x, rstd, dx);
        DoubleSupplier loss = () -> {
            norm.forward(x, out, rstd);
            return dot(out, coef);
        };
        GradCheck.check("x", x, dx, loss, 24, 4, 1e-5);
        GradCheck.check("g", norm.weight.value(), norm.weight.grad(), loss, 6, 5, 1e-5);
    }

    @Test
    void swiGluMlp() {
        ModelConfig c = CausalLMGradientTest.tiny(ModelConfig.LLAMA, false);
        Shape s = new Shape(2, 3, f64);
        SwiGluMlp mlp = new SwiGluMlp(ops, new Linear(ops, param("g", 12, 8), null),
                new Linear(ops, param("u", 12, 8), null), new Linear(ops, param("d", 8, 12), null));
        SwiGluMlp.Acts acts = new SwiGluMlp.Acts(s, c.intermediateSize);
        SwiGluMlp.Grads grads = new SwiGluMlp.Grads(s, c.intermediateSize);
        INDArray x = randn(6, 8);
        INDArray coef = randn(6, 8);
        INDArray out = Nd4j.zeros(f64, 6, 8);
        INDArray dx = Nd4j.zeros(f64, 6, 8);
        mlp.forward(x, acts, out);
        mlp.backward(x, acts, grads, coef, dx);
        DoubleSupplier loss = () -> {
            ops.zero(out);
            mlp.forward(x, acts, out);
            return dot(out, coef);
        };
        GradCheck.check("x", x, dx, loss, 20, 6, 1e-5);
        GradCheck.check("gate", mlp.gate.weight.value(), mlp.gate.weight.grad(), loss, 20, 7, 1e-5);
        GradCheck.check("up", mlp.up.weight.value(), mlp.up.weight.grad(), loss, 20, 8, 1e-5);
        GradCheck.check("down", mlp.down.weight.value(), mlp.down.weight.grad(), loss, 20, 9, 1e-5);
    }

    @Test
    void groupedQueryAttentionWithRope() {
        ModelConfig c = CausalLMGradientTest.tiny(ModelConfig.QWEN2, false); // 4 heads, 2 kv heads, head dim 4
        Shape s = new Shape(2, 5, f64);
        RotaryEmbedding rope = new RotaryEmbedding(c);
        Attention attn = new Attention(ops, c, rope, new Linear(ops, param("q", 16, 8), param("qb", 16)),
                new Linear(ops, param("k", 8, 8), param("kb", 8)), new Linear(ops, param("v", 8, 8), param("vb", 8)),
                new Linear(ops, param("o", 8, 16), null));
        Attention.Acts acts = new Attention.Acts(s, c);
        Attention.Grads grads = new Attention.Grads(s, c);
        int[] positions = new int[s.rows];
        for (int i = 0; i < s.rows; i++) {
            positions[i] = i % s.seq;
        }
        INDArray x = randn(s.rows, 8);
        INDArray coef = randn(s.rows, 8);
        INDArray out = Nd4j.zeros(f64, s.rows, 8);
        INDArray dx = Nd4j.zeros(f64, s.rows, 8);
        attn.forward(s, x, positions, acts, out, null, null);
        attn.backward(s, x, positions, acts, grads, coef, dx);
        DoubleSupplier loss = () -> {
            ops.zero(out);
            attn.forward(s, x, positions, acts, out, null, null);
            return dot(out, coef);
        };
        GradCheck.check("x", x, dx, loss, 30, 10, 1e-5);
        for (Linear l : new Linear[] {attn.q, attn.k, attn.v, attn.o}) {
            GradCheck.check(l.weight.name(), l.weight.value(), l.weight.grad(), loss, 15, 11, 1e-5);
            if (l.bias != null) {
                GradCheck.check(l.bias.name(), l.bias.value(), l.bias.grad(), loss, 8, 12, 1e-5);
            }
        }
    }

    @Test
    void logProbHeadAndEmbedding() {
        int[] targets = {3, -1, 0, 6};
        int[] ids = {1, 4, 4, 0};
        INDArray table = randn(7, 5);
        INDArray x = Nd4j.zeros(f64, 4, 5);
        INDArray logits = Nd4j.zeros(f64, 4, 7);
        INDArray lp = Nd4j.zeros(f64, 4);
        INDArray ent = Nd4j.zeros(f64, 4);
        INDArray w = randn(7, 5);
        INDArray coef = randn(4);
        DoubleSupplier loss = () -> {
            ops.embeddingForward(ids, table, x);
            ops.gemm(x, w, logits, false, true, 1, 0);
            ops.logProbsAndEntropy(logits, targets, lp, ent);
            return dot(lp, coef);
        };
        loss.getAsDouble();
        ops.logProbsBackward(logits, targets, coef);
        INDArray dw = Nd4j.zeros(f64, 7, 5);
        INDArray dx = Nd4j.zeros(f64, 4, 5);
        ops.gemm(logits, x, dw, true, false, 1, 0);
        ops.gemm(logits, w, dx, false, false, 1, 0);
        INDArray dTable = Nd4j.zeros(f64, 7, 5);
        ops.embeddingBackward(ids, dx, dTable);
        GradCheck.check("head", w, dw, loss, 35, 13, 1e-5);
        GradCheck.check("embedding", table, dTable, loss, 35, 14, 1e-5);
    }
}
