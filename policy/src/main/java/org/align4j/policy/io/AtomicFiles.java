package org.align4j.policy.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Writes files and directories so that a reader (or a resumed run after a crash) sees either the old
 * content or the new one, never a half-written file: content goes to a temporary sibling in the same
 * directory (same file system, so the rename is atomic) and is then moved over the target.
 */
public final class AtomicFiles {

    /** Writes the content of a file; called with a stream that the caller must not close. */
    @FunctionalInterface
    public interface Writer {
        void writeTo(OutputStream out) throws IOException;
    }

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private AtomicFiles() {
    }

    public static void writeString(Path file, String text) {
        writeBytes(file, text.getBytes(StandardCharsets.UTF_8));
    }

    public static void writeBytes(Path file, byte[] bytes) {
        write(file, out -> out.write(bytes));
    }

    /** Writes value as indented JSON (Jackson's default bean mapping). */
    public static void writeJson(Path file, Object value) {
        // non-finite numbers become null with the reason, so every JSON reader can read the file
        write(file, out -> JSON.writeValue(new NonClosing(out), org.align4j.policy.util.FiniteJson.tree(value)));
    }

    /**
     * Streams content into a temporary sibling of file, forces it to disk, then renames it over file.
     * On failure the temporary file is removed and file is left as it was.
     */
    public static void write(Path file, Writer writer) {
        Path target = file.toAbsolutePath();
        Path tmp = tempSibling(target);
        try {
            Files.createDirectories(target.getParent());
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
                writer.writeTo(new NonClosing(out));
                out.flush();
                // Without the force, a power loss after the rename can leave an empty file under the final name.
                channel.force(true);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            deleteQuietly(tmp);
            throw e;
        }
    }

    /**
     * Moves a fully written directory tmpDir to finalDir (same parent file system). When finalDir exists it is
     * first renamed aside and deleted only after tmpDir has taken its place, so a crash never leaves neither.
     */
    public static void replaceDirectory(Path tmpDir, Path finalDir) {
        Path aside = null;
        try {
            if (Files.exists(finalDir)) {
                aside = finalDir.resolveSibling(finalDir.getFileName() + ".old-" + UUID.randomUUID() + ".tmp");
                Files.move(finalDir, aside, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(tmpDir, finalDir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (aside != null && !Files.exists(finalDir)) {
                try {
                    Files.move(aside, finalDir, StandardCopyOption.ATOMIC_MOVE);
                    aside = null;
                } catch (IOException ignored) {
                    // the original stays under its aside name; the error below names the target
                }
            }
            throw new UncheckedIOException("cannot move " + tmpDir + " to " + finalDir + ": " + e.getMessage(), e);
        }
        if (aside != null) {
            deleteRecursively(aside);
        }
    }

    /** Deletes a file or a directory tree; a missing path is not an error. */
    public static void deleteRecursively(Path path) {
        if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(path)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + path + ": " + e.getMessage(), e);
        }
    }

    /** A fresh temporary name next to file; the ".tmp" suffix marks it as never complete. */
    public static Path tempSibling(Path file) {
        return file.resolveSibling("." + file.getFileName() + "." + UUID.randomUUID() + ".tmp");
    }

    private static void deleteQuietly(Path p) {
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // best effort: the temporary name is ignored by every reader
        }
    }

    /** Keeps writers (Jackson, ImageIO) from closing the channel before it is forced to disk. */
    private static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            out.flush();
        }
    }
}
