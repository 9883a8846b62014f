package org.align4j.examples.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.align4j.reward.OutcomeReward;
import org.align4j.reward.RewardFactory;
import org.align4j.reward.RewardInput;
import org.junit.jupiter.api.Test;

/** The copyable example server of docs/rewards.md, run as a user would, scored through {@code type: http}. */
class ExampleRewardServerTest {

    private static final Path SCRIPT = Path.of("http-reward", "reward_server.py");

    @Test
    void theExampleServerScoresABatch() throws Exception {
        assertTrue(Files.isRegularFile(SCRIPT), SCRIPT.toAbsolutePath() + " is missing");
        assumeTrue(python3Works(), "python3 is not installed");
        Process server = new ProcessBuilder("python3", SCRIPT.toString(), "--port", "0").redirectErrorStream(true).start();
        try {
            String line = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8)).readLine();
            assertTrue(line != null && line.startsWith("listening on http://127.0.0.1:"), String.valueOf(line));
            String url = line.substring("listening on ".length()).strip();
            List<RewardInput> batch = List.of(
                    RewardInput.ofText("What is 2 + 3?", "2 + 3 = 5.\n#### 5", Map.of("answer", "5")),
                    RewardInput.ofText("What is 2 + 3?", "#### 6", Map.of("answer", "5")),
                    RewardInput.ofText("Write a poem", "roses", Map.of()));
            try (OutcomeReward reward = RewardFactory.outcome(Map.of("type", "http", "url", url, "timeout_seconds", 20))) {
                assertEquals(Arrays.asList(1.0, 0.0, null), reward.score(batch));
            }
        } finally {
            server.destroyForcibly();
            server.waitFor(5, TimeUnit.SECONDS);
        }
    }

    private static boolean python3Works() {
        try {
            Process p = new ProcessBuilder("python3", "-c", "import http.server").redirectErrorStream(true).start();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }
}
