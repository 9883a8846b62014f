package org.align4j.reward.code;

import java.io.Serializable;

/**
 * The outcome of one unit test.
 *
 * @param test    the test as given
 * @param passed  whether it passed
 * @param detail  why it failed ({@code AssertionError}, {@code not run: timeout}, ...); empty when passed
 */
public record TestResult(String test, boolean passed, String detail) implements Serializable {
    private static final long serialVersionUID = 1L;
}
