package org.align4j.grpo;

import java.util.Arrays;
import java.util.List;
import org.align4j.policy.model.CausalLM;
import org.align4j.rollout.Completion;

/**
 * The rollout's router record (DeepSeekMoE: the experts each MoE layer chose for every completion token, see
 * {@link Completion#expertChoices}) laid onto a teacher-forced pass: as expert ids to replay, and as the reference
 * the pass's own routing is compared with (moe/router_mismatch). Completion token t of sequence b was predicted at
 * position promptLength - 1 + t, row b * width + that position of the pass's padded grid.
 */
final class RouterReplay {
    private final int[] promptLengths;
    private final List<Completion> completions;
    private final int width;
    private final int layers;
    private final int k;

    /** Whether any completion carries a router record (false for dense models and tool-use rollouts). */
    static boolean recorded(List<Completion> completions) {
        return completions.stream().anyMatch(c -> c.expertChoices() != null);
    }

    RouterReplay(CausalLM model, int[] promptLengths, List<Completion> completions, int width) {
        this.promptLengths = promptLengths;
        this.completions = completions;
        this.width = width;
        this.layers = model.expertLoad().length;
        this.k = model.expertsPerToken();
    }

    /** Expert ids for the pass [moe layer][row * k + j]: the record where there is one, -1 (route) elsewhere. */
    int[][] replay(int batchRows) {
        int[][] out = new int[layers][batchRows * width * k];
        for (int[] l : out) {
            Arrays.fill(l, -1);
        }
        for (int b = 0; b < completions.size(); b++) {
            int[][] rec = completions.get(b).expertChoices();
            if (rec == null) {
                continue;
            }
            for (int t = 0; t < rec.length; t++) {
                int row = b * width + promptLengths[b] - 1 + t;
                for (int l = 0; l < layers; l++) {
                    System.arraycopy(rec[t], l * k, out[l], row * k, k);
                }
            }
        }
        return out;
    }

    /** {pairs whose expert sets differ, pairs compared} between the record and the pass's choices. */
    long[] mismatch(int[][] choices) {
        long differ = 0;
        long pairs = 0;
        int[] a = new int[k];
        int[] b = new int[k];
        for (int s = 0; s < completions.size(); s++) {
            int[][] rec = completions.get(s).expertChoices();
            if (rec == null) {
                continue;
            }
            for (int t = 0; t < rec.length; t++) {
                int row = s * width + promptLengths[s] - 1 + t;
                for (int l = 0; l < layers; l++) {
                    System.arraycopy(rec[t], l * k, a, 0, k);
                    System.arraycopy(choices[l], row * k, b, 0, k);
                    Arrays.sort(a);
                    Arrays.sort(b);
                    pairs++;
                    if (!Arrays.equals(a, b)) {
                        differ++;
                    }
                }
            }
        }
        return new long[] {differ, pairs};
    }
}
