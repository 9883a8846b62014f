package org.align4j.policy.train;

import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

class MetricsPlotterTest {

    @TempDir
    Path tmp;

    private Path metrics() throws Exception {
        Path dir = tmp.resolve("run");
        try (RunDirectory run = RunDirectory.create(dir)) {
            for (int step = 1; step <= 40; step++) {
                if (step % 10 == 0) {
                    run.logMetrics(step, Map.of("loss", 3.0 * Math.exp(-step / 12.0), "reward/accuracy", step / 50.0,
                            "grad_norm", step == 30 ? Double.NaN : 1.0 / step));
                } else {
                    run.logMetrics(step, Map.of("loss", 3.0 * Math.exp(-step / 12.0) + 0.05 * Math.sin(step), "grad_norm", 1.0 / step));
                }
            }
        }
        return dir.resolve(RunDirectory.METRICS);
    }

    private static int colors(BufferedImage img) {
        Set<Integer> c = new HashSet<>();
        for (int y = 0; y < img.getHeight(); y += 2) {
            for (int x = 0; x < img.getWidth(); x += 2) {
                c.add(img.getRGB(x, y));
            }
        }
        return c.size();
    }

    @Test
    void readsSeriesSkippingMissingAndNonFiniteValues() throws Exception {
        Map<String, MetricsPlotter.Series> s = MetricsPlotter.read(metrics());
        assertEquals(Set.of("loss", "grad_norm", "reward/accuracy"), s.keySet());
        assertEquals(40, s.get("loss").size());
        assertEquals(4, s.get("reward/accuracy").size());
        assertEquals(39, s.get("grad_norm").size(), "the NaN at step 30 is skipped");
        assertEquals(20.0, s.get("reward/accuracy").steps()[1]);
    }

    @Test
    void writesOnePngPerMetric() throws Exception {
        Path metrics = metrics();
        List<Path> files = MetricsPlotter.plotEach(metrics, tmp.resolve("plots"), List.of("loss", "reward/accuracy"));
        assertEquals(List.of(tmp.resolve("plots/loss.png"), tmp.resolve("plots/reward_accuracy.png")), files);
        for (Path f : files) {
            BufferedImage img = ImageIO.read(f.toFile());
            assertEquals(MetricsPlotter.WIDTH, img.getWidth());
            assertEquals(MetricsPlotter.HEIGHT, img.getHeight());
            assertTrue(colors(img) > 10, "a drawing, not a blank image");
            // the plot line colour appears inside the plot area
            int blue = 0;
            for (int y = 40; y < 450; y++) {
                for (int x = 75; x < 775; x++) {
                    if (img.getRGB(x, y) == 0xFF1F77B4) {
                        blue++;
                    }
                }
            }
            assertTrue(blue > 100, "line pixels: " + blue);
        }
        assertEquals(3, MetricsPlotter.plotEach(metrics, tmp.resolve("all"), List.of()).size());
    }

    @Test
    void writesAGrid() throws Exception {
        Path png = MetricsPlotter.plotGrid(metrics(), tmp.resolve("grid.png"), List.of());
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(2 * MetricsPlotter.CELL_WIDTH, img.getWidth());
        assertEquals(2 * MetricsPlotter.CELL_HEIGHT, img.getHeight());
        assertTrue(colors(img) > 10);
        try (var s = Files.list(tmp)) {
            assertEquals(1, s.filter(p -> p.getFileName().toString().endsWith(".png")).count());
        }
    }

    @Test
    void namesAnUnknownMetric() throws Exception {
        Path m = metrics();
        BadInputException e = assertThrows(BadInputException.class, () -> MetricsPlotter.plotEach(m, tmp, List.of("los")));
        String has = String.join(", ", MetricsPlotter.read(m).keySet());
        assertEquals(m + ": no values for metric 'los' (has: " + has + ")", e.getMessage());
    }

    @Test
    void choosesNiceTicks() {
        assertArrayEquals(new double[]{0, 10, 20, 30, 40}, MetricsPlotter.ticks(1, 40), 1e-12);
        assertArrayEquals(new double[]{0.0, 0.2, 0.4, 0.6, 0.8}, MetricsPlotter.ticks(0.02, 0.8), 1e-12);
        assertEquals("0.20", MetricsPlotter.label(0.2, 0.05));
        assertEquals("30", MetricsPlotter.label(30, 10));
    }
}
