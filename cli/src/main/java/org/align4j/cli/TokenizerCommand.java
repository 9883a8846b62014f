package org.align4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "tokenizer",
        mixinStandardHelpOptions = true,
        description = "Byte-level BPE tokenizers in Hugging Face's tokenizer.json format: encode, decode, train, "
                + "bench, and chat (render conversations with the model's chat template).",
        subcommands = {
                TokenizerEncodeCommand.class,
                TokenizerDecodeCommand.class,
                TokenizerTrainCommand.class,
                TokenizerBenchCommand.class,
                TokenizerChatCommand.class,
        },
        footer = {"", "Examples:",
                "  align4j tokenizer train --corpus notes.txt --vocab-size 1024 --out runs/tok",
                "  align4j tokenizer encode --tokenizer runs/tok --input texts.json > ids.json",
                "  align4j tokenizer decode --tokenizer runs/tok --input ids.json",
                "  align4j tokenizer bench --tokenizer path/to/tokenizer.json.gz --mb 10",
                "  align4j tokenizer chat --tokenizer path/to/Qwen3 --input chats.json"})
final class TokenizerCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
