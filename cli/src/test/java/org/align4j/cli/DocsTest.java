package org.align4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * README.md and docs/*.md cannot rot: every relative link (file and #anchor) resolves, and every
 * {@code ./align4j ...} command of their code blocks parses against the real command tree (not run).
 */
class DocsTest {

    private static final Pattern LINK = Pattern.compile("!?\\[([^\\]]*)]\\(([^)\\s]+)(?:\\s+\"[^\"]*\")?\\)");
    private static final Pattern HTML_ANCHOR = Pattern.compile("<a\\s+(?:name|id)=\"([^\"]+)\"");

    private final Path root = ConfigReference.findRepoRoot();
    private final Map<Path, Set<String>> anchors = new HashMap<>();

    private List<Path> pages() throws IOException {
        List<Path> pages = new ArrayList<>();
        pages.add(root.resolve("README.md"));
        try (Stream<Path> docs = Files.list(root.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        return pages;
    }

    @Test
    void everyRelativeLinkResolves() throws IOException {
        List<String> broken = new ArrayList<>();
        int checked = 0;
        for (Path page : pages()) {
            List<String> lines = Files.readAllLines(page);
            boolean fence = false;
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                if (line.strip().startsWith("```")) {
                    fence = !fence;
                    continue;
                }
                if (fence) {
                    continue;
                }
                Matcher m = LINK.matcher(withoutInlineCode(line));
                while (m.find()) {
                    checked++;
                    String problem = check(page, m.group(2));
                    if (problem != null) {
                        broken.add(root.relativize(page) + ":" + (i + 1) + ": " + m.group(0) + ": " + problem);
                    }
                }
            }
        }
        assertTrue(checked > 20, "found only " + checked + " links in the docs");
        assertTrue(broken.isEmpty(), "broken links:\n" + String.join("\n", broken));
    }

    /** Null when target (relative to page) resolves, else why not. */
    private String check(Path page, String target) throws IOException {
        if (target.matches("^[a-zA-Z][a-zA-Z0-9+.-]*:.*")) {
            return null; // http:, https:, mailto: (not checked: CI has no network to rely on)
        }
        int hash = target.indexOf('#');
        String file = hash < 0 ? target : target.substring(0, hash);
        String anchor = hash < 0 ? null : target.substring(hash + 1);
        Path resolved = file.isEmpty() ? page : page.getParent().resolve(file).normalize();
        if (!Files.exists(resolved)) {
            return "no file " + root.relativize(resolved);
        }
        if (anchor != null && !anchor.isEmpty()) {
            if (!resolved.toString().endsWith(".md")) {
                return null; // a line anchor in a source file (#L10) is GitHub's, not checkable here
            }
            if (!anchorsOf(resolved).contains(anchor)) {
                return "no heading #" + anchor + " in " + root.relativize(resolved);
            }
        }
        return null;
    }

    /** GitHub's heading anchors of a markdown file (lower case, punctuation dropped, spaces to -, -1 for repeats). */
    private Set<String> anchorsOf(Path md) throws IOException {
        Set<String> cached = anchors.get(md);
        if (cached != null) {
            return cached;
        }
        Set<String> out = new LinkedHashSet<>();
        Map<String, Integer> seen = new HashMap<>();
        boolean fence = false;
        for (String line : Files.readAllLines(md)) {
            if (line.strip().startsWith("```")) {
                fence = !fence;
                continue;
            }
            if (fence) {
                continue;
            }
            Matcher a = HTML_ANCHOR.matcher(line);
            while (a.find()) {
                out.add(a.group(1));
            }
            Matcher h = Pattern.compile("^#{1,6}\\s+(.*?)\\s*#*\\s*$").matcher(line);
            if (h.matches()) {
                String base = githubAnchor(h.group(1));
                int n = seen.merge(base, 1, Integer::sum) - 1;
                out.add(n == 0 ? base : base + "-" + n);
            }
        }
        anchors.put(md, out);
        return out;
    }

    static String githubAnchor(String heading) {
        String text = heading.replaceAll("\\[([^\\]]*)]\\([^)]*\\)", "$1").replace("`", "");
        return text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
    }

    private static String withoutInlineCode(String line) {
        return line.replaceAll("`[^`]*`", "");
    }

    @Test
    void everyShownCommandParses() throws IOException {
        List<String> bad = new ArrayList<>();
        int checked = 0;
        for (Path page : pages()) {
            List<String> lines = Files.readAllLines(page);
            boolean fence = false;
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                if (line.strip().startsWith("```")) {
                    fence = !fence;
                    continue;
                }
                String start = line.strip().replaceFirst("^\\$\\s+", "");
                if (!fence || !start.startsWith("./align4j")) {
                    continue;
                }
                int first = i;
                StringBuilder command = new StringBuilder();
                String part = start;
                while (part.endsWith("\\") && i + 1 < lines.size()) {
                    command.append(part, 0, part.length() - 1).append(' ');
                    part = lines.get(++i).strip();
                }
                command.append(part);
                List<String> words = shellWords(command.toString());
                if (words.isEmpty() || !words.get(0).equals("./align4j")) {
                    continue;
                }
                checked++;
                String error = parse(words.subList(1, words.size()));
                if (error != null) {
                    bad.add(root.relativize(page) + ":" + (first + 1) + ": " + command + "\n    " + error);
                }
            }
        }
        assertTrue(checked > 10, "found only " + checked + " ./align4j commands in the docs");
        assertTrue(bad.isEmpty(), "commands the CLI does not accept:\n" + String.join("\n", bad));
    }

    /** Null when args parse against the command tree, else Picocli's message. */
    private static String parse(List<String> args) {
        try {
            Align4j.commandLine().parseArgs(args.toArray(String[]::new));
            return null;
        } catch (CommandLine.ParameterException e) {
            return e.getMessage();
        }
    }

    /**
     * The words of a shell command line up to its end, a comment, a pipe, a redirection or a command separator;
     * single and double quotes group, $VAR and $(...) stay literal (a word is all Picocli needs to see).
     */
    static List<String> shellWords(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    w.append(c);
                }
                continue;
            }
            if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
                continue;
            }
            if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(w.toString());
                    w.setLength(0);
                    inWord = false;
                }
                continue;
            }
            if (!inWord && (c == '#' || c == '|' || c == '>' || c == '<' || c == ';' || c == '&')) {
                break;
            }
            if (!inWord && Character.isDigit(c) && i + 1 < line.length() && line.charAt(i + 1) == '>') {
                break; // 2> file
            }
            w.append(c);
            inWord = true;
        }
        if (inWord) {
            words.add(w.toString());
        }
        return words;
    }

    @Test
    void brokenLinksAndCommandsAreCaught(@org.junit.jupiter.api.io.TempDir Path dir) throws IOException {
        Path page = Files.writeString(dir.resolve("page.md"), "# Training runs\n\n## Keys\n");
        assertEquals(null, check(page, "#training-runs"));
        assertEquals(null, check(page, "page.md#keys"));
        assertTrue(check(page, "#training").startsWith("no heading #training"));
        assertTrue(check(page, "other.md").startsWith("no file"));
        assertEquals(null, parse(List.of("sft", "--list-keys")));
        assertTrue(parse(List.of("sft", "--no-such-option")) != null);
        assertTrue(parse(List.of("no-such-command")) != null);
    }

    @Test
    void helpersFollowGithubAndTheShell() {
        assertEquals("training-runs", githubAnchor("Training runs"));
        assertEquals("rewards-the-reward-spi-math-rule-rewards-and-sandboxed-unit-tests",
                githubAnchor("Rewards: the reward SPI, math rule rewards and sandboxed unit tests"));
        assertEquals(List.of("./align4j", "sft", "--set", "a=b c"), shellWords("./align4j sft --set 'a=b c' # note"));
        assertEquals(List.of("./align4j", "demo"), shellWords("./align4j demo 2> err.txt | tee out"));
    }
}
