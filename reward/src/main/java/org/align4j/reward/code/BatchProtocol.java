package org.align4j.reward.code;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The result lines of python_batch_harness.py: {@code <nonce> <job> <index> PASS}, {@code <nonce> <job>
 * <index> FAIL <why>} and {@code <nonce> <job> END <status>} (completed, timeout, output or crashed). Only the
 * harness's parent process can write to the sandbox's output, and only it knows the nonce read from stdin.
 */
final class BatchProtocol {

    private static final String[] STATUS_NAMES = {"completed", "timeout", "output", "crashed"};
    private static final CodeTestReport.Status[] STATUSES = {CodeTestReport.Status.COMPLETED,
            CodeTestReport.Status.TIMEOUT, CodeTestReport.Status.OUTPUT_LIMIT, CodeTestReport.Status.CRASHED};

    private BatchProtocol() {
    }

    /** One report per job, null for a job without its END line (the batch ended before it). */
    static List<CodeTestReport> parse(String output, String nonce, List<List<String>> tests, String isolation) {
        int jobs = tests.size();
        Pattern line = Pattern.compile(Pattern.quote(nonce)
                + " (\\d+) (?:(\\d+) (PASS|FAIL)(?: ([^\\r\\n]*))?|END (\\w+))");
        Boolean[][] passed = new Boolean[jobs][];
        String[][] detail = new String[jobs][];
        CodeTestReport.Status[] status = new CodeTestReport.Status[jobs];
        for (int j = 0; j < jobs; j++) {
            passed[j] = new Boolean[tests.get(j).size()];
            detail[j] = new String[tests.get(j).size()];
        }
        Matcher m = line.matcher(output);
        while (m.find()) {
            int job;
            try {
                job = Integer.parseInt(m.group(1));
            } catch (NumberFormatException e) {
                continue;
            }
            if (job < 0 || job >= jobs || status[job] != null) {
                continue;
            }
            if (m.group(5) != null) {
                int s = Arrays.asList(STATUS_NAMES).indexOf(m.group(5));
                status[job] = s < 0 ? CodeTestReport.Status.CRASHED : STATUSES[s];
                continue;
            }
            int index;
            try {
                index = Integer.parseInt(m.group(2));
            } catch (NumberFormatException e) {
                continue;
            }
            if (index < 0 || index >= passed[job].length || passed[job][index] != null) {
                continue;
            }
            passed[job][index] = m.group(3).equals("PASS");
            detail[job][index] = passed[job][index] ? "" : m.group(4) == null || m.group(4).isBlank() ? "failed"
                    : m.group(4).strip();
        }
        List<CodeTestReport> out = new ArrayList<>(jobs);
        for (int j = 0; j < jobs; j++) {
            if (status[j] == null) {
                out.add(null);
                continue;
            }
            List<TestResult> results = new ArrayList<>(passed[j].length);
            for (int i = 0; i < passed[j].length; i++) {
                boolean ok = Boolean.TRUE.equals(passed[j][i]);
                results.add(new TestResult(tests.get(j).get(i), ok, ok ? "" : detail[j][i] == null ? "not run"
                        : detail[j][i]));
            }
            out.add(new CodeTestReport(results, status[j], isolation, ""));
        }
        return out;
    }
}
