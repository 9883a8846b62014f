package org.align4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.Forward;
import org.align4j.policy.model.PeftAdapter;
import org.align4j.policy.model.TokenBatch;
import org.align4j.policy.ops.Backends;
import org.nd4j.linalg.api.ndarray.INDArray;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "score",
        mixinStandardHelpOptions = true,
        description = {"Per-token log-probs (teacher forcing) of token id sequences under a model.",
                "Entry t of a row is log p(id[t+1] | id[0..t]); rows may differ in length."},
        footer = {"", "Examples:",
                "  echo '{\"input_ids\": [[1, 5, 9], [1, 7]]}' > in.json",
                "  ./align4j score --model runs/demo/sft/final --input in.json --logits"})
final class ScoreCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;


    @Option(names = "--model", required = true, description = "Model directory (Hugging Face layout).")
    Path model;

    @Option(names = "--adapter", description = "A LoRA adapter directory (PEFT's adapter_config.json and "
            + "adapter_model.safetensors) put on the model, unmerged.")
    Path adapter;

    @Option(names = "--input", required = true, description = "JSON file {\"input_ids\": [[...], ...]}.")
    Path input;

    @Option(names = "--logits", description = "Also print \"logits\" [rows][positions][vocab].")
    boolean logits;

    @Override
    public Integer call() throws IOException {
        CliFiles.modelDir(model, "--model");
        ObjectMapper json = new ObjectMapper();
        JsonNode root;
        try {
            root = json.readTree(input.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(input + ": not valid JSON: " + e.getMessage());
        }
        JsonNode rows = root == null ? null : root.get("input_ids");
        if (rows == null || !rows.isArray() || rows.isEmpty()) {
            throw new IllegalArgumentException(input + ": key 'input_ids' must be a non-empty array of id arrays");
        }
        List<int[]> seqs = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            JsonNode r = rows.get(i);
            if (!r.isArray() || r.isEmpty()) {
                throw new IllegalArgumentException(input + ": input_ids[" + i + "] must be a non-empty array of ints");
            }
            int[] ids = new int[r.size()];
            for (int j = 0; j < ids.length; j++) {
                if (!r.get(j).canConvertToInt()) {
                    throw new IllegalArgumentException(input + ": input_ids[" + i + "][" + j + "] is not an integer");
                }
                ids[j] = r.get(j).asInt();
            }
            seqs.add(ids);
        }
        CausalLM m = PeftAdapter.loadModel(model, adapter, Backends.current());
        for (int i = 0; i < seqs.size(); i++) {
            TokenIds.checkModel(seqs.get(i), m.config().vocabSize, input + ": input_ids[" + i + "]");
        }
        Forward f = m.forward(TokenBatch.of(seqs));
        ObjectNode out = json.createObjectNode();
        ArrayNode lp = out.putArray("token_logprobs");
        for (double[] row : f.tokenLogProbs()) {
            ArrayNode a = lp.addArray();
            for (double v : row) {
                a.add(v);
            }
        }
        if (logits) {
            INDArray all = f.logits();
            ArrayNode la = out.putArray("logits");
            for (int b = 0; b < seqs.size(); b++) {
                ArrayNode rowArr = la.addArray();
                for (int t = 0; t < seqs.get(b).length; t++) {
                    ArrayNode v = rowArr.addArray();
                    for (float x : all.getRow(f.rowIndex(b, t)).toFloatVector()) {
                        v.add(x);
                    }
                }
            }
        }
        spec.commandLine().getOut().println(json.writeValueAsString(out));
        return 0;
    }
}
