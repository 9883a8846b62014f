package org.align4j.examples.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalProblemTest {

    @TempDir
    Path dir;

    @Test
    void readsPromptAndAnswerWithNumbersAsWritten() throws Exception {
        Path f = Files.writeString(dir.resolve("t.jsonl"), """
                {"id": "a", "prompt": "2+3?", "answer": "5", "completion": "ignored"}

                {"prompt": "half of 5?", "answer": 2.5}
                """);
        List<EvalProblem> p = EvalProblem.read(f, 0);
        assertEquals(List.of(new EvalProblem("a", "2+3?", "5"), new EvalProblem("t.jsonl:3", "half of 5?", "2.5")), p);
        assertEquals(1, EvalProblem.read(f, 1).size());
    }

    @Test
    void badRowsNameFileLineAndKey() throws Exception {
        Path missing = Files.writeString(dir.resolve("m.jsonl"), "{\"prompt\": \"x\", \"answer\": \"1\"}\n{\"prompt\": \"y\"}\n");
        BadInputException e = assertThrows(BadInputException.class, () -> EvalProblem.read(missing, 0));
        assertTrue(e.getMessage().contains("m.jsonl:2") && e.getMessage().contains("answer"), e.getMessage());

        Path wrongType = Files.writeString(dir.resolve("w.jsonl"), "{\"prompt\": \"x\", \"answer\": [1]}\n");
        e = assertThrows(BadInputException.class, () -> EvalProblem.read(wrongType, 0));
        assertTrue(e.getMessage().contains("w.jsonl:1") && e.getMessage().contains("'answer'"), e.getMessage());

        Path empty = Files.writeString(dir.resolve("e.jsonl"), "\n");
        assertThrows(BadInputException.class, () -> EvalProblem.read(empty, 0));
    }
}
