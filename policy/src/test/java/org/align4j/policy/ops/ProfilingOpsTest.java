package org.align4j.policy.ops;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ProfilingOpsTest {

    @Test
    void passesCallsToTheBackendAndCountsThemPerOperation() {
        ProfilingOps ops = new ProfilingOps(Ops.cpu());
        INDArray a = Nd4j.createFromArray(new double[][] {{1, 2}, {3, 4}});
        INDArray b = Nd4j.createFromArray(new double[][] {{5, 6}, {7, 8}});
        INDArray c = Nd4j.zeros(DataType.DOUBLE, 2, 2);
        ops.gemm(a, b, c, false, false, 1, 0);
        assertArrayEquals(new double[] {19, 22, 43, 50}, c.ravel().toDoubleVector(), 1e-12);
        ops.scale(c, 2);
        ops.scale(c, 0.5);
        assertEquals(19 * 19 + 22 * 22 + 43 * 43 + 50 * 50, ops.sumSquares(c), 1e-9);

        Map<String, double[]> report = ops.report();
        assertEquals(List.of("gemm", "scale", "sumSquares"), report.keySet().stream().sorted().toList());
        assertEquals(1, report.get("gemm")[1]);
        assertEquals(2, report.get("scale")[1]);
        assertEquals(1, report.get("sumSquares")[1]);
        assertTrue(report.values().stream().allMatch(v -> v[0] >= 0));
        ops.reset();
        assertTrue(ops.report().isEmpty());
    }

    /** A GPU backend queues work: the profile has it wait after each op, so that each op's time is its own. */
    @Test
    void asksTheBackendToWaitAfterEachOp() {
        Ops cpu = Ops.cpu();
        List<String> calls = new ArrayList<>();
        Ops recording = (Ops) Proxy.newProxyInstance(Ops.class.getClassLoader(), new Class<?>[] {Ops.class},
                (proxy, method, args) -> {
                    calls.add(method.getName() + (args == null ? "" : List.of(args).toString()));
                    try {
                        return method.invoke(cpu, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        ProfilingOps ops = new ProfilingOps(recording);
        assertEquals(List.of("waitAfterEachOp[true]"), calls);
        ops.scale(Nd4j.ones(DataType.DOUBLE, 3), 2);
        assertEquals("scale", calls.get(1).substring(0, 5));
    }
}
