package org.align4j.policy.util;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FiniteJsonTest {

    @Test
    void nonFiniteNumbersBecomeNullWithTheReason() throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", 4);
        m.put("loss", Double.NaN);
        m.put("grad_norm", Double.POSITIVE_INFINITY);
        m.put("lr", 1e-3);
        m.put("nested", Map.of("kl", Double.NEGATIVE_INFINITY));
        m.put("list", List.of(1.0, Float.NaN));
        String json = FiniteJson.object(m).toString();
        assertEquals("{\"step\":4,\"loss\":null,\"grad_norm\":null,\"lr\":0.001,"
                + "\"nested\":{\"kl\":null,\"non_finite\":{\"kl\":\"-Infinity\"}},\"list\":[1.0,null],"
                + "\"non_finite\":{\"loss\":\"NaN\",\"grad_norm\":\"Infinity\"}}", json);
        new ObjectMapper().readTree(json); // strict JSON
    }
}
