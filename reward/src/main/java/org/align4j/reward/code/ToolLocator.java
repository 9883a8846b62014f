package org.align4j.reward.code;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Finds a language's compiler or interpreter on this host, failing with one line that names the fix. */
final class ToolLocator {

    private ToolLocator() {
    }

    /**
     * The real path of {@code tool} (a command on PATH or a path).
     *
     * @param what    e.g. "the C++ compiler"
     * @param install e.g. "apt-get install g++"
     */
    static Path find(String tool, String what, String install) {
        Path found = null;
        if (tool.contains("/")) {
            Path p = Path.of(tool);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                found = p;
            }
        } else {
            String path = System.getenv().getOrDefault("PATH", "") + File.pathSeparator + "/usr/local/bin:/usr/bin:/bin";
            for (String dir : path.split(File.pathSeparator)) {
                Path p = dir.isEmpty() ? null : Path.of(dir, tool);
                if (p != null && Files.isRegularFile(p) && Files.isExecutable(p)) {
                    found = p;
                    break;
                }
            }
        }
        if (found == null) {
            throw new IllegalArgumentException(what + " '" + tool + "' is not installed or not executable (" + install
                    + ", or name it with 'interpreter')");
        }
        try {
            return found.toRealPath();
        } catch (IOException e) {
            throw new IllegalArgumentException(what + " '" + tool + "' cannot be resolved: " + e.getMessage(), e);
        }
    }

    /** The installation a tool at {@code real} lives in ({@code /usr} for {@code /usr/bin/node}). */
    static Path installation(Path real) {
        Path bin = real.getParent();
        return bin.getParent() != null ? bin.getParent() : bin;
    }
}
