package org.align4j.policy.tokenizer;

/**
 * The post-processor of a {@code tokenizer.json}, applied when encoding with special tokens: adds the
 * template's special tokens (bos and the like) around the encoded text.
 */
interface PostProcessor {

    int[] addSpecialTokens(int[] ids);

    /** ByteLevel's post-processing only trims offsets, so for ids it does nothing. */
    static PostProcessor none() {
        return ids -> ids;
    }

    /**
     * TemplateProcessing's {@code single} template: the ids of each special-token piece, with
     * {@code null} standing for the text's own ids ({@code $A}).
     */
    static PostProcessor template(java.util.List<int[]> pieces) {
        return ids -> {
            int total = 0;
            for (int[] p : pieces) {
                total += p == null ? ids.length : p.length;
            }
            int[] out = new int[total];
            int k = 0;
            for (int[] p : pieces) {
                int[] src = p == null ? ids : p;
                System.arraycopy(src, 0, out, k, src.length);
                k += src.length;
            }
            return out;
        };
    }

    static PostProcessor sequence(java.util.List<PostProcessor> steps) {
        return ids -> {
            int[] out = ids;
            for (PostProcessor p : steps) {
                out = p.addSpecialTokens(out);
            }
            return out;
        };
    }
}
