package org.align4j.reward.model.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Small synthetic reward-model tasks over the test tokenizer's alphabet (digits, + = #, space, newline). */
final class SyntheticRewardData {
    private static final ObjectMapper JSON = new ObjectMapper();

    private SyntheticRewardData() {
    }

    private static String digits(Random r, int n, double smallShare) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append(r.nextDouble() < smallShare ? r.nextInt(5) : 5 + r.nextInt(5));
        }
        return sb.toString();
    }

    private static String prompt(Random r) {
        return r.nextInt(10) + "+" + r.nextInt(10) + "=";
    }

    /** Preferences: the chosen completion is mostly small digits, the rejected one mostly large. */
    static Path preferences(Path file, int rows, long seed) throws IOException {
        Random r = new Random(seed);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < rows; i++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("prompt", prompt(r));
            row.put("chosen", digits(r, 5, 0.8));
            row.put("rejected", digits(r, 5, 0.2));
            sb.append(JSON.writeValueAsString(row)).append('\n');
        }
        Files.writeString(file, sb.toString());
        return file;
    }

    /** Outcome labels: 1 when the completion ends in a line "#### d", else 0. */
    static Path outcomes(Path file, int rows, long seed) throws IOException {
        Random r = new Random(seed);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < rows; i++) {
            boolean good = r.nextBoolean();
            String body = digits(r, 3, 0.5);
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("prompt", prompt(r));
            row.put("completion", body + "\n" + (good ? "#### " : "") + r.nextInt(10));
            row.put("label", good ? 1 : 0);
            sb.append(JSON.writeValueAsString(row)).append('\n');
        }
        Files.writeString(file, sb.toString());
        return file;
    }

    /**
     * Step labels with Math-Shepherd's prefix semantics: lines of 3 digits, a line holding a 9 is a mistake,
     * and a step is correct only when neither it nor any earlier step holds one.
     */
    static Path steps(Path file, int rows, long seed) throws IOException {
        Random r = new Random(seed);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < rows; i++) {
            int n = 2 + r.nextInt(3);
            StringBuilder completion = new StringBuilder();
            int[] labels = new int[n];
            boolean ok = true;
            for (int k = 0; k < n; k++) {
                StringBuilder line = new StringBuilder();
                for (int j = 0; j < 3; j++) {
                    line.append(r.nextDouble() < 0.1 ? 9 : r.nextInt(9));
                }
                ok &= line.indexOf("9") < 0;
                labels[k] = ok ? 1 : 0;
                completion.append(k > 0 ? "\n" : "").append(line);
            }
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("prompt", prompt(r));
            row.put("completion", completion.toString());
            row.put("step_labels", labels);
            sb.append(JSON.writeValueAsString(row)).append('\n');
        }
        Files.writeString(file, sb.toString());
        return file;
    }

    static List<String> lines(Path file) throws IOException {
        return Files.readAllLines(file);
    }
}
