package org.align4j.policy.tokenizer;

import java.util.List;
import java.util.function.Consumer;

/** Runs pre-tokenizers one after the other; each step cuts the pieces the step before emitted. */
final class SequencePreTokenizer implements PreTokenizer {

    private final PreTokenizer[] steps;

    SequencePreTokenizer(List<PreTokenizer> steps) {
        this.steps = steps.toArray(new PreTokenizer[0]);
    }

    @Override
    public void split(String piece, Consumer<String> out) {
        run(0, piece, out);
    }

    @Override
    public boolean endsWithByteMapping() {
        return steps.length > 0 && steps[steps.length - 1].endsWithByteMapping();
    }

    @Override
    public PreTokenizer withoutFinalByteMapping() {
        PreTokenizer[] copy = steps.clone();
        copy[copy.length - 1] = copy[copy.length - 1].withoutFinalByteMapping();
        return new SequencePreTokenizer(java.util.Arrays.asList(copy));
    }

    private void run(int step, String piece, Consumer<String> out) {
        if (step == steps.length) {
            out.accept(piece);
        } else {
            steps[step].split(piece, p -> run(step + 1, p, out));
        }
    }
}
