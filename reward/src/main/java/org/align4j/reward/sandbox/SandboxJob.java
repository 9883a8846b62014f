package org.align4j.reward.sandbox;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One thing to run in a sandbox.
 *
 * @param files         files to place in the working directory (name to UTF-8 content); the code
 *                      sees them read-only under bwrap
 * @param command       the command, naming files relative to the working directory and programs by
 *                      absolute path
 * @param stdin         text written to the command's standard input, which is then closed
 * @param readOnlyPaths host paths the command needs to read (an interpreter's installation)
 * @param env           environment variables added to the sandbox's minimal environment
 */
public record SandboxJob(Map<String, String> files, List<String> command, String stdin, List<Path> readOnlyPaths,
                         Map<String, String> env) {

    public SandboxJob {
        files = new LinkedHashMap<>(files);
        for (String name : files.keySet()) {
            if (name.isEmpty() || name.contains("/") || name.startsWith(".")) {
                throw new IllegalArgumentException("sandbox file names must be plain names, got '" + name + "'");
            }
        }
        command = List.copyOf(command);
        stdin = stdin == null ? "" : stdin;
        readOnlyPaths = List.copyOf(readOnlyPaths);
        env = Map.copyOf(env);
    }
}
