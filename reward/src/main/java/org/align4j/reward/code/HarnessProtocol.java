package org.align4j.reward.code;

import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The result lines a harness prints: {@code <nonce> <index> PASS}, {@code <nonce> <index> FAIL
 * <why>}, and {@code <nonce> DONE} after the last test. The nonce is 128 random bits given to the
 * harness on stdin, so the code under test cannot forge a PASS by printing one.
 */
final class HarnessProtocol {

    private static final SecureRandom RANDOM = new SecureRandom();

    /** What the output said: per-test outcomes (first report wins) and whether the harness finished. */
    record Parsed(Map<Integer, String> failures, Map<Integer, Boolean> passed, boolean done) {
    }

    private HarnessProtocol() {
    }

    static String newNonce() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return "align4j-" + HexFormat.of().formatHex(bytes);
    }

    static Parsed parse(String output, String nonce, int tests) {
        Pattern line = Pattern.compile(Pattern.quote(nonce) + " (?:(DONE)|(\\d+) (PASS|FAIL)(?: ([^\\r\\n]*))?)");
        Map<Integer, Boolean> passed = new HashMap<>();
        Map<Integer, String> failures = new HashMap<>();
        boolean done = false;
        Matcher m = line.matcher(output);
        while (m.find()) {
            if (m.group(1) != null) {
                done = true;
                continue;
            }
            int index;
            try {
                index = Integer.parseInt(m.group(2));
            } catch (NumberFormatException e) {
                continue;
            }
            if (index < 0 || index >= tests || passed.containsKey(index)) {
                continue;
            }
            boolean pass = m.group(3).equals("PASS");
            passed.put(index, pass);
            if (!pass) {
                failures.put(index, m.group(4) == null ? "failed" : m.group(4).strip());
            }
        }
        return new Parsed(failures, passed, done);
    }

    /** The output without result lines, for logs. */
    static String withoutResults(String output, String nonce) {
        return output.replaceAll("(?m)^.*" + Pattern.quote(nonce) + ".*(\\r?\\n)?", "");
    }
}
