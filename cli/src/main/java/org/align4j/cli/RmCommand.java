package org.align4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code align4j rm}: groups the learned reward-model subcommands; alone it prints their list. */
@Command(name = "rm",
        mixinStandardHelpOptions = true,
        description = "Learned reward models: outcome (ORM) and process (PRM) reward models on a causal-LM trunk.",
        subcommands = {RmTrainCommand.class, RmEvalCommand.class},
        footer = {"", "Examples:",
                "  ./align4j data dpo --n 500 --out runs/data/dpo.jsonl",
                "  ./align4j rm train --config examples/configs/rm.yaml",
                "  ./align4j rm eval --model runs/rm/final --data runs/data/dpo.jsonl"})
public final class RmCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
