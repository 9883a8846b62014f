package org.align4j.policy.tokenizer;

import java.util.Random;

/** Random valid Unicode text weighted towards the characters tokenizers handle specially. */
final class RandomText {

    private static final String INTERESTING = " \t\n\r\u000b\u000c\u0085\u00a0\u2028\u3000\u200b'sSll0123456789٣५"
            + "aZéß你好世界カタ한글Ωж😀👍🏽\u0301\ufeff<|>｜▁.,!?-_";

    private RandomText() {
    }

    static String validUnicode(Random random, int codePoints) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < codePoints; i++) {
            int kind = random.nextInt(4);
            if (kind == 0) {
                int cp;
                do {
                    cp = random.nextInt(0x110000);
                } while (cp >= 0xD800 && cp <= 0xDFFF);
                out.appendCodePoint(cp);
            } else if (kind == 1) {
                out.appendCodePoint(random.nextInt(0x80));
            } else {
                int[] cps = INTERESTING.codePoints().toArray();
                out.appendCodePoint(cps[random.nextInt(cps.length)]);
            }
        }
        return out.toString();
    }
}
