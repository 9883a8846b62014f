package org.align4j.reward.code;

import java.util.Locale;
import java.util.Set;

/** The languages whose code can be run against unit tests, with their markdown fence tags. */
public enum Language {
    PYTHON(Set.of("python", "py", "python3")),
    JAVA(Set.of("java")),
    CPP(Set.of("cpp", "c++", "cc", "cxx")),
    JAVASCRIPT(Set.of("javascript", "js", "node", "nodejs"));

    private final Set<String> fenceTags;

    Language(Set<String> fenceTags) {
        this.fenceTags = fenceTags;
    }

    /** Whether a code fence's info string ({@code ```python}) names this language. */
    public boolean taggedBy(String fenceTag) {
        return fenceTags.contains(fenceTag.toLowerCase(Locale.ROOT));
    }

    /** Lower-case name, as used in configs and on the command line. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
