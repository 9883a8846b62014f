package org.align4j.cli;

import java.util.Map;
import java.util.LinkedHashMap;
import org.align4j.policy.util.FiniteJson;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.align4j.policy.ops.Backends;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.reward.model.RewardEncoder;
import org.align4j.reward.model.RewardModel;
import org.align4j.reward.model.train.RewardDataset;
import org.align4j.reward.model.train.RewardMetrics;
import org.align4j.reward.model.train.RewardTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "eval",
        mixinStandardHelpOptions = true,
        description = {"Loss, accuracy and AUC of a trained reward model on labelled JSONL rows (the formats of "
                + "'rm train'); prints one JSON line."},
        footer = {"", "Examples:",
                "  ./align4j rm eval --model runs/rm/final --data runs/data/dpo.jsonl",
                "  ./align4j rm eval --model runs/prm/final --data runs/data/prm.jsonl \\",
                "      --limit 200"})
final class RmEvalCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, description = "A reward model directory (output_dir/final of 'rm train').")
    Path model;

    @Option(names = "--data", required = true, description = "JSONL rows with labels or preference pairs.")
    Path data;

    @Option(names = "--limit", defaultValue = "0", description = "Rows to read (0: all; default ${DEFAULT-VALUE}).")
    int limit;

    @Override
    public Integer call() {
        RewardModel rm = RewardModel.load(model, Backends.current());
        RewardEncoder encoder = new RewardEncoder(Tokenizer.load(model), rm.maxLength());
        RewardDataset.Loaded rows = RewardDataset.read(data, encoder, rm.kind(), limit);
        RewardMetrics m = RewardTrainer.evaluate(rm, rows.examples());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("kind", rm.kind().key());
        out.put("rows", rows.examples().size());
        out.put("too_long", rows.tooLong());
        out.put("terms", m.terms());
        out.put("loss", m.loss());
        out.put("accuracy", m.accuracy());
        out.put("auc", m.auc());
        System.out.println(FiniteJson.object(out));
        return 0;
    }

}
