package org.align4j.rollout;

/**
 * Multi-turn sampling on one KV cache: called when a sequence ends its turn with EOS, it returns the tokens
 * that answer the turn (a tool result and the opening of the next assistant turn), which the sampler appends
 * to the sequence's cache (no prefill of the conversation again) before sampling goes on, or null when the
 * sequence is done. Called on the sampling thread.
 */
public interface TurnEnds {

    /**
     * @param sequence the sequence's index in the request: prompt index * num_generations + index in its group
     * @param ids      its completion so far, ending with the EOS that ended the turn
     * @return the answer's tokens, or null to end the sequence
     */
    int[] answer(int sequence, int[] ids);
}
