package org.align4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.align4j.dpo.PreferenceTrainer;

/** The JSON summary the KTO, ORPO and SimPO commands print: paths, steps and the last train and eval metrics. */
final class PreferenceRunOutput {
    private static final ObjectMapper JSON = new ObjectMapper();

    private PreferenceRunOutput() {
    }

    static void print(PreferenceTrainer.Result r) {
        ObjectNode out = JSON.createObjectNode();
        out.put("run_dir", r.runDir().toString());
        out.put("final_model", r.finalModel().toString());
        out.put("steps", r.steps());
        r.train().forEach((k, v) -> out.set(k, JSON.valueToTree(v)));
        r.eval().forEach((k, v) -> out.set(k, JSON.valueToTree(v)));
        System.out.println(out);
    }
}
