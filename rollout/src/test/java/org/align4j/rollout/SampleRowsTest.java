package org.align4j.rollout;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.align4j.policy.ops.Ops;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Ops.sampleRows (what the sampler uses without top-k/top-p) picks exactly what NextTokenSampler picks. */
class SampleRowsTest {
    @ParameterizedTest
    @ValueSource(doubles = {0.0, 0.7, 1.0, 1.5})
    void backendPicksEqualTheHostSampler(double temperature) {
        int rows = 12;
        int vocab = 301;
        Nd4j.getRandom().setSeed(5);
        INDArray logits = Nd4j.randn(DataType.FLOAT, rows, vocab).muli(4);
        float[] host = logits.data().asFloat();
        SamplingParams params = SamplingParams.DEFAULTS.withTemperature(temperature);
        NextTokenSampler chooser = new NextTokenSampler(vocab, params);
        double[] uniforms = new double[rows];
        int[] want = new int[rows];
        double[] wantLp = new double[rows];
        for (int r = 0; r < rows; r++) {
            SplittableRandom a = new SplittableRandom(r);
            want[r] = chooser.next(host, r * vocab, a);
            wantLp[r] = chooser.lastLogProb();
            uniforms[r] = new SplittableRandom(r).nextDouble();
        }
        int[] got = new int[rows];
        double[] gotLp = new double[rows];
        Ops.cpu().sampleRows(logits, rows, params.isGreedy() ? 1.0 : 1.0 / temperature, params.isGreedy(), uniforms,
                got, gotLp);
        for (int r = 0; r < rows; r++) {
            assertEquals(want[r], got[r], "row " + r);
            assertEquals(wantLp[r], gotLp[r], 0.0, "row " + r);
        }
    }
}
