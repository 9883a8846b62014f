package org.align4j.cli;

import org.align4j.policy.train.StopRequest;
import org.align4j.policy.util.BadInputException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the {@code align4j} command. Each subcommand is its own class in this package;
 * this class only wires them together and turns exceptions into one-line errors.
 */
@Command(name = "align4j",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "RL alignment for the JVM: SFT, reward models, DPO, KTO, ORPO, SimPO and GRPO on ND4J.",
        subcommands = {
                CommandLine.HelpCommand.class,
                ScoreCommand.class,
                SftCommand.class,
                GrpoCommand.class,
                BenchCommand.class,
                BenchMlaCommand.class,
                GenerateCommand.class,
                InitModelCommand.class,
                RewardCommand.class,
                DataCommand.class,
                RmCommand.class,
                DpoCommand.class,
                KtoCommand.class,
                OrpoCommand.class,
                SimpoCommand.class,
                TokenizerCommand.class,
                EvalCommand.class,
                DemoCommand.class,
                MergeAdapterCommand.class,
        })
public final class Align4j implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Align4j());
        cl.setExecutionExceptionHandler(new OneLineErrors());
        cl.setParameterExceptionHandler(new UsageErrors());
        cl.setUsageHelpAutoWidth(true);
        cl.setExecutionStrategy(Align4j::listKeysOrRun);
        return cl;
    }

    /** --list-keys on a trainer command prints its config keys instead of running it (see ListKeysOption). */
    private static int listKeysOrRun(CommandLine.ParseResult parsed) {
        CommandLine.ParseResult last = parsed;
        while (last.hasSubcommand()) {
            last = last.subcommand();
        }
        for (CommandLine.Model.CommandSpec mixin : last.commandSpec().mixins().values()) {
            if (mixin.userObject() instanceof ListKeysOption o && o.requested) {
                CommandLine cl = last.commandSpec().commandLine();
                try {
                    ConfigKeys.print(o.trainer(), cl.getOut());
                } catch (BadInputException e) { // an option that picks the config is wrong (demo --task foo)
                    throw new CommandLine.ExecutionException(cl, e.getMessage(), e);
                }
                return 0;
            }
        }
        return new CommandLine.RunLast().execute(parsed);
    }

    public static void main(String[] args) {
        // JavaCPP's version check would print a warning at every start (ND4J's OpenBLAS preset is 1.5.7, JavaCPP
        // 1.5.13 for the CUDA presets); through SLF4J it obeys simplelogger.properties instead.
        System.setProperty("org.bytedeco.javacpp.logger", System.getProperty("org.bytedeco.javacpp.logger", "slf4j"));
        // Ctrl-C and kill stop a training run after its current step, with a checkpoint and the --resume command
        StopRequest.installSignalHandlers();
        System.exit(commandLine().execute(args));
    }
}
