package org.align4j.examples.eval;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.align4j.policy.io.JsonlReader;
import org.align4j.policy.util.BadInputException;

/**
 * One held-out problem: its id, the prompt text the model continues, and the reference answer (as text:
 * JSON numbers are kept in their written form, which {@link AnswerMatch} compares as exact values).
 */
public record EvalProblem(String id, String prompt, String answer) {

    /**
     * Reads rows {@code {"prompt": ..., "answer": ...}} (other keys ignored, {@code id} kept when present);
     * at most limit rows (0: all). Errors name the file, the line and the key.
     */
    public static List<EvalProblem> read(Path file, int limit) {
        List<EvalProblem> out = new ArrayList<>();
        try (JsonlReader<Map<String, Object>> r = JsonlReader.open(file, "prompt", "answer")) {
            while (r.hasNext() && (limit <= 0 || out.size() < limit)) {
                Map<String, Object> row = r.next();
                String where = file + ":" + r.lineNumber();
                if (!(row.get("prompt") instanceof String p) || p.isEmpty()) {
                    throw new BadInputException(where + ": key 'prompt' must be a non-empty string");
                }
                Object a = row.get("answer");
                if (!(a instanceof String || a instanceof Number) || a.toString().isBlank()) {
                    throw new BadInputException(where + ": key 'answer' must be a non-empty string or a number");
                }
                Object id = row.getOrDefault("id", file.getFileName() + ":" + r.lineNumber());
                out.add(new EvalProblem(String.valueOf(id), p, a.toString()));
            }
        }
        if (out.isEmpty()) {
            throw new BadInputException(file + ": no problems");
        }
        return out;
    }
}
