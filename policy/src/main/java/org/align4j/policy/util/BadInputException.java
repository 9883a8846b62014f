package org.align4j.policy.util;

/**
 * Input the user can fix (a file, a key, a value) is wrong. The message is one line that names the file,
 * line or key, so that the command line can print it alone, without a stack trace.
 */
public class BadInputException extends RuntimeException {

    public BadInputException(String message) {
        super(message);
    }

    public BadInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
