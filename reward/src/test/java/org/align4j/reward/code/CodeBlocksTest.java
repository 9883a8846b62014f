package org.align4j.reward.code;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class CodeBlocksTest {

    @Test
    void prefersTheBlockTaggedWithTheLanguage() {
        String text = "Run it:\n```bash\npython x.py\n```\nCode:\n```python\ndef f():\n    return 1\n```\nDone.";
        assertEquals("def f():\n    return 1\n", CodeBlocks.extract(text, Language.PYTHON));
    }

    @Test
    void thenAnUntaggedBlockThenAnyBlock() {
        assertEquals("x = 1\n", CodeBlocks.extract("```bash\nls\n```\n```\nx = 1\n```", Language.PYTHON));
        assertEquals("ls\n", CodeBlocks.extract("```bash\nls\n```", Language.PYTHON));
    }

    @Test
    void withoutFencesTheWholeTextIsCode() {
        assertEquals("def f(): return 1", CodeBlocks.extract("def f(): return 1", Language.PYTHON));
    }

    @Test
    void anUnclosedFenceRunsToTheEnd() {
        assertEquals("class A {}\n", CodeBlocks.extract("Here:\n```java\nclass A {}\n", Language.JAVA));
    }

    @Test
    void tagMatchingIgnoresCase() {
        assertEquals("y = 2\n", CodeBlocks.extract("```\nx = 1\n```\n```Python\ny = 2\n```", Language.PYTHON));
    }
}
