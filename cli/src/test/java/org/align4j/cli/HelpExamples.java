package org.align4j.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import picocli.CommandLine;

/**
 * The examples of every {@code --help} page, and a runner that runs them as a user would in the repository root
 * after {@code ./align4j demo}: {@code main} is started by {@link HelpExamplesTest} in a fresh JVM whose working
 * directory is a scratch copy of that root (examples/configs and a quick demo's runs/demo), so relative paths
 * mean what they mean in a shell. The examples are parsed like a shell would (quotes, $'..', comments, '>',
 * line continuations); echo and printf write their files, ./align4j runs in-process.
 *
 * <p>To keep the test short, trainer examples get {@code --set max_steps=...} (and the settings that go with
 * it) appended, evaluations {@code --limit}; the demo and the benchmarks, minutes by design, are only parsed
 * (the runs start from a {@code demo --quick} made smaller still).
 */
final class HelpExamples {

    /** One example command line of one command's help, as printed (continuations joined). */
    record Example(String command, String line) {
        @Override
        public String toString() {
            return "[" + command + " --help] " + line;
        }
    }

    private HelpExamples() {
    }

    /** Every command of the tree, depth first in the order the help lists them, except picocli's help. */
    static List<CommandLine> commands(CommandLine root) {
        List<CommandLine> out = new ArrayList<>();
        out.add(root);
        for (CommandLine sub : root.getSubcommands().values()) {
            if (!sub.getCommandName().equals("help") && !out.contains(sub)) {
                out.addAll(commands(sub));
            }
        }
        return out.stream().distinct().toList();
    }

    /** The help page as printed on an 80-column terminal. */
    static String help(CommandLine cl) {
        cl.setUsageHelpAutoWidth(false);
        cl.setUsageHelpWidth(80);
        return cl.getUsageMessage(CommandLine.Help.Ansi.OFF);
    }

    /** The lines of the "Examples:" section: indented lines up to the first line that is not. */
    static List<String> exampleLines(String help) {
        List<String> lines = help.lines().toList();
        int start = lines.indexOf("Examples:");
        List<String> out = new ArrayList<>();
        if (start < 0) {
            return out;
        }
        for (String l : lines.subList(start + 1, lines.size())) {
            if (!l.isBlank() && !l.startsWith("  ")) {
                break;
            }
            if (!l.isBlank()) {
                out.add(l);
            }
        }
        return out;
    }

    /** The example commands of one help page: continuation lines joined, comment lines left out. */
    static List<Example> examples(CommandLine cl) {
        List<Example> out = new ArrayList<>();
        String name = cl.getCommandSpec().qualifiedName();
        StringBuilder pending = new StringBuilder();
        for (String l : exampleLines(help(cl))) {
            String s = l.strip();
            if (pending.isEmpty() && s.startsWith("#")) {
                continue;
            }
            if (s.endsWith("\\")) {
                pending.append(s, 0, s.length() - 1);
                continue;
            }
            pending.append(s);
            out.add(new Example(name, pending.toString()));
            pending.setLength(0);
        }
        if (!pending.isEmpty()) {
            throw new IllegalStateException(name + ": an example ends with a continuation: " + pending);
        }
        return out;
    }

    /** A command line split like bash splits it: words, and the file of a '>' redirection. */
    record Words(List<String> words, String stdoutFile) {
    }

    static Words split(String line) {
        List<String> words = new ArrayList<>();
        String redirect = null;
        boolean redirectNext = false;
        StringBuilder w = null;
        int i = 0;
        while (i < line.length()) {
            char c = line.charAt(i);
            if (Character.isWhitespace(c)) {
                if (w != null) {
                    if (redirectNext) {
                        redirect = w.toString();
                        redirectNext = false;
                    } else {
                        words.add(w.toString());
                    }
                    w = null;
                }
                i++;
            } else if (w == null && c == '#') {
                break;
            } else if (w == null && c == '>') {
                redirectNext = true;
                i++;
            } else {
                if (w == null) {
                    w = new StringBuilder();
                }
                if (c == '\'') {
                    int end = line.indexOf('\'', i + 1);
                    w.append(line, i + 1, end);
                    i = end + 1;
                } else if (c == '$' && i + 1 < line.length() && line.charAt(i + 1) == '\'') {
                    int j = i + 2;
                    while (line.charAt(j) != '\'') {
                        if (line.charAt(j) == '\\') {
                            char e = line.charAt(j + 1);
                            w.append(e == 'n' ? '\n' : e == 't' ? '\t' : e);
                            j += 2;
                        } else {
                            w.append(line.charAt(j++));
                        }
                    }
                    i = j + 1;
                } else if (c == '"') {
                    int j = i + 1;
                    while (line.charAt(j) != '"') {
                        if (line.charAt(j) == '\\' && "\"\\$`".indexOf(line.charAt(j + 1)) >= 0) {
                            j++;
                        }
                        w.append(line.charAt(j++));
                    }
                    i = j + 1;
                } else if (c == '\\') {
                    w.append(line.charAt(i + 1));
                    i += 2;
                } else {
                    w.append(c);
                    i++;
                }
            }
        }
        if (w != null) {
            if (redirectNext) {
                redirect = w.toString();
            } else {
                words.add(w.toString());
            }
        }
        return new Words(words, redirect);
    }

    private static final Set<String> PARSE_ONLY = Set.of("demo", "bench", "bench-mla");
    private static final Set<String> TRAINERS = Set.of("sft", "grpo", "dpo", "rm train");

    /** The subcommand path an align4j command line invokes, e.g. "rm train". */
    static String invoked(List<String> args) {
        CommandLine cl = Align4j.commandLine();
        List<CommandLine> parsed = cl.parseArgs(args.toArray(String[]::new)).asCommandLineList();
        String q = parsed.get(parsed.size() - 1).getCommandSpec().qualifiedName();
        return q.equals("align4j") ? "" : q.substring("align4j ".length());
    }

    /** The arguments a test run adds to keep an example short (nothing for the quick ones). */
    static List<String> shortener(String invoked, List<String> args) {
        List<String> extra = new ArrayList<>();
        if (TRAINERS.contains(invoked)) {
            // a resumed run goes one step further than the run it continues
            String steps = args.contains("--resume") ? "3" : "2";
            extra.addAll(List.of("--set", "max_steps=" + steps, "--set", "save_steps=1", "--set", "logging_steps=1"));
        } else if ((invoked.equals("eval") || invoked.equals("rm eval")) && !args.contains("--limit")) {
            extra.addAll(List.of("--limit", "2"));
        }
        return extra;
    }

    /** Runs one example in this JVM's working directory; returns null when it ran, else what went wrong. */
    static String run(Example example) throws IOException {
        Words words = split(example.line());
        List<String> w = words.words();
        String program = w.get(0);
        StringBuilder stdout = new StringBuilder();
        switch (program) {
            case "echo" -> stdout.append(String.join(" ", w.subList(1, w.size()))).append('\n');
            case "printf" -> {
                if (w.size() != 2 || w.get(1).contains("%")) {
                    return "printf examples take one format without %: " + w;
                }
                stdout.append(w.get(1).replace("\\n", "\n"));
            }
            case "./align4j" -> {
                List<String> args = new ArrayList<>(w.subList(1, w.size()));
                String invoked;
                try {
                    invoked = invoked(args);
                } catch (CommandLine.ParameterException e) {
                    return "does not parse: " + e.getMessage();
                }
                if (PARSE_ONLY.contains(invoked.split(" ")[0])) {
                    return null;
                }
                args.addAll(shortener(invoked, args));
                String error = align4j(args, stdout);
                if (error != null) {
                    return error;
                }
            }
            default -> {
                return "an example runs ./align4j, echo or printf, not " + program;
            }
        }
        if (words.stdoutFile() != null) {
            Files.writeString(Path.of(words.stdoutFile()), stdout.toString());
        }
        return null;
    }

    /** Runs align4j in-process; its standard output (picocli's and System.out) goes to {@code stdout}. */
    private static String align4j(List<String> args, StringBuilder stdout) {
        PrintStream saved = System.out;
        ByteArrayOutputStream sysOut = new ByteArrayOutputStream();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit;
        try {
            System.setOut(new PrintStream(sysOut, true, StandardCharsets.UTF_8));
            CommandLine cl = Align4j.commandLine();
            cl.setOut(new PrintWriter(out, true));
            cl.setErr(new PrintWriter(err, true));
            exit = cl.execute(args.toArray(String[]::new));
        } finally {
            System.setOut(saved);
        }
        stdout.append(out).append(sysOut.toString(StandardCharsets.UTF_8));
        return exit == 0 ? null : "exit " + exit + " (" + String.join(" ", args) + "): " + err.toString().strip();
    }

    /**
     * Runs the quick demo into runs/demo, then every example in help order; prints "ok" or "FAILED" per example
     * and exits with the number of failures.
     */
    public static void main(String[] args) throws IOException {
        PrintStream report = System.out;
        long t0 = System.nanoTime();
        // the quick demo made smaller still: only the files matter here, not what the models learn
        String demo = align4j(List.of("demo", "--quick", "--out", "runs/demo", "--set", "train_problems=400",
                "--set", "dev_problems=8", "--set", "test_problems=8", "--set", "sft_steps=20", "--set", "grpo_steps=2",
                "--set", "k=2", "--set", "eval_samples=2"), new StringBuilder());
        report.printf("demo --quick: %s (%.0f s)%n", demo == null ? "ok" : demo, (System.nanoTime() - t0) / 1e9);
        int failed = demo == null ? 0 : 1;
        for (CommandLine cl : commands(Align4j.commandLine())) {
            for (Example e : examples(cl)) {
                long t = System.nanoTime();
                String error = run(e);
                report.printf("%s %s (%.1f s)%s%n", error == null ? "ok" : "FAILED", e, (System.nanoTime() - t) / 1e9,
                        error == null ? "" : ": " + error);
                failed += error == null ? 0 : 1;
            }
        }
        report.flush();
        System.exit(failed);
    }
}
