package org.align4j.examples.math;

/**
 * A DPO row in text form: {@code {"prompt", "chosen", "rejected"}} (the tokenized form the trainer uses is
 * {@code org.align4j.dpo.PreferencePair}).
 */
public record TextPreferencePair(String prompt, String chosen, String rejected) {
}
