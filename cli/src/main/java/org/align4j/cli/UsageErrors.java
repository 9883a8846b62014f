package org.align4j.cli;

import picocli.CommandLine;

/**
 * A usage error (unknown option, missing or malformed value) is the one-line problem and a pointer to the
 * command's --help, not the whole help page, which would push the problem off the screen.
 */
final class UsageErrors implements CommandLine.IParameterExceptionHandler {
    @Override
    public int handleParseException(CommandLine.ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        String path = cl.getCommandSpec().qualifiedName();
        cl.getErr().println(path + ": error: " + ex.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(ex, cl.getErr());
        cl.getErr().println("Try './" + path + " --help'.");
        cl.getErr().flush();
        return cl.getCommandSpec().exitCodeOnInvalidInput();
    }
}
