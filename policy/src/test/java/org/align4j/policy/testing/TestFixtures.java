package org.align4j.policy.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * The test fixtures every module shares, kept once in policy's test resources and reached through policy's
 * test-jar ({@code <type>test-jar</type>}): the tiny byte-level tokenizer ({@code tiny_tokenizer}), the
 * 16-token arithmetic tokenizer ({@code arith}) and the tiny Hugging Face model ({@code hf/model_llama}),
 * with {@link org.align4j.policy.model.GradCheck} beside them.
 *
 * <p>A fixture is a directory of files that loaders open by path. In a reactor run up to {@code test} Maven
 * puts policy's test-classes directory on the classpath, but after {@code package} (as in {@code mvn verify})
 * the test-jar itself; then the directory is unpacked once per JVM into a temporary directory.
 */
public final class TestFixtures {

    private static final Map<String, Path> UNPACKED = new HashMap<>();

    private TestFixtures() {
    }

    /** The tiny byte-level BPE tokenizer: &lt;pad&gt;=0 &lt;s&gt;=1 &lt;/s&gt;=2, bytes at 3..258, vocabulary 266. */
    public static Path tinyTokenizer() {
        return dir("tiny_tokenizer");
    }

    /** The 16-token arithmetic tokenizer (digits, + = #, space, newline, &lt;/s&gt;=15). */
    public static Path arithTokenizer() {
        return dir("arith");
    }

    /** A model directory of the Hugging Face fixtures, e.g. "model_llama" (config.json, model.safetensors). */
    public static Path hfModel(String name) {
        return dir("hf/" + name);
    }

    /** The classpath directory name (e.g. "tiny_tokenizer") as a directory on disk. */
    public static synchronized Path dir(String name) {
        String resource = name.endsWith("/") ? name : name + "/";
        URL url = TestFixtures.class.getClassLoader().getResource(resource);
        if (url == null) {
            throw new IllegalStateException("no test fixture '" + name + "' on the classpath (is align4j-policy's "
                    + "test-jar a test dependency of this module?)");
        }
        try {
            if (url.getProtocol().equals("file")) {
                return Paths.get(url.toURI());
            }
            if (url.getProtocol().equals("jar")) {
                Path cached = UNPACKED.get(resource);
                if (cached == null) {
                    cached = unpack((JarURLConnection) url.openConnection(), resource);
                    UNPACKED.put(resource, cached);
                }
                return cached;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        throw new IllegalStateException("test fixture '" + name + "' at " + url + ": neither a file nor a jar entry");
    }

    private static Path unpack(JarURLConnection connection, String resource) throws IOException {
        connection.setUseCaches(false);
        Path root = Files.createTempDirectory("align4j-fixture");
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(root)));
        try (JarFile jar = connection.getJarFile()) {
            Enumeration<JarEntry> entries = jar.entries();
            while (entries.hasMoreElements()) {
                JarEntry e = entries.nextElement();
                if (!e.getName().startsWith(resource) || e.isDirectory()) {
                    continue;
                }
                Path target = root.resolve(e.getName());
                Files.createDirectories(target.getParent());
                try (InputStream in = jar.getInputStream(e)) {
                    Files.copy(in, target);
                }
            }
        }
        return root.resolve(resource);
    }

    private static void deleteTree(Path root) {
        try (var paths = Files.walk(root)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a leftover temporary directory is harmless
        }
    }
}
