package org.align4j.cli;

import java.util.Map;
import java.util.LinkedHashMap;
import org.align4j.policy.util.FiniteJson;
import java.util.concurrent.Callable;
import org.align4j.reward.model.train.RewardConfig;
import org.align4j.reward.model.train.RewardTrainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "train",
        mixinStandardHelpOptions = true,
        description = {"Train an outcome (ORM) or process (PRM) reward model: a causal-LM trunk plus a scalar head.",
                "Rows: {\"prompt\", \"chosen\", \"rejected\"} (ORM, Bradley-Terry), {\"prompt\", \"completion\", "
                        + "\"label\": 0|1} (ORM, cross-entropy) or {\"prompt\", \"completion\", \"step_labels\": [1,1,0]} "
                        + "(PRM, one label per non-blank line).",
                "model_name_or_path is a language model (a new head is put on it) or a reward model (training "
                        + "continues). replay_fraction (0.1) of each batch replays historical rows from the buffer in "
                        + "replay_buffer (default output_dir/replay); the new rows join it when training ends.",
                "Logs loss, accuracy and AUC (train and eval) to metrics.jsonl; the model goes to output_dir/final."},
        footer = {"", "Examples:",
                "  ./align4j data dpo --n 500 --out runs/data/dpo.jsonl",
                "  ./align4j rm train --config examples/configs/rm.yaml --set max_steps=200 \\",
                "      --set output_dir=runs/rm-long",
                "  ./align4j rm train --config examples/configs/rm.yaml \\",
                "      --set output_dir=runs/rm-long --resume",
                "  ./align4j data prm --n 500 --out runs/data/prm.jsonl",
                "  ./align4j rm train --config examples/configs/prm.yaml   # kind: prm",
                "  ./align4j rm train --config examples/configs/rm.yaml \\",
                "      --set model_name_or_path=runs/rm/final \\",
                "      --set replay_buffer=runs/rm/replay --set output_dir=runs/rm2   # replay"})
final class RmTrainCommand implements Callable<Integer> {
    @Mixin
    ListKeysOption listKeys;


    @Mixin
    RunOptions run;

    @Mixin
    OneRankOption oneRank;

    @Override
    public Integer call() {
        oneRank.requireOneRank();
        RewardConfig c = run.load(RewardConfig.class);
        RewardTrainer.Result r = new RewardTrainer(c, run.resume, System.err).train();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("run_dir", r.runDir().toString());
        out.put("final_model", r.finalModel().toString());
        out.put("kind", r.kind().key());
        out.put("steps", r.steps());
        out.put("loss", r.loss());
        out.put("accuracy", r.accuracy());
        if (r.evalAccuracy() != null) {
            out.put("eval_loss", r.evalLoss());
            out.put("eval_accuracy", r.evalAccuracy());
            out.put("eval_auc", r.evalAuc());
        }
        System.out.println(FiniteJson.object(out));
        return 0;
    }
}
