package org.align4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code align4j reward}: groups the reward subcommands; alone it prints their list. */
@Command(name = "reward",
        mixinStandardHelpOptions = true,
        description = "Score completions with the rule rewards: math answers, and code against unit tests in a sandbox.",
        subcommands = {RewardCodeCommand.class, RewardCodeBenchCommand.class, RewardMathCommand.class},
        footer = {"", "Examples:",
                "  printf '3 + 5 = 8.\\n8 - 2 = 6.\\n#### 6' > answer.txt",
                "  ./align4j reward math --completion answer.txt --answer 6",
                "  echo '{\"tests\": [\"assert add(1, 2) == 3\"]}' > tests.json",
                "  printf 'def add(a, b):\\n    return a + b\\n' > add.py",
                "  ./align4j reward code --language python --tests tests.json \\",
                "      --completion add.py"})
public final class RewardCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
