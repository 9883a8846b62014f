package org.align4j.cli;

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
        String msg = ex.getMessage();
        if (msg == null || msg.isBlank()) {
            msg = ex.getClass().getSimpleName();
        }
        cl.getErr().println(cl.getCommandSpec().qualifiedName() + ": error: " + msg);
        return 2;
    }
}
