package org.align4j.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code --list-keys} for a trainer command: prints its config keys (key, type, default, allowed values, help)
 * and exits 0 without a config. One line adds it to a command, {@code @Mixin ListKeysOption listKeys;}, with the
 * command's config class in {@link ConfigKeys#TRAINERS}. {@link Align4j}'s execution strategy handles it before
 * the command runs; {@code help = true} lets it through without the command's required options.
 */
final class ListKeysOption {

    @Spec(Spec.Target.MIXEE)
    CommandSpec command;

    @SuppressWarnings("deprecation") // help = true is Picocli's way to skip required-option checks for an extra option
    @Option(names = "--list-keys", help = true,
            description = "Print the config keys (type, default, allowed values, help) and exit.")
    boolean requested;

    /**
     * A command whose config class depends on one of its options (the demo's --task): the option names which of
     * its configs --list-keys prints, as it is keyed in {@link ConfigKeys#TRAINERS} after the command's name.
     */
    interface ConfigVariant {
        /** The option as written, e.g. "--task code"; empty for the command's default config. */
        String configVariant();
    }

    /** The trainer name of the command, its path below the root command, e.g. "rm train" or "demo --task code". */
    String trainer() {
        String q = command.qualifiedName(" ");
        int space = q.indexOf(' ');
        String name = space < 0 ? q : q.substring(space + 1);
        String variant = command.userObject() instanceof ConfigVariant v ? v.configVariant() : "";
        return variant.isEmpty() ? name : name + " " + variant;
    }

    /** The command part of a trainer name: "demo --task code" -> "demo". */
    static String command(String trainer) {
        int option = trainer.indexOf(" --");
        return option < 0 ? trainer : trainer.substring(0, option);
    }
}
