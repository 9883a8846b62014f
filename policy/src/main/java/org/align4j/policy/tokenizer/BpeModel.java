package org.align4j.policy.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * The BPE model of a {@code tokenizer.json}: turns one pre-tokenized piece into token ids by starting
 * from its characters and applying the lowest-ranked merge available, again and again, as Hugging Face
 * does (ties go to the leftmost pair).
 */
final class BpeModel {

    private final Map<String, Integer> vocab;
    private final MergeTable merges;
    /** Ids of one-character tokens for chars below 512, which covers the byte-level alphabet; -1 if absent. */
    private final int[] smallCharIds = new int[512];
    private final boolean ignoreMerges;
    private final boolean byteFallback;
    private final Integer unkId;
    private final boolean fuseUnk;

    BpeModel(Map<String, Integer> vocab, MergeTable merges, boolean ignoreMerges, boolean byteFallback,
             Integer unkId, boolean fuseUnk) {
        this.vocab = vocab;
        this.merges = merges;
        this.ignoreMerges = ignoreMerges;
        this.byteFallback = byteFallback;
        this.unkId = unkId;
        this.fuseUnk = fuseUnk;
        Arrays.fill(smallCharIds, -1);
        for (int c = 0; c < smallCharIds.length; c++) {
            Integer id = vocab.get(String.valueOf((char) c));
            if (id != null) {
                smallCharIds[c] = id;
            }
        }
    }

    Map<String, Integer> vocab() {
        return vocab;
    }

    /** Token ids for {@code piece}. */
    int[] encode(String piece) {
        if (piece.isEmpty()) {
            return new int[0];
        }
        if (ignoreMerges) {
            Integer whole = vocab.get(piece);
            if (whole != null) {
                return new int[] {whole};
            }
        }
        return merge(initialSymbols(piece));
    }

    /** One id per character; unknown characters go to byte-fallback tokens or the unknown token, else are dropped as Hugging Face does. */
    private int[] initialSymbols(String piece) {
        int[] ids = new int[piece.length()];
        int n = 0;
        boolean lastWasUnk = false;
        for (int i = 0; i < piece.length(); ) {
            int cp = piece.codePointAt(i);
            int len = Character.charCount(cp);
            int id = cp < smallCharIds.length ? smallCharIds[cp] : lookup(piece.substring(i, i + len));
            if (id >= 0) {
                ids[n++] = id;
                lastWasUnk = false;
            } else {
                int[] fallback = byteFallback ? byteFallbackIds(piece.substring(i, i + len)) : null;
                if (fallback != null) {
                    if (n + fallback.length > ids.length) {
                        ids = Arrays.copyOf(ids, n + fallback.length + piece.length());
                    }
                    for (int f : fallback) {
                        ids[n++] = f;
                    }
                    lastWasUnk = false;
                } else if (unkId != null) {
                    if (!(fuseUnk && lastWasUnk)) {
                        ids[n++] = unkId;
                    }
                    lastWasUnk = true;
                }
            }
            i += len;
        }
        return n == ids.length ? ids : Arrays.copyOf(ids, n);
    }

    private int lookup(String token) {
        Integer id = vocab.get(token);
        return id == null ? -1 : id;
    }

    private int[] byteFallbackIds(String ch) {
        byte[] bytes = ch.getBytes(StandardCharsets.UTF_8);
        int[] ids = new int[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            int id = lookup(String.format("<0x%02X>", bytes[i] & 0xFF));
            if (id < 0) {
                return null;
            }
            ids[i] = id;
        }
        return ids;
    }

    /**
     * Applies merges in rank order over a linked list of symbols; candidate merges wait in a min-heap
     * keyed by (rank, position), and entries made stale by an earlier merge are skipped when popped.
     */
    private int[] merge(int[] ids) {
        int n = ids.length;
        if (n < 2) {
            return ids;
        }
        int[] next = new int[n];
        int[] prev = new int[n];
        boolean[] gone = new boolean[n];
        for (int i = 0; i < n; i++) {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        long[] heap = new long[n + 8];
        int size = 0;
        for (int i = 0; i + 1 < n; i++) {
            int r = merges.rank(ids[i], ids[i + 1]);
            if (r >= 0) {
                heap[size++] = ((long) r << 32) | i;
            }
        }
        for (int i = size / 2 - 1; i >= 0; i--) {
            siftDown(heap, i, size);
        }
        int remaining = n;
        while (size > 0) {
            long top = heap[0];
            heap[0] = heap[--size];
            siftDown(heap, 0, size);
            int pos = (int) top;
            int rank = (int) (top >>> 32);
            int right = next[pos];
            if (gone[pos] || right < 0 || merges.rank(ids[pos], ids[right]) != rank) {
                continue; // stale: one side was merged into something else since this entry was pushed
            }
            ids[pos] = merges.result(rank);
            gone[right] = true;
            remaining--;
            next[pos] = next[right];
            if (next[pos] >= 0) {
                prev[next[pos]] = pos;
            }
            if (size + 2 > heap.length) {
                heap = Arrays.copyOf(heap, heap.length * 2);
            }
            if (prev[pos] >= 0) {
                int r = merges.rank(ids[prev[pos]], ids[pos]);
                if (r >= 0) {
                    size = push(heap, size, ((long) r << 32) | prev[pos]);
                }
            }
            if (next[pos] >= 0) {
                int r = merges.rank(ids[pos], ids[next[pos]]);
                if (r >= 0) {
                    size = push(heap, size, ((long) r << 32) | pos);
                }
            }
        }
        int[] out = new int[remaining];
        int k = 0;
        for (int i = 0; i >= 0; i = next[i]) {
            out[k++] = ids[i];
        }
        return out;
    }

    private static int push(long[] heap, int size, long value) {
        int i = size;
        heap[i] = value;
        while (i > 0) {
            int parent = (i - 1) >>> 1;
            if (heap[parent] <= heap[i]) {
                break;
            }
            long t = heap[parent];
            heap[parent] = heap[i];
            heap[i] = t;
            i = parent;
        }
        return size + 1;
    }

    private static void siftDown(long[] heap, int i, int size) {
        while (true) {
            int l = 2 * i + 1;
            if (l >= size) {
                return;
            }
            int smallest = l + 1 < size && heap[l + 1] < heap[l] ? l + 1 : l;
            if (heap[i] <= heap[smallest]) {
                return;
            }
            long t = heap[i];
            heap[i] = heap[smallest];
            heap[smallest] = t;
            i = smallest;
        }
    }
}
