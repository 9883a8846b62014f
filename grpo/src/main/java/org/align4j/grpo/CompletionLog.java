package org.align4j.grpo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * TRL's {@code log_completions}: at each logging step, the latest step's prompts, completions, per-function rewards
 * and advantages are appended to {@code completions.jsonl} in the run directory (one JSON object per completion,
 * with its step), and one of them is printed to the log.
 */
final class CompletionLog {
    static final String FILE = "completions.jsonl";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final PrintStream log;
    private List<Map<String, Object>> latest = List.of();

    CompletionLog(Path runDir, PrintStream log) {
        this.file = runDir.resolve(FILE);
        this.log = log;
    }

    /** Keeps the rows of a step's scored completions (replacing the previous step's). */
    void record(ScoredGroups s) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < s.completions.size(); i++) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("prompt", s.promptTexts.get(i));
            String text = s.completions.get(i).text();
            row.put("completion", text == null ? "" : text);
            Map<String, Object> perFunction = new LinkedHashMap<>();
            for (int f = 0; f < s.functionNames.size(); f++) {
                perFunction.put(s.functionNames.get(f), s.functionValues.get(f)[i]);
            }
            row.put("rewards", perFunction);
            row.put("reward", Double.isNaN(s.rewards[i]) ? null : s.rewards[i]);
            if (s.stepRewards[i] != null && s.stepRewards[i].length > 1) {
                row.put("step_rewards", s.stepRewards[i]);
            }
            row.put("advantage", s.advantages[i].length == 0 ? 0.0 : s.advantages[i][0]);
            rows.add(row);
        }
        latest = rows;
    }

    /** Appends the latest step's rows as step {@code step} and prints its first completion. */
    void write(long step) {
        if (latest.isEmpty()) {
            return;
        }
        StringBuilder sb = new StringBuilder();
        try {
            for (Map<String, Object> row : latest) {
                Map<String, Object> withStep = new LinkedHashMap<>();
                withStep.put("step", step);
                withStep.putAll(row);
                sb.append(JSON.writeValueAsString(withStep)).append('\n');
            }
            Files.writeString(file, sb.toString(), StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": " + e.getMessage(), e);
        }
        Map<String, Object> first = latest.get(0);
        log.printf("grpo: step %d sample: %s -> %s (reward %s, advantage %.4f)%n", step, oneLine(first.get("prompt")),
                oneLine(first.get("completion")), first.get("reward"), (Double) first.get("advantage"));
        latest = List.of();
    }

    private static String oneLine(Object text) {
        String s = String.valueOf(text).replace("\n", "\\n");
        return s.length() > 200 ? s.substring(0, 200) + "..." : s;
    }
}
