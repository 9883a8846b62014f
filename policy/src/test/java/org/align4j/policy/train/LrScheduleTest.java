package org.align4j.policy.train;

import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class LrScheduleTest {

    private static final double EPS = 1e-15;

    @Test
    void warmupRisesLinearlyFromZero() {
        for (String name : new String[]{"constant", "linear", "cosine", "multi_step"}) {
            LrSchedule s = LrSchedule.of(name, 1e-3, 10, 100);
            assertEquals(0.0, s.lr(0), EPS, name);
            assertEquals(5e-4, s.lr(5), EPS, name);
            assertEquals(9e-4, s.lr(9), EPS, name);
            assertEquals(1e-3, s.lr(10), EPS, name);
        }
    }

    @Test
    void constantStaysAtThePeak() {
        LrSchedule s = LrSchedule.of("constant", 2e-5, 0, 100);
        assertEquals(2e-5, s.lr(0));
        assertEquals(2e-5, s.lr(99));
        assertEquals(2e-5, s.lr(1000));
    }

    @Test
    void linearDecaysToZeroAtTheEnd() {
        LrSchedule s = LrSchedule.of("linear", 1.0, 10, 110);
        assertEquals(1.0, s.lr(10), EPS);
        assertEquals(0.5, s.lr(60), EPS);
        assertEquals(0.01, s.lr(109), EPS);
        assertEquals(0.0, s.lr(110), EPS);
        assertEquals(0.0, s.lr(200), EPS);
    }

    @Test
    void cosineGoesHalfACosineDownToTheMinimum() {
        LrSchedule s = LrSchedule.of("cosine", 1.0, 10, 110);
        assertEquals(1.0, s.lr(10), EPS);
        assertEquals(0.5, s.lr(60), EPS);
        assertEquals(0.5 * (1 + Math.cos(Math.PI * 0.25)), s.lr(35), EPS);
        assertEquals(0.0, s.lr(110), EPS);
        assertEquals(0.0, s.lr(500), EPS, "no rise again after the end");
        LrSchedule withMin = LrSchedule.of("cosine", 1.0, 0, 100, 0.1);
        assertEquals(1.0, withMin.lr(0), EPS);
        assertEquals(0.55, withMin.lr(50), EPS);
        assertEquals(0.1, withMin.lr(100), EPS);
    }

    @Test
    void multiStepDropsAtEightyAndNinetyPercent() {
        LrSchedule s = LrSchedule.of("multi_step", 1.0, 20, 1000);
        assertEquals(1.0, s.lr(20));
        assertEquals(1.0, s.lr(799));
        assertEquals(0.316, s.lr(800));
        assertEquals(0.316, s.lr(899));
        assertEquals(0.1, s.lr(900));
        assertEquals(0.1, s.lr(999));
        LrSchedule small = LrSchedule.of("multi_step", 1.0, 0, 10);
        assertEquals(1.0, small.lr(7));
        assertEquals(0.316, small.lr(8));
        assertEquals(0.1, small.lr(9));
    }

    @Test
    void resolvesWarmupLikeTransformers() {
        assertEquals(7, LrSchedule.warmupSteps(7, 0.5, 100));
        assertEquals(4, LrSchedule.warmupSteps(0, 0.031, 100), "ceil(3.1)");
        assertEquals(0, LrSchedule.warmupSteps(0, 0.0, 100));
    }

    @Test
    void refusesUnknownNamesListingTheKnownOnes() {
        BadInputException e = assertThrows(BadInputException.class, () -> LrSchedule.of("cosin", 1, 0, 10));
        assertEquals("unknown lr_scheduler_type 'cosin' (known: constant, linear, cosine, multi_step)", e.getMessage());
        assertThrows(BadInputException.class, () -> LrSchedule.of("linear", 1, 0, 0));
    }
}
