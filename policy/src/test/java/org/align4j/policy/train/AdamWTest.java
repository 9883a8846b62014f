package org.align4j.policy.train;

import org.align4j.policy.model.Parameter;
import org.align4j.policy.ops.Ops;
import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class AdamWTest {

    @TempDir
    Path tmp;

    private static Parameter param(String name, double[] values, long... shape) {
        INDArray v = Nd4j.create(values, shape, 'c');
        return new Parameter(name, v, Nd4j.zeros(DataType.DOUBLE, shape));
    }

    private static List<Parameter> params() {
        return List.of(param("w", new double[]{1.0, -2.0, 0.5, 3.0}, 2, 2), param("norm.weight", new double[]{1.0, 1.5}, 2));
    }

    private static void setGrads(List<Parameter> ps, int step) {
        for (Parameter p : ps) {
            for (int i = 0; i < p.size(); i++) {
                p.grad().putScalar(i, Math.sin(1 + i + 3 * step) * (p.name().equals("w") ? 2 : 0.5));
            }
        }
    }

    @Test
    void matchesAScalarReferenceWithDecayOnlyOnMatrices() {
        List<Parameter> ps = params();
        AdamW opt = new AdamW(ps);
        assertEquals(0.1, opt.weightDecayOf(0));
        assertEquals(0.0, opt.weightDecayOf(1), "1-D parameters are exempt by default");
        // reference: the update written out for each element, in plain doubles
        double[][] p = {{1.0, -2.0, 0.5, 3.0}, {1.0, 1.5}};
        double[][] m = {new double[4], new double[2]};
        double[][] v = {new double[4], new double[2]};
        double[] lrs = {1e-2, 5e-3, 2e-2};
        for (int t = 1; t <= lrs.length; t++) {
            setGrads(ps, t);
            opt.step(lrs[t - 1]);
            for (int k = 0; k < 2; k++) {
                double wd = k == 0 ? 0.1 : 0.0;
                for (int i = 0; i < p[k].length; i++) {
                    double g = ps.get(k).grad().getDouble(i);
                    m[k][i] = 0.9 * m[k][i] + 0.1 * g;
                    v[k][i] = 0.95 * v[k][i] + 0.05 * g * g;
                    double mh = m[k][i] / (1 - Math.pow(0.9, t));
                    double vh = v[k][i] / (1 - Math.pow(0.95, t));
                    p[k][i] = p[k][i] * (1 - lrs[t - 1] * wd) - lrs[t - 1] * mh / (Math.sqrt(vh) + 1e-8);
                }
            }
        }
        assertEquals(3, opt.stepCount());
        for (int k = 0; k < 2; k++) {
            for (int i = 0; i < p[k].length; i++) {
                assertEquals(p[k][i], ps.get(k).value().getDouble(i), 1e-12);
            }
        }
        AdamW all = new AdamW(params(), AdamW.Options.defaults().withDecayOneDimensional(true), Ops.cpu());
        assertEquals(0.1, all.weightDecayOf(1));
    }

    @Test
    void savedStateResumesExactly() throws Exception {
        List<Parameter> a = params();
        AdamW optA = new AdamW(a);
        for (int t = 1; t <= 3; t++) {
            setGrads(a, t);
            optA.step(1e-2);
        }
        optA.save(tmp);
        assertTrue(Files.exists(tmp.resolve("optimizer.safetensors")));
        assertTrue(Files.readString(tmp.resolve("optimizer.json")).contains("\"step\" : 3"));

        List<Parameter> b = params();
        for (int k = 0; k < 2; k++) {
            b.get(k).value().assign(a.get(k).value());
        }
        AdamW optB = new AdamW(b);
        optB.load(tmp);
        assertEquals(3, optB.stepCount());
        for (int t = 4; t <= 5; t++) {
            setGrads(a, t);
            setGrads(b, t);
            optA.step(1e-2);
            optB.step(1e-2);
        }
        for (int k = 0; k < 2; k++) {
            assertEquals(a.get(k).value(), b.get(k).value());
        }
    }

    @Test
    void refusesStateOfOtherParameters() {
        new AdamW(params()).save(tmp);
        List<Parameter> other = List.of(param("v", new double[]{1, 2, 3, 4}, 2, 2), param("norm.weight", new double[]{1, 1}, 2));
        BadInputException e = assertThrows(BadInputException.class, () -> new AdamW(other).load(tmp));
        assertEquals(tmp.resolve("optimizer.safetensors") + ": missing tensor 'v.exp_avg'", e.getMessage());
    }

    /** ZeRO-1 on two ranks: each keeps and saves its share; one optimizer, or others split otherwise, resume from the shards. */
    @Test
    void shardedStateResumesOnOneRankOrTheSameShares() throws Exception {
        List<Parameter> whole = params();
        AdamW one = new AdamW(whole);
        List<Parameter> shared = params();
        AdamW rank0 = new AdamW(shared, AdamW.Options.defaults(), Ops.cpu(), new boolean[] {true, false});
        AdamW rank1 = new AdamW(shared, AdamW.Options.defaults(), Ops.cpu(), new boolean[] {false, true});
        for (int t = 1; t <= 3; t++) {
            setGrads(whole, t);
            setGrads(shared, t);
            one.step(1e-2);
            rank0.step(1e-2);
            rank1.step(1e-2);
        }
        assertThrows(IllegalStateException.class, () -> rank0.save(tmp), "a share is not the whole state");
        rank0.saveShard(tmp, 0, 2);
        rank1.saveShard(tmp, 1, 2);
        rank0.saveShardedMeta(tmp, 2);
        assertTrue(Files.exists(tmp.resolve("optimizer-rank-00000-of-00002.safetensors")));
        assertTrue(Files.exists(tmp.resolve("optimizer-rank-00001-of-00002.safetensors")));
        assertFalse(Files.exists(tmp.resolve("optimizer.safetensors")));

        AdamW all = new AdamW(params());
        all.load(tmp); // every share, from both files
        AdamW second = new AdamW(params(), AdamW.Options.defaults(), Ops.cpu(), new boolean[] {false, true});
        second.load(tmp); // rank 1's share, from its file
        assertEquals(3, all.stepCount());
        for (int k = 0; k < 2; k++) {
            assertEquals(one.state(k)[0], all.state(k)[0]);
            assertEquals(one.state(k)[1], all.state(k)[1]);
        }
        assertNull(second.state(0));
        assertEquals(one.state(1)[1], second.state(1)[1]);

        Files.delete(tmp.resolve("optimizer-rank-00001-of-00002.safetensors"));
        BadInputException e = assertThrows(BadInputException.class, () -> new AdamW(params()).load(tmp));
        assertTrue(e.getMessage().startsWith(tmp.resolve("optimizer-rank-00001-of-00002.safetensors") + ": missing"),
                e.getMessage());
    }
}
