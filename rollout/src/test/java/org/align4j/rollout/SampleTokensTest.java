package org.align4j.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.align4j.policy.ops.Ops;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The sampler now draws every token with Ops.sampleTokens; NextTokenSampler (kept in the tests) is how it drew them
 * on the host before. Same seed, same tokens and log-probs, except top-p without top-k, where the host sampler
 * measured the nucleus against the mass of its candidate tokens instead of the whole vocabulary (a bug, shown below).
 */
class SampleTokensTest {

    private static int[] drawWithOp(INDArray logits, int rows, SamplingParams params, double[] uniforms, double[] lp) {
        int[] got = new int[rows];
        Ops.cpu().sampleTokens(logits, rows, params.isGreedy() ? 1.0 : 1.0 / params.temperature(), params.isGreedy(),
                params.topK(), params.topP(), uniforms, got, lp);
        return got;
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, 0.7, 1.0, 1.5})
    void theOpPicksWhatTheHostSamplerPicked(double temperature) {
        int rows = 12;
        int vocab = 301;
        Nd4j.getRandom().setSeed(5);
        INDArray logits = Nd4j.randn(DataType.FLOAT, rows, vocab).muli(4);
        float[] host = logits.data().asFloat();
        SamplingParams base = SamplingParams.DEFAULTS.withTemperature(temperature);
        for (SamplingParams params : new SamplingParams[] {base, base.withTopK(1), base.withTopK(20),
                base.withTopK(20).withTopP(0.8), base.withTopK(vocab).withTopP(1.0), base.withTopK(3).withTopP(0.3)}) {
            NextTokenSampler chooser = new NextTokenSampler(vocab, params);
            double[] uniforms = new double[rows];
            int[] want = new int[rows];
            double[] wantLp = new double[rows];
            for (int r = 0; r < rows; r++) {
                want[r] = chooser.next(host, r * vocab, new SplittableRandom(r));
                wantLp[r] = chooser.lastLogProb();
                uniforms[r] = new SplittableRandom(r).nextDouble(); // the generator's first draw, as the host's
            }
            double[] gotLp = new double[rows];
            int[] got = drawWithOp(logits, rows, params, uniforms, gotLp);
            String what = "temperature " + temperature + " top_k " + params.topK() + " top_p " + params.topP();
            assertEquals(Arrays.toString(want), Arrays.toString(got), what);
            assertEquals(Arrays.toString(wantLp), Arrays.toString(gotLp), what);
        }
    }

    /**
     * Token 0 has weight 1, tokens 1..10 weight 0.01 each, 20000 tail tokens 5e-5 each (below the host sampler's
     * first candidate threshold, 1e-4): the whole mass is 2.1. Hugging Face's top_p = 0.51 keeps the most likely
     * tokens until they reach 0.51 * 2.1 = 1.071: token 0 and eight of the 0.01s (1.08). The host sampler took 0.51
     * of its 11 candidates' mass (0.561) and kept token 0 alone.
     */
    @Test
    void topPAloneIsMeasuredAgainstTheWholeVocabularyAsHuggingFaceDoes() {
        int vocab = 1 + 10 + 20000;
        float[] l = new float[vocab];
        Arrays.fill(l, (float) Math.log(5e-5));
        for (int i = 1; i <= 10; i++) {
            l[i] = (float) Math.log(0.01);
        }
        l[0] = 0f;
        INDArray logits = Nd4j.createFromArray(new float[][] {l});
        SamplingParams params = SamplingParams.DEFAULTS.withTopP(0.51);
        NextTokenSampler old = new NextTokenSampler(vocab, params);
        Set<Integer> now = new TreeSet<>();
        Set<Integer> before = new TreeSet<>();
        for (int i = 0; i < 1000; i++) {
            double u = (i + 0.5) / 1000;
            now.add(drawWithOp(logits, 1, params, new double[] {u}, new double[1])[0]);
            before.add(old.next(l, 0, new FixedUniform(u)));
        }
        assertEquals(Set.of(0, 1, 2, 3, 4, 5, 6, 7, 8), now);
        assertEquals(Set.of(0), before);
    }

    /** A generator whose nextDouble is always u (the host sampler draws once per token). */
    private record FixedUniform(double u) implements java.util.random.RandomGenerator {
        @Override
        public double nextDouble() {
            return u;
        }

        @Override
        public long nextLong() {
            throw new UnsupportedOperationException("the host sampler draws doubles only");
        }
    }
}
