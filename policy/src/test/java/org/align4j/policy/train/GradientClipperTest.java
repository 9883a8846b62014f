package org.align4j.policy.train;

import org.align4j.policy.model.Parameter;
import org.align4j.policy.ops.Ops;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class GradientClipperTest {

    private static Parameter withGrad(float... g) {
        return new Parameter("p", Nd4j.zeros(DataType.FLOAT, g.length), Nd4j.create(g, new long[]{g.length}, 'c'));
    }

    @Test
    void scalesToTheMaxNormAndReturnsThePreClipNorm() {
        List<Parameter> ps = List.of(withGrad(3, 0), withGrad(0, 4)); // global norm 5
        double norm = new GradientClipper().clip(ps);
        assertEquals(5.0, norm, 1e-12);
        assertEquals(0.6, ps.get(0).grad().getDouble(0), 1e-6);
        assertEquals(0.8, ps.get(1).grad().getDouble(1), 1e-6);
        assertEquals(1.0, GradientClipper.globalNorm(ps, Ops.cpu()), 1e-6);
    }

    @Test
    void leavesSmallGradientsAlone() {
        List<Parameter> ps = List.of(withGrad(0.3f, 0.4f));
        assertEquals(0.5, new GradientClipper(1.0, Ops.cpu()).clip(ps), 1e-7);
        assertEquals(0.3f, ps.get(0).grad().getFloat(0));
        assertEquals(50.0, new GradientClipper(0, Ops.cpu()).clip(List.of(withGrad(30, 40))), 1e-9, "0 disables clipping");
    }

    @Test
    void reportsANonFiniteNormWithoutTouchingGradients() {
        List<Parameter> ps = List.of(withGrad(1, Float.NaN), withGrad(2, 2));
        assertTrue(Double.isNaN(new GradientClipper().clip(ps)));
        assertEquals(2f, ps.get(1).grad().getFloat(0));
        assertEquals(Double.POSITIVE_INFINITY, new GradientClipper().clip(List.of(withGrad(Float.POSITIVE_INFINITY))));
    }
}
