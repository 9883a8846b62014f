package org.align4j.cli;

import java.io.PrintWriter;
import java.util.List;
import org.align4j.policy.train.TrainingDivergedException;
import org.align4j.policy.train.TrainingInterruptedException;
import org.align4j.policy.train.TrainingOutOfMemoryException;
import picocli.CommandLine;

/**
 * Bad input is reported as one line naming the file, line or key; the message comes from the
 * exception that found the problem, after the full command path ({@code align4j reward code: error: ...}).
 * Set ALIGN4J_DEBUG=1 for the stack trace.
 */
final class OneLineErrors implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cl, CommandLine.ParseResult parsed) {
        if (System.getenv("ALIGN4J_DEBUG") != null) {
            ex.printStackTrace();
        }
        if (ex instanceof TrainingInterruptedException stop) {
            return interrupted(stop, cl, parsed);
        }
        String msg = ex.getMessage();
        if (msg == null || msg.isBlank()) {
            msg = ex.getClass().getSimpleName();
        }
        cl.getErr().println(cl.getCommandSpec().qualifiedName() + ": error: " + msg);
        if (ex instanceof TrainingOutOfMemoryException) {
            return TrainingOutOfMemoryException.EXIT_CODE;
        }
        return ex instanceof TrainingDivergedException ? TrainingDivergedException.EXIT_CODE : 2;
    }

    /** Names the checkpoint and prints the exact command that resumes the run. */
    private static int interrupted(TrainingInterruptedException stop, CommandLine cl, CommandLine.ParseResult parsed) {
        PrintWriter err = cl.getErr();
        if (stop.checkpoint() == null) {
            err.println(cl.getCommandSpec().qualifiedName() + ": " + stop.signal() + ": stopped before the first step; "
                    + "nothing to resume");
        } else {
            err.println(cl.getCommandSpec().qualifiedName() + ": " + stop.signal() + ": stopped after step " + stop.step()
                    + "; checkpoint " + stop.checkpoint());
            err.println("resume with: " + resumeCommand(parsed.originalArgs()));
        }
        err.flush();
        return stop.exitCode();
    }

    /** The launcher command with the same arguments, plus --resume, quoted for a POSIX shell. */
    static String resumeCommand(List<String> args) {
        StringBuilder sb = new StringBuilder("./align4j");
        for (String a : args) {
            sb.append(' ').append(shellQuote(a));
        }
        if (!args.contains("--resume")) {
            sb.append(" --resume");
        }
        return sb.toString();
    }

    private static String shellQuote(String s) {
        if (!s.isEmpty() && s.matches("[A-Za-z0-9_./=:,+@%-]+")) {
            return s;
        }
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
