package org.align4j.reward.code;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Takes the code out of a completion written in markdown: the first fenced block tagged with the
 * language, else the first untagged block, else the first block of any tag; a completion without
 * fences is taken as code. An unclosed fence (generation cut off) runs to the end of the text.
 */
public final class CodeBlocks {

    private static final Pattern FENCE = Pattern.compile("(?m)^[ \\t]*```[ \\t]*([\\w+#.-]*)[^\\n]*\\n(.*?)(?:^[ \\t]*```[ \\t]*$|\\z)",
            Pattern.DOTALL);

    private record Block(String tag, String code) {
    }

    private CodeBlocks() {
    }

    public static String extract(String completion, Language language) {
        List<Block> blocks = new ArrayList<>();
        Matcher m = FENCE.matcher(completion);
        while (m.find()) {
            blocks.add(new Block(m.group(1), m.group(2)));
        }
        if (blocks.isEmpty()) {
            return completion;
        }
        for (Block b : blocks) {
            if (language.taggedBy(b.tag)) {
                return b.code;
            }
        }
        for (Block b : blocks) {
            if (b.tag.isEmpty()) {
                return b.code;
            }
        }
        return blocks.get(0).code;
    }
}
