package org.align4j.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.align4j.policy.io.AtomicFiles;
import org.align4j.policy.model.CausalLM;
import org.align4j.policy.ops.Backends;
import org.align4j.policy.model.PeftAdapter;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.policy.train.ProgressBar;
import org.align4j.rollout.Completion;
import org.align4j.rollout.CompletionGroup;
import org.align4j.rollout.CompletionsJsonl;
import org.align4j.rollout.Prompt;
import org.align4j.rollout.PromptsJsonl;
import org.align4j.rollout.Sampler;
import org.align4j.rollout.SamplingParams;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "generate",
        mixinStandardHelpOptions = true,
        description = {"Samples completions of prompts with a model (batched KV-cache decoding).",
                "With --prompts, writes one JSON line per completion: prompt_id, index, prompt,",
                "text, completion_ids, logprobs (log softmax(logits / temperature) of each",
                "token), finish_reason (eos, stop or length) and policy_version.",
                "With --input-ids, prints {\"output_ids\": [...]} (prompt, then new ids)."},
        footer = {"", "Examples:",
                "  echo '{\"prompt\": \"What is 2+3?\", \"id\": \"q1\"}' > prompts.jsonl",
                "  ./align4j generate --model runs/demo/sft/final --prompts prompts.jsonl \\",
                "      --num-generations 8 --temperature 0.9 --top-p 0.95 \\",
                "      --max-completion-length 64 --stop $'\\n' -o completions.jsonl",
                "  ./align4j generate --model runs/demo/sft/final --input-ids 0,93,110 \\",
                "      --max-new-tokens 8 --greedy"})
final class GenerateCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--model", required = true, description = "Model directory (Hugging Face layout).")
    Path model;

    @Option(names = "--adapter", description = "A LoRA adapter directory (PEFT's adapter_config.json and "
            + "adapter_model.safetensors) put on the model, unmerged.")
    Path adapter;

    static final class Input {
        @Option(names = "--prompts", description = "JSONL file, rows {\"prompt\": \"...\"} or {\"prompt_ids\": [...]},"
                + " optionally with \"id\".")
        Path prompts;

        @Option(names = "--input-ids", split = ",", description = "One prompt as comma-separated token ids.")
        List<String> inputIds;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    Input input;

    @Option(names = {"-o", "--output"}, description = "Output JSONL file (written atomically); default stdout.")
    Path output;

    @Option(names = "--num-generations", defaultValue = "1", description = "Completions per prompt (default ${DEFAULT-VALUE}).")
    int numGenerations;

    @Option(names = {"--max-completion-length", "--max-new-tokens"}, defaultValue = "256",
            description = "Most new tokens per completion (default ${DEFAULT-VALUE}).")
    int maxCompletionLength;

    @Option(names = "--temperature", defaultValue = "1.0", description = "Sampling temperature; 0 is greedy (default ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-p", defaultValue = "1.0", description = "Nucleus mass in (0, 1] (default ${DEFAULT-VALUE}: off).")
    double topP;

    @Option(names = "--top-k", defaultValue = "0", description = "Keep the k most likely tokens (default ${DEFAULT-VALUE}: off).")
    int topK;

    @Option(names = "--greedy", description = "Greedy decoding (same as --temperature 0).")
    boolean greedy;

    @Option(names = "--stop", description = "Stop string (repeatable): the text is cut right before it.")
    List<String> stop = new ArrayList<>();

    @Option(names = "--seed", defaultValue = "0", description = "Seed of all random draws (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--max-batch-sequences", defaultValue = "256",
            description = "Most sequences decoded together (default ${DEFAULT-VALUE}).")
    int maxBatchSequences;

    @Override
    public Integer call() {
        SamplingParams params = new SamplingParams(greedy ? 0 : temperature, topP, topK, maxCompletionLength, stop, seed);
        if (numGenerations < 1) {
            throw new IllegalArgumentException("--num-generations must be >= 1, got " + numGenerations);
        }
        CliFiles.modelDir(model, "--model");
        Tokenizer tokenizer = hasTokenizer(model) ? Tokenizer.load(model) : null;
        List<Prompt> prompts = input.prompts != null ? PromptsJsonl.read(input.prompts, tokenizer)
                : List.of(Prompt.ofIds("0", parseIds(input.inputIds)));
        CausalLM m = PeftAdapter.loadModel(model, adapter, Backends.current());
        for (Prompt p : prompts) {
            TokenIds.checkModel(p.ids(), m.config().vocabSize, input.prompts != null
                    ? input.prompts + ": prompt '" + p.id() + "': ids" : "--input-ids");
        }
        Sampler sampler = new Sampler(m, tokenizer, maxBatchSequences);
        boolean idsOnly = input.inputIds != null;
        if (output == null) {
            generate(sampler, prompts, params, idsOnly, spec.commandLine().getOut());
        } else {
            AtomicFiles.write(output, out -> generate(sampler, prompts, params, idsOnly, writer(out)));
        }
        return 0;
    }

    private static boolean hasTokenizer(Path dir) {
        return Files.isRegularFile(dir.resolve("tokenizer.json")) || Files.isRegularFile(dir.resolve("tokenizer.json.gz"));
    }

    private static Writer writer(OutputStream out) {
        return new java.io.BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8));
    }

    static int[] parseIds(List<String> items) {
        int[] ids = new int[items.size()];
        for (int i = 0; i < ids.length; i++) {
            try {
                ids[i] = Integer.parseInt(items.get(i).trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--input-ids: '" + items.get(i) + "' is not a token id");
            }
        }
        return ids;
    }

    /** Samples batch by batch, writing each group as its batch ends; progress and tokens/s on stderr. */
    private void generate(Sampler sampler, List<Prompt> prompts, SamplingParams params, boolean idsOnly, Writer w) {
        long total = (long) prompts.size() * numGenerations;
        ProgressBar bar = new ProgressBar("generate", 0, total, "tok");
        long[] done = {0, 0}; // completions, tokens
        sampler.sample(prompts, numGenerations, params, 0, (tokens, finished) -> {
            done[0] += finished;
            done[1] += tokens;
            bar.update(done[0], done[1], Map.of());
        }, group -> write(group, idsOnly, w));
        bar.finish();
        try {
            w.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(CompletionGroup group, boolean idsOnly, Writer w) {
        try {
            for (Completion c : group.completions()) {
                w.write(idsOnly ? outputIds(group.prompt(), c) : CompletionsJsonl.line(group.prompt(), c));
                w.write('\n');
            }
            w.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String outputIds(Prompt p, Completion c) {
        StringBuilder sb = new StringBuilder("{\"output_ids\": [");
        int[] all = new int[p.length() + c.length()];
        System.arraycopy(p.ids(), 0, all, 0, p.length());
        System.arraycopy(c.ids(), 0, all, p.length(), c.length());
        for (int i = 0; i < all.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(all[i]);
        }
        return sb.append("]}").toString();
    }
}
