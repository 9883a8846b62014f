package org.align4j.rollout;

/**
 * The text of one completion produced token by token (a tokenizer's streaming decoder; tests use
 * synthetic ones). One instance per completion.
 */
interface TextStream {
    /** The text that this token completes (may be "" while a multi-byte character is unfinished). */
    String next(int id);

    /** Text held back at the end (an unfinished character), "" usually. */
    String finish();
}
