package org.align4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.align4j.examples.eval.EvalProblem;
import org.align4j.examples.eval.EvalRun;
import org.align4j.examples.eval.EvalSettings;
import org.align4j.examples.eval.ModelEvaluator;
import org.align4j.examples.eval.ReportTable;
import org.align4j.examples.io.Jsonl;
import org.align4j.policy.io.AtomicFiles;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.ops.Backends;
import org.align4j.policy.model.PeftAdapter;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.policy.util.BadInputException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "eval",
        mixinStandardHelpOptions = true,
        description = {"Evaluates a model on math problems as DeepSeekMath reports it: Pass@1, Maj@K and Pass@K.",
                "Pass@1 is greedy accuracy, Maj@K the majority vote over K samples, Pass@K the unbiased estimate "
                        + "from N >= K samples.",
                "Rows: {\"prompt\": ..., \"answer\": ...}, e.g. from `./align4j data math --split` or the demo's "
                        + "test.jsonl. A completion is right when its final answer (\\boxed{}, #### N, \"the answer "
                        + "is\") equals the reference."},
        footer = {"", "Examples:",
                "  ./align4j eval --model runs/demo/grpo/final --dataset runs/demo/test.jsonl \\",
                "      --k 8",
                "  ./align4j eval --model runs/demo/sft/final --dataset runs/demo/test.jsonl \\",
                "      --k 8 --n 32 --temperature 0.7 --json --out eval.json"})
final class EvalCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "Model directory with tokenizer.json.")
    Path model;

    @Option(names = "--adapter", description = "A LoRA adapter directory (PEFT's adapter_config.json and "
            + "adapter_model.safetensors) put on the model, unmerged.")
    Path adapter;

    @Option(names = "--dataset", required = true, description = "JSONL rows with prompt and answer.")
    Path dataset;

    @Option(names = "--k", defaultValue = "8", description = "K of Maj@K and Pass@K. Default: ${DEFAULT-VALUE}.")
    int k;

    @Option(names = "--n", description = "Samples per problem (at least K; more lowers Pass@K's variance). "
            + "Default: K.")
    Integer n;

    @Option(names = "--temperature", defaultValue = "0.7",
            description = "Temperature of the K..N samples (DeepSeekMath's). Default: ${DEFAULT-VALUE}.")
    double temperature;

    @Option(names = "--top-p", defaultValue = "1.0", description = "Nucleus of the samples. Default: ${DEFAULT-VALUE}.")
    double topP;

    @Option(names = "--max-completion-length", defaultValue = "256",
            description = "Tokens per completion. Default: ${DEFAULT-VALUE}.")
    int maxCompletionLength;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the samples. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--limit", defaultValue = "0", description = "Only the first rows (0: all). Default: ${DEFAULT-VALUE}.")
    int limit;

    @Option(names = "--batch", defaultValue = "256",
            description = "Sequences decoded together. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--json", description = "Print the JSON instead of the table.")
    boolean json;

    @Option(names = "--out", description = "Also write the JSON to this file.")
    Path out;

    @Option(names = "--details", description = "Write one JSONL row per problem (completions and answers).")
    Path details;

    @Override
    public Integer call() throws Exception {
        if (!Files.isRegularFile(model.resolve("tokenizer.json"))) {
            throw new BadInputException(model + ": no tokenizer.json (eval needs text to read answers)");
        }
        EvalSettings settings = new EvalSettings(k, n == null ? k : n, temperature, topP, maxCompletionLength, seed,
                batch);
        List<EvalProblem> problems = EvalProblem.read(dataset, limit);
        CausalLM policy = PeftAdapter.loadModel(model, adapter, Backends.current());
        Tokenizer tokenizer = Tokenizer.load(model);
        long start = System.nanoTime();
        ModelEvaluator.Result r = new ModelEvaluator(policy, tokenizer, settings).evaluate(problems, System.err);
        EvalRun run = new EvalRun(r.report(), settings.samples(), temperature, topP, maxCompletionLength, seed,
                model.toString(), dataset.toString(), r.sampledTokens(), (System.nanoTime() - start) / 1e9);
        String text = new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(run);
        if (out != null) {
            AtomicFiles.writeString(out, text + "\n");
        }
        if (details != null) {
            Jsonl.write(details, r.problems());
        }
        if (json) {
            spec.commandLine().getOut().println(text);
        } else {
            spec.commandLine().getOut().print(ReportTable.render(List.of(new ReportTable.Row(model.toString(), r.report()))));
            spec.commandLine().getOut().flush();
        }
        return 0;
    }
}
