package org.align4j.rollout;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The JSON Lines form of completions, one object per completion: {@code prompt_id}, {@code index} (in its
 * group), {@code prompt} and {@code text} (when there is a tokenizer), {@code completion_ids},
 * {@code logprobs}, {@code finish_reason} ("eos", "stop" or "length") and {@code policy_version}.
 */
public final class CompletionsJsonl {
    private static final ObjectMapper JSON = new ObjectMapper();

    private CompletionsJsonl() {
    }

    /** One line of JSON (without the newline) for completion c of prompt p. */
    public static String line(Prompt p, Completion c) {
        ObjectNode o = JSON.createObjectNode();
        o.put("prompt_id", c.promptId());
        o.put("index", c.index());
        if (p.text() != null) {
            o.put("prompt", p.text());
        }
        if (c.text() != null) {
            o.put("text", c.text());
        }
        ArrayNode ids = o.putArray("completion_ids");
        for (int id : c.ids()) {
            ids.add(id);
        }
        ArrayNode lp = o.putArray("logprobs");
        for (double v : c.logProbs()) {
            lp.add(v);
        }
        o.put("finish_reason", c.finishReason().label());
        o.put("policy_version", c.policyVersion());
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
