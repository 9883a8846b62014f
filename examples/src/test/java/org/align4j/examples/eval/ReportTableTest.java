package org.align4j.examples.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ReportTableTest {

    @Test
    void rendersPercentagesAndTheChangeInPoints() {
        String t = ReportTable.render(List.of(
                new ReportTable.Row("before", new EvalReport(0.25, 0.3, 0.625, 8, 200)),
                new ReportTable.Row("after", new EvalReport(0.305, 0.35, 0.6, 8, 200))));
        assertEquals("""
                                 Pass@1 (greedy)  Maj@8  Pass@8  problems
                before                     25.0%  30.0%   62.5%       200
                after                      30.5%  35.0%   60.0%       200
                change (points)             +5.5   +5.0    -2.5
                """, t);
    }
}
