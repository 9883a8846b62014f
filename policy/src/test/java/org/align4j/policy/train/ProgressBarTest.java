package org.align4j.policy.train;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.*;

class ProgressBarTest {

    private static final long SEC = 1_000_000_000L;

    private final AtomicLong now = new AtomicLong(1000 * SEC);
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private String text() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static Map<String, Double> values(double loss) {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loss", loss);
        m.put("lr", 2e-5);
        return m;
    }

    @Test
    void showsStepsRateEtaAndValues() {
        ProgressBar bar = new ProgressBar("sft", 0, 100, "tok", out, false, now::get, 10 * SEC);
        now.addAndGet(20 * SEC);
        bar.update(10, 7000, values(1.23456));
        assertEquals("sft 10/100 10% | 350 tok/s | eta 3:00 | loss 1.235 lr 2.00e-05\n", text());
    }

    @Test
    void plainModePrintsALineEveryInterval() {
        ProgressBar bar = new ProgressBar("grpo", 0, 50, "it", out, false, now::get, 10 * SEC);
        for (int step = 1; step <= 30; step++) {
            now.addAndGet(SEC); // one step per second: lines at steps 1, 11, 21
            bar.update(step, step, Map.of("loss", 0.5));
        }
        bar.finish();
        String[] lines = text().split("\n");
        assertEquals(4, lines.length, text());
        assertTrue(lines[0].startsWith("grpo 1/50 2% | 1.00 it/s | eta 0:49"), lines[0]);
        assertTrue(lines[1].startsWith("grpo 11/50"), lines[1]);
        assertTrue(lines[2].startsWith("grpo 21/50"), lines[2]);
        assertTrue(lines[3].startsWith("grpo 30/50"), "finish shows the last state");
        assertFalse(text().contains("\r"));
    }

    @Test
    void terminalModeRewritesOneLine() {
        ProgressBar bar = new ProgressBar("dpo", 40, 100, "it", out, true, now::get, 10 * SEC);
        now.addAndGet(SEC);
        bar.update(50, 10, values(123456.0));
        now.addAndGet(SEC / 50); // too soon to redraw
        bar.update(51, 11, values(1.0));
        now.addAndGet(SEC);
        bar.update(60, 20, values(0.5));
        bar.finish();
        String t = text();
        assertEquals(2, t.chars().filter(c -> c == '\r').count(), "the update 20 ms after a redraw is not shown: " + t);
        assertTrue(t.endsWith("\n") && t.indexOf('\n') == t.length() - 1, "one newline, at the end");
        assertTrue(t.contains("\rdpo 50/100 50% | 10.00 it/s | eta 0:05 | loss 1.23e+05"), t);
        // 20 steps since the resumed start took 2.02 s: 40 more take 4 s (counting from step 0 would say 1 s)
        assertTrue(t.endsWith("\rdpo 60/100 60% | 9.90 it/s | eta 0:04 | loss 0.5000 lr 2.00e-05   \n"), "padded over the longer line: " + t);
    }

    @Test
    void formatsNumbersAndDurations() {
        assertEquals("0.001000", ProgressBar.number(0.001));
        assertEquals("1.00e-04", ProgressBar.number(1e-4));
        assertEquals("NaN", ProgressBar.number(Double.NaN));
        assertEquals("1:01:01", ProgressBar.duration(3661));
        assertEquals("0:59", ProgressBar.duration(59));
    }
}
