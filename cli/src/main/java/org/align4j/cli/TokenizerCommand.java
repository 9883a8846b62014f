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
                "  printf 'Mia has 3 apples.\\nShe buys 4 more.\\n' > notes.txt",
                "  ./align4j tokenizer train --corpus notes.txt --vocab-size 300 --out runs/tok",
                "  echo '[\"Hello, world!\", \"1234\"]' > texts.json",
                "  ./align4j tokenizer encode --tokenizer runs/tok --input texts.json > ids.json",
                "  ./align4j tokenizer decode --tokenizer runs/tok --input ids.json",
                "  ./align4j tokenizer bench --tokenizer runs/demo/tokenizer --mb 1",
                "  echo '[{\"messages\": [{\"role\": \"user\", \"content\": \"2+3?\"}],' \\",
                "      '\"add_generation_prompt\": true}]' > chats.json",
                "  ./align4j tokenizer chat --tokenizer runs/demo/tokenizer --input chats.json"})
final class TokenizerCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
