package org.align4j.policy.tokenizer;

/**
 * The merges of a BPE model: for a pair of adjacent token ids, the merge's rank (its line in the merges
 * list; lower merges first) and the id of the merged token. An open-addressing hash table on primitive
 * keys, because encoding looks pairs up millions of times.
 */
final class MergeTable {

    private static final long EMPTY = -1L;

    private long[] keys;
    private int[] ranks;
    private int[] results = new int[16];
    private int size;

    MergeTable(int expected) {
        int cap = Integer.highestOneBit(Math.max(4, expected) * 2) * 2;
        keys = new long[cap];
        ranks = new int[cap];
        java.util.Arrays.fill(keys, EMPTY);
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    /** Records merge number {@code rank}; a later rank for the same pair replaces an earlier one. */
    void put(int left, int right, int rank, int result) {
        if (rank >= results.length) {
            results = java.util.Arrays.copyOf(results, Math.max(rank + 1, results.length * 2));
        }
        results[rank] = result;
        if ((size + 1) * 2 > keys.length) {
            grow();
        }
        long k = key(left, right);
        int i = slot(k);
        if (keys[i] == EMPTY) {
            keys[i] = k;
            size++;
        }
        ranks[i] = rank;
    }

    /** The rank of merging {@code left} with {@code right}, or -1 when they do not merge. */
    int rank(int left, int right) {
        long k = key(left, right);
        int mask = keys.length - 1;
        int i = mix(k) & mask;
        while (true) {
            long cur = keys[i];
            if (cur == k) {
                return ranks[i];
            }
            if (cur == EMPTY) {
                return -1;
            }
            i = (i + 1) & mask;
        }
    }

    /** The id of the token merge {@code rank} produces. */
    int result(int rank) {
        return results[rank];
    }

    int size() {
        return size;
    }

    private int slot(long k) {
        int mask = keys.length - 1;
        int i = mix(k) & mask;
        while (keys[i] != EMPTY && keys[i] != k) {
            i = (i + 1) & mask;
        }
        return i;
    }

    private static int mix(long k) {
        long h = k * 0x9E3779B97F4A7C15L;
        return (int) (h ^ (h >>> 29));
    }

    private void grow() {
        long[] oldKeys = keys;
        int[] oldRanks = ranks;
        keys = new long[oldKeys.length * 2];
        ranks = new int[oldKeys.length * 2];
        java.util.Arrays.fill(keys, EMPTY);
        for (int j = 0; j < oldKeys.length; j++) {
            if (oldKeys[j] != EMPTY) {
                int i = slot(oldKeys[j]);
                keys[i] = oldKeys[j];
                ranks[i] = oldRanks[j];
            }
        }
    }
}
