package org.align4j.reward.remote;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.align4j.reward.OutcomeReward;
import org.align4j.reward.RewardInput;
import org.align4j.reward.RewardParams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A reward computed by the user's own server, as OpenRLHF's remote reward model and verl's sandbox
 * services are: each batch of completions is POSTed as JSON and the server answers one reward per
 * completion.
 *
 * <p>Request ({@code Content-Type: application/json}):
 * <pre>{"completions": [{"prompt": "...", "completion": "...", "row": {...the dataset row...}}, ...]}</pre>
 * Response (status 200): <pre>{"rewards": [1.0, 0.0, null, ...]}</pre>
 * one number per completion, in order; {@code null} abstains (as a built-in reward does for rows it
 * does not apply to). Connection failures, timeouts, 429 and 5xx answers are retried ({@code retries}
 * times, waiting 0.5 s, 1 s, 2 s, ...); any other failure, and a response that is not that shape,
 * stops the run with one line naming the URL.
 *
 * <p>Config: <pre>{type: http, url: http://127.0.0.1:8000/score, timeout_seconds: 60, retries: 2,
 *  batch_size: 0, headers: {Authorization: Bearer ...}}</pre>
 * {@code batch_size} 0 sends the whole batch (a GRPO step's completions) in one request.
 */
public final class HttpReward implements OutcomeReward {

    public static final String TYPE = "http";

    private static final Logger LOG = LoggerFactory.getLogger(HttpReward.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI url;
    private final Duration timeout;
    private final int retries;
    private final int batchSize;
    private final Map<String, String> headers;
    private final HttpClient client;

    public HttpReward(Map<String, Object> params) {
        RewardParams p = new RewardParams(TYPE, params).allowOnly("url", "timeout_seconds", "retries", "batch_size", "headers");
        String u = p.string("url", null);
        if (u == null || u.isBlank()) {
            throw new IllegalArgumentException(TYPE + ": key 'url' is required (e.g. http://127.0.0.1:8000/score)");
        }
        try {
            this.url = new URI(u.strip());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException(TYPE + ": key 'url' is not a URL: '" + u + "'");
        }
        if (!("http".equals(url.getScheme()) || "https".equals(url.getScheme())) || url.getHost() == null) {
            throw new IllegalArgumentException(TYPE + ": key 'url' must be an http:// or https:// URL with a host, got '" + u + "'");
        }
        double seconds = p.number("timeout_seconds", 60);
        if (!(seconds > 0)) {
            throw new IllegalArgumentException(TYPE + ": key 'timeout_seconds' must be positive, got " + seconds);
        }
        this.timeout = Duration.ofMillis(Math.round(seconds * 1000));
        this.retries = p.integer("retries", 2, 0, 100);
        this.batchSize = p.integer("batch_size", 0, 0, 1 << 20);
        this.headers = headers(params == null ? null : params.get("headers"));
        this.client = HttpClient.newBuilder().connectTimeout(timeout).version(HttpClient.Version.HTTP_1_1).build();
    }

    private static Map<String, String> headers(Object value) {
        Map<String, String> out = new LinkedHashMap<>();
        if (value == null) {
            return out;
        }
        if (!(value instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException(TYPE + ": key 'headers' must be a map of header names to values, got '" + value + "'");
        }
        map.forEach((k, v) -> out.put(String.valueOf(k), String.valueOf(v)));
        return out;
    }

    @Override
    public String name() {
        return TYPE;
    }

    public URI url() {
        return url;
    }

    @Override
    public List<Double> score(List<RewardInput> batch) {
        List<Double> out = new ArrayList<>(batch.size());
        int size = batchSize == 0 ? Math.max(1, batch.size()) : batchSize;
        for (int from = 0; from < batch.size(); from += size) {
            out.addAll(scoreChunk(batch.subList(from, Math.min(batch.size(), from + size))));
        }
        return out;
    }

    private List<Double> scoreChunk(List<RewardInput> chunk) {
        String body = request(chunk);
        String lastProblem = "";
        for (int attempt = 0; attempt <= retries; attempt++) {
            if (attempt > 0) {
                sleep(500L << Math.min(attempt - 1, 6));
            }
            HttpRequest.Builder b = HttpRequest.newBuilder(url).timeout(timeout)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body));
            headers.forEach(b::header);
            HttpResponse<String> response;
            try {
                response = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
            } catch (HttpTimeoutException e) {
                lastProblem = "no answer within " + timeout.toMillis() / 1000.0 + " s";
                LOG.warn("http reward {}: {} (attempt {} of {})", url, lastProblem, attempt + 1, retries + 1);
                continue;
            } catch (IOException e) {
                lastProblem = "cannot connect: " + describe(e);
                LOG.warn("http reward {}: {} (attempt {} of {})", url, lastProblem, attempt + 1, retries + 1);
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("http reward " + url + ": interrupted", e);
            }
            int status = response.statusCode();
            if (status == 429 || status >= 500) {
                lastProblem = "HTTP " + status + firstLine(response.body());
                LOG.warn("http reward {}: {} (attempt {} of {})", url, lastProblem, attempt + 1, retries + 1);
                continue;
            }
            if (status != 200) {
                throw new IllegalStateException("http reward " + url + ": HTTP " + status + firstLine(response.body()));
            }
            return parse(response.body(), chunk.size());
        }
        throw new IllegalStateException("http reward " + url + ": " + lastProblem + " (" + (retries + 1) + " attempt"
                + (retries == 0 ? "" : "s") + ")");
    }

    private static String request(List<RewardInput> chunk) {
        ObjectNode root = JSON.createObjectNode();
        ArrayNode list = root.putArray("completions");
        for (RewardInput in : chunk) {
            ObjectNode o = list.addObject();
            o.put("prompt", in.prompt());
            o.put("completion", in.completion());
            o.set("row", JSON.valueToTree(in.row()));
        }
        try {
            return JSON.writeValueAsString(root);
        } catch (IOException e) {
            throw new IllegalArgumentException("http reward: a row cannot be written as JSON: " + e.getMessage(), e);
        }
    }

    private List<Double> parse(String body, int expected) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            throw new IllegalStateException("http reward " + url + ": the response is not JSON" + firstLine(body));
        }
        JsonNode rewards = root == null ? null : root.get("rewards");
        if (rewards == null || !rewards.isArray()) {
            throw new IllegalStateException("http reward " + url + ": expected {\"rewards\": [...]}, got" + firstLine(body));
        }
        if (rewards.size() != expected) {
            throw new IllegalStateException("http reward " + url + ": sent " + expected + " completions but got "
                    + rewards.size() + " rewards");
        }
        List<Double> out = new ArrayList<>(expected);
        for (int i = 0; i < rewards.size(); i++) {
            JsonNode r = rewards.get(i);
            if (r.isNull()) {
                out.add(null);
            } else if (r.isNumber() && Double.isFinite(r.asDouble())) {
                out.add(r.asDouble());
            } else {
                throw new IllegalStateException("http reward " + url + ": rewards[" + i + "] must be a finite number or null, got " + r);
            }
        }
        return out;
    }

    private static String describe(IOException e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) {
            m = e.getCause() != null && e.getCause().getMessage() != null ? e.getCause().getMessage() : e.getClass().getSimpleName();
        }
        return m;
    }

    private static String firstLine(String body) {
        String t = body == null ? "" : body.strip();
        int nl = t.indexOf('\n');
        t = nl < 0 ? t : t.substring(0, nl);
        if (t.length() > 200) {
            t = t.substring(0, 200) + "...";
        }
        return t.isEmpty() ? "" : ": " + t;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting to retry the http reward", e);
        }
    }
}
