package org.align4j.cli;

import org.align4j.policy.testing.TestFixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.model.HfCheckpoint;
import org.align4j.policy.model.ModelConfig;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * The trainers, each with a tiny model (vocabulary of the test tokenizer, one layer), a few text rows and a
 * YAML config, so that a test can run any of them through the CLI with the same cadence keys.
 */
enum TrainerKind {
    SFT("eval_loss"), DPO("eval_loss"), RM("eval_loss"), GRPO("eval_accuracy"), KTO("eval_loss"), ORPO("eval_loss"),
    SIMPO("eval_loss");

    /** A key that only an evaluation logs. */
    final String evalKey;

    TrainerKind(String evalKey) {
        this.evalKey = evalKey;
    }

    static Path tokenizerDir() {
        return TestFixtures.tinyTokenizer();
    }

    static ModelConfig tinyConfig() {
        return ModelConfig.llama(266, 16, 32, 1, 2, 1, 96, 1, new int[] {2});
    }

    /** The command line words that start this trainer. */
    List<String> command() {
        return switch (this) {
            case SFT -> List.of("sft");
            case DPO -> List.of("dpo");
            case RM -> List.of("rm", "train");
            case GRPO -> List.of("grpo");
            case KTO -> List.of("kto");
            case ORPO -> List.of("orpo");
            case SIMPO -> List.of("simpo");
        };
    }

    /**
     * Writes the model, data and config.yaml of a run into dir (output_dir dir/run) and returns the config; lines
     * are extra YAML lines ("key: value") appended after the defaults, so they win.
     */
    Path config(Path dir, boolean withEval, String... lines) throws IOException {
        List<String> y = new ArrayList<>();
        Path model = dir.resolve("model");
        if (this != RM && !Files.isDirectory(model)) {
            HfCheckpoint.save(CausalLM.initialize(tinyConfig(), DataType.FLOAT, 7), model, tokenizerDir());
        }
        switch (this) {
            case SFT -> {
                y.add("model_name_or_path: " + model);
                y.add("train_file: " + write(dir, "train.jsonl", sftRows(24, 1)));
                if (withEval) {
                    y.add("eval_file: " + write(dir, "eval.jsonl", sftRows(8, 2)));
                }
                y.add("batch_size: 4");
            }
            case DPO, KTO, ORPO, SIMPO -> {
                y.add("model_name_or_path: " + model);
                y.add("train_file: " + write(dir, "train.jsonl", pairRows(24, 1)));
                if (withEval) {
                    y.add("eval_file: " + write(dir, "eval.jsonl", pairRows(8, 2)));
                }
                y.add("batch_size: 4");
                y.add("max_length: 64");
                y.add("max_prompt_length: 32");
            }
            case RM -> {
                Path init = dir.resolve("init.json");
                Files.writeString(init, tinyConfig().toJson().toString());
                y.add("init_config: " + init);
                y.add("tokenizer: " + tokenizerDir());
                y.add("kind: orm");
                y.add("train_file: " + write(dir, "train.jsonl", pairRows(24, 1)));
                if (withEval) {
                    y.add("eval_file: " + write(dir, "eval.jsonl", pairRows(8, 2)));
                }
                y.add("batch_size: 4");
            }
            case GRPO -> {
                y.add("model_name_or_path: " + model);
                y.add("train_file: " + write(dir, "train.jsonl", promptRows(8, 1)));
                if (withEval) {
                    y.add("eval_file: " + write(dir, "eval.jsonl", promptRows(2, 2)));
                }
                y.add("num_generations: 2");
                y.add("batch_size: 4");
                y.add("max_completion_length: 3");
                y.add("rewards:");
                y.add("  - {type: math_answer}");
            }
        }
        y.add("output_dir: " + dir.resolve("run"));
        y.add("learning_rate: 0.001");
        y.add("lr_scheduler_type: constant");
        y.add("seed: 3");
        y.addAll(List.of(lines));
        return write(dir, "config.yaml", String.join("\n", y) + "\n");
    }

    private static Path write(Path dir, String name, String text) throws IOException {
        return Files.writeString(dir.resolve(name), text);
    }

    private static String sftRows(int n, long seed) {
        Random r = new Random(seed);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            int a = r.nextInt(9) + 1;
            int b = r.nextInt(9) + 1;
            sb.append("{\"prompt\": \"").append(a).append("+").append(b).append("=\", \"completion\": \"")
                    .append(a + b).append("\"}\n");
        }
        return sb.toString();
    }

    private static String pairRows(int n, long seed) {
        Random r = new Random(seed);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            int a = r.nextInt(9) + 1;
            int b = r.nextInt(9) + 1;
            sb.append("{\"prompt\": \"").append(a).append("+").append(b).append("=\", \"chosen\": \"")
                    .append(a + b).append("\", \"rejected\": \"no\"}\n");
        }
        return sb.toString();
    }

    private static String promptRows(int n, long seed) {
        Random r = new Random(seed);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            int a = r.nextInt(9) + 1;
            int b = r.nextInt(9) + 1;
            sb.append("{\"prompt\": \"").append(a).append("+").append(b).append("=\", \"answer\": \"")
                    .append(a + b).append("\"}\n");
        }
        return sb.toString();
    }
}
