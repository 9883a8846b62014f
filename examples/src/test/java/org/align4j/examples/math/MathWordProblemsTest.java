package org.align4j.examples.math;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.align4j.examples.io.Jsonl;
import org.align4j.policy.util.BadInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class MathWordProblemsTest {

    @Test
    void sameSeedSameProblemsOtherSeedOtherProblems() {
        List<MathProblem> a = MathWordProblems.generate(200, Difficulty.MEDIUM, 7);
        List<MathProblem> b = MathWordProblems.generate(200, Difficulty.MEDIUM, 7);
        List<MathProblem> c = MathWordProblems.generate(200, Difficulty.MEDIUM, 8);
        assertEquals(a.stream().map(Jsonl::line).toList(), b.stream().map(Jsonl::line).toList());
        assertNotEquals(a.stream().map(MathProblem::prompt).toList(), c.stream().map(MathProblem::prompt).toList());
    }

    @ParameterizedTest
    @EnumSource(Difficulty.class)
    void everyClaimIsTrueAndTheAnswerIsTheLastResult(Difficulty d) {
        List<MathProblem> problems = MathWordProblems.generate(1000, d, 3);
        assertEquals(1000, problems.size());
        assertEquals(1000, problems.stream().map(MathProblem::prompt).distinct().count(), "prompts are distinct");
        for (MathProblem p : problems) {
            List<Claims.Claim> claims = Claims.of(p.completion());
            assertEquals(p.steps(), claims.size(), p.completion());
            assertTrue(p.steps() >= d.minSteps() && p.steps() <= d.maxSteps(), p.id());
            for (Claims.Claim c : claims) {
                assertTrue(c.holds(), "false claim " + c + " in " + p.completion());
                assertTrue(c.c() >= 0 && c.c() <= d.maxValue(), p.completion());
            }
            assertEquals("#### " + p.answer(), Claims.lastLine(p.completion()));
            assertEquals(Long.toString(claims.get(claims.size() - 1).c()), p.answer());
            assertEquals(p.answer(), Claims.finalAnswer(p.completion()));
            assertTrue(p.prompt().split(" ").length <= ProblemWriter.MAX_WORDS, p.prompt());
            assertFalse(p.prompt().contains("{") || p.completion().contains("{"), p.prompt());
        }
    }

    @Test
    void everyFamilyAndEveryStepCountOccurs() {
        List<MathProblem> all = new java.util.ArrayList<>();
        for (Difficulty d : Difficulty.values()) {
            all.addAll(MathWordProblems.generate(700, d, 11));
        }
        Map<Integer, Long> bySteps = all.stream().collect(Collectors.groupingBy(MathProblem::steps, Collectors.counting()));
        assertEquals(Set.of(1, 2, 3, 4), bySteps.keySet());
        // each family has a phrase no other family uses
        for (String mark : List.of(" boxes of ", " dollars each.", " equally among ", " years old.", " km each hour ",
                " each week ", "A school has ")) {
            assertTrue(all.stream().anyMatch(p -> p.prompt().contains(mark)), mark);
        }
    }

    @Test
    void easyNumbersAreMostlyBelowAHundred() {
        List<MathProblem> easy = MathWordProblems.generate(1000, Difficulty.EASY, 5);
        long small = easy.stream().filter(p -> Long.parseLong(p.answer()) < 100).count();
        assertTrue(small > 900, small + " of 1000 easy answers below 100");
        for (MathProblem p : easy) {
            for (String w : p.prompt().split("[ .?]")) {
                if (w.matches("\\d+")) {
                    assertTrue(Integer.parseInt(w) <= 200, p.prompt());
                }
            }
        }
    }

    @Test
    void theBriefsExampleIsInTheFamily() {
        Solution s = new Solution(List.of(
                new Step(new Step.Given(3), '*', new Step.Given(12), "Tom has {claim} pencils."),
                new Step(new Step.Result(0), '-', new Step.Given(7), "After giving away 7 he has {claim}.")));
        assertEquals("Tom has 3 * 12 = 36 pencils.\nAfter giving away 7 he has 36 - 7 = 29.\n#### 29", s.completion());
    }

    @Test
    void trainAndTestNeverShareAPromptAndAreStable() {
        MathSplit split = MathWordProblems.split(1);
        List<MathProblem> test = split.test(300, Difficulty.EASY);
        List<MathProblem> train = split.train(3000, Difficulty.EASY);
        Set<String> testPrompts = new HashSet<>();
        test.forEach(p -> testPrompts.add(p.prompt()));
        assertEquals(300, testPrompts.size());
        assertTrue(train.stream().noneMatch(p -> testPrompts.contains(p.prompt())));
        // the test side is a property of the text: train problems of other difficulties stay out of it too
        assertTrue(split.train(500, Difficulty.MEDIUM).stream().noneMatch(p -> split.isTest(p.prompt())));
        assertTrue(test.stream().allMatch(p -> split.isTest(p.prompt())));
        // a smaller test set is a prefix of a larger one; more train problems do not move the test set
        assertEquals(test.subList(0, 100), split.test(100, Difficulty.EASY));
        assertEquals(train.subList(0, 50), MathWordProblems.split(1).train(50, Difficulty.EASY));
        assertTrue(test.get(0).id().startsWith("math-easy-s1-test-"));
    }

    @Test
    void jsonRowHasTheDocumentedKeysOnly() throws Exception {
        MathProblem p = MathWordProblems.generate(1, Difficulty.EASY, 1).get(0);
        var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(Jsonl.line(p));
        List<String> keys = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(keys::add);
        assertEquals(List.of("id", "prompt", "completion", "answer", "steps"), keys);
        assertTrue(node.get("answer").isTextual());
        assertTrue(node.get("steps").isInt());
    }

    @Test
    void askingForMoreDistinctProblemsThanExistIsAClearError() {
        // a filter that keeps nothing stands for an exhausted space
        BadInputException e = assertThrows(BadInputException.class, () -> MathWordProblems.generate(5,
                Difficulty.EASY, new org.align4j.policy.train.Rng(1), p -> false, "x-"));
        assertTrue(e.getMessage().contains("distinct easy problems"), e.getMessage());
    }

    @Test
    void difficultyParsesItsLabels() {
        assertEquals(Difficulty.HARD, Difficulty.parse("Hard"));
        BadInputException e = assertThrows(BadInputException.class, () -> Difficulty.parse("extreme"));
        assertEquals("unknown difficulty 'extreme' (expected easy, medium or hard)", e.getMessage());
    }

    @Test
    void answerOnlyKeepsTheProblemAndDropsTheWorking() {
        MathProblem p = MathWordProblems.generate(1, Difficulty.EASY, 4).get(0);
        MathProblem terse = p.answerOnly();
        assertEquals("#### " + p.answer(), terse.completion());
        assertEquals(p.prompt(), terse.prompt());
        assertEquals(p.answer(), terse.answer());
        assertEquals(p.id(), terse.id());
        assertEquals(p.solution(), terse.solution());
    }
}
