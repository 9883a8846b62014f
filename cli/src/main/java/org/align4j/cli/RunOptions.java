package org.align4j.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.align4j.policy.train.ConfigLoader;
import picocli.CommandLine.Option;

/** The options every trainer command shares: a config file, --set overrides, and --resume. */
final class RunOptions {

    @Option(names = "--config", required = true, description = "YAML (or JSON) file of the trainer's config keys.")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key (repeatable; dotted keys "
            + "reach nested ones).")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--resume", description = "Continue the run in output_dir from its latest checkpoint.")
    boolean resume;

    <T> T load(Class<T> type) {
        return ConfigLoader.load(config, type, overrides);
    }
}
