package org.align4j.reward.model.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class RewardMetricsTest {

    @Test
    void aucCountsPositivesAboveNegativesWithHalfCreditForTies() {
        // 3 of the 4 (positive, negative) pairs are ordered right
        assertEquals(0.75, RewardMetrics.auc(new double[] {0.1, 0.4, 0.35, 0.8}, new boolean[] {false, false, true, true}),
                1e-12);
        assertEquals(0.5, RewardMetrics.auc(new double[] {1, 1, 1, 1}, new boolean[] {true, false, true, false}), 1e-12);
        assertEquals(1.0, RewardMetrics.auc(new double[] {-2, 3, 5}, new boolean[] {false, true, true}), 1e-12);
        assertEquals(0.0, RewardMetrics.auc(new double[] {-2, 3, 5}, new boolean[] {true, false, false}), 1e-12);
        assertTrue(Double.isNaN(RewardMetrics.auc(new double[] {1, 2}, new boolean[] {true, true})));
    }

    @Test
    void lossAndAccuracyAreMeansOverTerms() {
        RewardMetrics m = new RewardMetrics();
        m.addTerm(1.0, true);
        m.addTerm(3.0, false);
        m.addTerm(2.0, true);
        assertEquals(3, m.terms());
        assertEquals(2.0, m.loss(), 1e-12);
        assertEquals(2.0 / 3, m.accuracy(), 1e-12);
        assertTrue(Double.isNaN(new RewardMetrics().loss()));
    }
}
