package org.align4j.grpo.loss;

/**
 * The sizes the aggregations divide by.
 *
 * @param completions         completions in the optimizer batch
 * @param tokens              trained tokens (mask 1) in the optimizer batch
 * @param microBatchTokens    trained tokens in the micro-batch being computed
 * @param microBatches        micro-batches in the optimizer batch (gradient accumulation steps)
 * @param maxCompletionLength the configured max_completion_length (Dr. GRPO's constant)
 */
public record BatchShape(int completions, long tokens, long microBatchTokens, int microBatches,
                         int maxCompletionLength) {

    /** One micro-batch that is the whole optimizer batch. */
    public static BatchShape whole(int completions, long tokens, int maxCompletionLength) {
        return new BatchShape(completions, tokens, tokens, 1, maxCompletionLength);
    }

    public BatchShape withMicroBatchTokens(long t) {
        return new BatchShape(completions, tokens, t, microBatches, maxCompletionLength);
    }
}
