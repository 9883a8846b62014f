package org.align4j.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine;

/** The Maven project version, written into align4j-version.properties by resource filtering at build time. */
final class VersionProvider implements CommandLine.IVersionProvider {

    static final String RESOURCE = "/org/align4j/cli/align4j-version.properties";

    @Override
    public String[] getVersion() {
        return new String[] {"align4j " + version()};
    }

    static String version() {
        try (InputStream in = VersionProvider.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the build");
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
