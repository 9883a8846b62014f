package org.align4j.cli;

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
        System.out.printf("{\"kind\": \"%s\", \"rows\": %d, \"too_long\": %d, \"terms\": %d, \"loss\": %s, "
                        + "\"accuracy\": %s, \"auc\": %s}%n", rm.kind().key(), rows.examples().size(), rows.tooLong(),
                m.terms(), json(m.loss()), json(m.accuracy()), json(m.auc()));
        return 0;
    }

    private static String json(double v) {
        return Double.isFinite(v) ? Double.toString(v) : "null";
    }
}
