package org.align4j.cli;

import org.align4j.policy.util.BadInputException;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * --ranks and --master on a trainer that is not data-parallel (kto, orpo, simpo, rm train; a picocli mixin, hidden
 * from the help): refused in one line naming the command and the ones that are, rather than picocli's "unknown
 * option" (docs/distributed.md).
 */
final class OneRankOption {
    /** The trainers that --ranks runs (RanksOption's). */
    static final String DATA_PARALLEL = "sft, dpo and grpo";

    @Option(names = "--ranks", paramLabel = "N", hidden = true)
    int ranks = 1;

    @Option(names = "--master", paramLabel = "URL", hidden = true)
    String master;

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    /** Refuses a run on several ranks (or on a Spark master); one rank goes on. */
    void requireOneRank() {
        if (ranks != 1 || master != null) {
            String name = command.qualifiedName(" ").substring(command.root().name().length()).strip();
            throw new BadInputException(name + " trains on one rank: --ranks and --master (data-parallel training) "
                    + "are for " + DATA_PARALLEL + " (docs/distributed.md)");
        }
    }
}
