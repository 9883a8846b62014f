package org.align4j.rollout.tool;

/** A tool call failed; the message is what the model is told. */
public class ToolException extends Exception {

    public ToolException(String message) {
        super(message);
    }
}
