package org.align4j.cli;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.FileTime;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * A jar holding no classes whose manifest Class-Path is this JVM's classpath: java and javac follow it, so the
 * launcher script can run the classes under test as if they were the built cli/target/align4j.jar.
 */
final class PathingJar {

    private PathingJar() {
    }

    /** Writes it, dated a minute ahead so that the launcher finds no source newer than it. */
    static Path write(Path jar) throws IOException {
        Files.createDirectories(jar.getParent());
        StringBuilder cp = new StringBuilder();
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!entry.isEmpty()) {
                cp.append(Paths.get(entry).toAbsolutePath().toUri()).append(' ');
            }
        }
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().put(Attributes.Name.CLASS_PATH, cp.toString().strip());
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream ignored = new JarOutputStream(out, manifest)) {
            // the manifest is the whole jar
        }
        Files.setLastModifiedTime(jar, FileTime.fromMillis(System.currentTimeMillis() + 60_000));
        return jar;
    }
}
