package org.align4j.reward.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.align4j.reward.OutcomeReward;
import org.align4j.reward.RewardFactory;
import org.align4j.reward.RewardInput;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The http reward against a server this test runs on the loopback address. */
class HttpRewardTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private HttpServer server;
    private String base;
    private final List<JsonNode> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger failuresLeft = new AtomicInteger();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        // Scores like a user's server would: 1 when the completion contains the row's answer, null without one.
        server.createContext("/score", ex -> {
            JsonNode req = JSON.readTree(ex.getRequestBody());
            requests.add(req);
            if (failuresLeft.getAndDecrement() > 0) {
                reply(ex, 503, "busy, try again");
                return;
            }
            List<Object> rewards = new ArrayList<>();
            for (JsonNode c : req.get("completions")) {
                JsonNode answer = c.get("row").get("answer");
                rewards.add(answer == null ? null : c.get("completion").asText().contains(answer.asText()) ? 1.0 : 0.0);
            }
            reply(ex, 200, JSON.writeValueAsString(Map.of("rewards", rewards)));
        });
        server.createContext("/broken", ex -> reply(ex, 500, "Traceback (most recent call last):\n  boom"));
        server.createContext("/missing", ex -> reply(ex, 404, "no such endpoint"));
        server.createContext("/short", ex -> {
            ex.getRequestBody().readAllBytes();
            reply(ex, 200, "{\"rewards\": [1.0]}");
        });
        server.createContext("/text", ex -> {
            ex.getRequestBody().readAllBytes();
            reply(ex, 200, "OK");
        });
        server.createContext("/slow", ex -> {
            ex.getRequestBody().readAllBytes();
            try {
                Thread.sleep(3_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            reply(ex, 200, "{\"rewards\": [1.0]}");
        });
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        server.start();
        base = "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    private static List<RewardInput> batch() {
        return List.of(
                RewardInput.ofText("What is 2 + 3?", "It is 5.", Map.of("answer", "5", "id", 7)),
                RewardInput.ofText("What is 2 + 3?", "It is 6.", Map.of("answer", "5", "id", 7)),
                RewardInput.ofText("Say hi", "hi", Map.of("id", 8)));
    }

    @Test
    void postsPromptCompletionAndRowAndReadsOneRewardEach() {
        try (OutcomeReward r = RewardFactory.outcome(Map.of("type", "http", "url", base + "/score"))) {
            assertEquals(Arrays.asList(1.0, 0.0, null), r.score(batch()));
        }
        assertEquals(1, requests.size(), "one request for the batch");
        JsonNode first = requests.get(0).get("completions").get(0);
        assertEquals("What is 2 + 3?", first.get("prompt").asText());
        assertEquals("It is 5.", first.get("completion").asText());
        assertEquals(7, first.get("row").get("id").asInt());
    }

    @Test
    void batchSizeSplitsTheRequests() {
        try (OutcomeReward r = new HttpReward(Map.of("url", base + "/score", "batch_size", 2))) {
            assertEquals(Arrays.asList(1.0, 0.0, null), r.score(batch()));
        }
        assertEquals(List.of(2, 1), requests.stream().map(q -> q.get("completions").size()).toList());
    }

    @Test
    void busyAnswersAreRetried() {
        failuresLeft.set(2);
        try (OutcomeReward r = new HttpReward(Map.of("url", base + "/score", "retries", 2))) {
            assertEquals(Arrays.asList(1.0, 0.0, null), r.score(batch()));
        }
        assertEquals(3, requests.size());
    }

    @Test
    void failuresAreOneLineNamingTheUrl() {
        assertFailure("/broken", Map.of("retries", 1), "HTTP 500: Traceback (most recent call last): (2 attempts)");
        assertFailure("/missing", Map.of(), "HTTP 404: no such endpoint");
        assertFailure("/short", Map.of(), "sent 3 completions but got 1 rewards");
        assertFailure("/text", Map.of(), "the response is not JSON: OK");
        assertFailure("/slow", Map.of("timeout_seconds", 0.5, "retries", 0), "no answer within 0.5 s (1 attempt)");
    }

    @Test
    void aServerThatIsNotThereIsNamed() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String url = "http://127.0.0.1:" + port + "/score";
        try (HttpReward r = new HttpReward(Map.of("url", url, "retries", 1))) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> r.score(batch()));
            assertTrue(e.getMessage().startsWith("http reward " + url + ": cannot connect"), e.getMessage());
            assertTrue(e.getMessage().endsWith("(2 attempts)"), e.getMessage());
        }
    }

    @Test
    void badConfigIsNamed() {
        IllegalArgumentException noUrl = assertThrows(IllegalArgumentException.class, () -> new HttpReward(Map.of()));
        assertTrue(noUrl.getMessage().contains("'url' is required"), noUrl.getMessage());
        IllegalArgumentException ftp = assertThrows(IllegalArgumentException.class,
                () -> new HttpReward(Map.of("url", "ftp://example.com/x")));
        assertTrue(ftp.getMessage().contains("http:// or https://"), ftp.getMessage());
        IllegalArgumentException typo = assertThrows(IllegalArgumentException.class,
                () -> new HttpReward(Map.of("url", base, "timeout", 3)));
        assertTrue(typo.getMessage().contains("unknown key 'timeout'"), typo.getMessage());
    }

    private void assertFailure(String path, Map<String, Object> extra, String expectedEnd) {
        Map<String, Object> params = new java.util.HashMap<>(extra);
        params.put("url", base + path);
        try (HttpReward r = new HttpReward(params)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> r.score(batch()));
            String m = e.getMessage();
            assertTrue(m.startsWith("http reward " + base + path + ": "), m);
            assertTrue(m.endsWith(expectedEnd), m);
            assertFalse(m.contains("\n"), m);
        }
    }
}
