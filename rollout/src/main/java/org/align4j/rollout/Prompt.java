package org.align4j.rollout;

import java.util.Map;

/**
 * One prompt to complete: its token ids, an id that names it in results (the row of a prompts file, a
 * data set key), its text when it came as text, and the data set row it came from (which a multi-turn
 * {@link org.align4j.rollout.tool.Environment} is reset with, e.g. to grade against its answer). Immutable.
 */
public final class Prompt {
    private final String id;
    private final int[] ids;
    private final String text;
    private final Map<String, Object> row;

    /**
     * @param id   names the prompt in results
     * @param ids  token ids, at least one
     * @param text the prompt's text, or null when it was given as ids
     */
    public Prompt(String id, int[] ids, String text) {
        this(id, ids, text, null);
    }

    /**
     * @param row the data set row the prompt came from (not copied; never changed here), or null for none
     */
    public Prompt(String id, int[] ids, String text, Map<String, Object> row) {
        if (id == null) {
            throw new IllegalArgumentException("prompt id must not be null");
        }
        if (ids == null || ids.length == 0) {
            throw new IllegalArgumentException("prompt '" + id + "' is empty");
        }
        this.id = id;
        this.ids = ids.clone();
        this.text = text;
        this.row = row == null ? Map.of() : row;
    }

    public static Prompt ofIds(String id, int... ids) {
        return new Prompt(id, ids, null);
    }

    public String id() {
        return id;
    }

    /** The token ids (a copy). */
    public int[] ids() {
        return ids.clone();
    }

    public int length() {
        return ids.length;
    }

    /** The prompt's text, or null when it was given as ids. */
    public String text() {
        return text;
    }

    /** The data set row the prompt came from; empty when none was given. */
    public Map<String, Object> row() {
        return row;
    }

    /** The ids without a copy, for the sampler, which never writes them. */
    int[] idsView() {
        return ids;
    }

    @Override
    public String toString() {
        return "Prompt[" + id + ", " + ids.length + " tokens]";
    }
}
