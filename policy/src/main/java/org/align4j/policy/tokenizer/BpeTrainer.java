package org.align4j.policy.tokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.Consumer;

/**
 * Learns a byte-level BPE from text: pre-tokenizes it into words, starts from the 256 byte tokens and
 * repeatedly merges the most frequent adjacent pair until the vocabulary is full.
 *
 * <p>Pair counts are kept incrementally: a merge only revisits the words that contain the merged pair
 * (found through a pair-to-words index), subtracting their old pairs and adding their new ones, and
 * a max-heap with lazy invalidation picks the next pair. This makes a 1 MB corpus train in about a
 * second instead of recounting every pair of every word after each merge.
 */
public final class BpeTrainer {

    private final PreTokenizer preTokenizer;
    private final int vocabSize;
    private final int minFrequency;
    private final List<String> specialTokens;
    private final AddedVocabulary specials;

    /** Counts of the distinct pre-tokenized words seen so far (in byte-level form). */
    private final Map<String, long[]> wordCounts = new HashMap<>();

    /**
     * @param preTokenizer the pre-tokenizer the trained tokenizer.json will declare (it must end with ByteLevel)
     * @param vocabSize    total size including the special tokens and the 256 byte tokens
     * @param minFrequency a pair seen fewer times than this is never merged (training stops early)
     */
    BpeTrainer(PreTokenizer preTokenizer, int vocabSize, int minFrequency, List<String> specialTokens) {
        int floor = specialTokens.size() + 256;
        if (vocabSize < floor) {
            throw new IllegalArgumentException("vocab size " + vocabSize + " is below " + floor
                    + " (the " + specialTokens.size() + " special tokens plus 256 byte tokens)");
        }
        this.preTokenizer = preTokenizer;
        this.vocabSize = vocabSize;
        this.minFrequency = Math.max(1, minFrequency);
        this.specialTokens = List.copyOf(specialTokens);
        List<AddedToken> asTokens = new ArrayList<>();
        for (int i = 0; i < specialTokens.size(); i++) {
            asTokens.add(AddedToken.special(i, specialTokens.get(i)));
        }
        this.specials = new AddedVocabulary(asTokens);
    }

    /**
     * A trainer for align4j's tokenizer format ({@link TrainedTokenizerFormat}): DeepSeek-style
     * pre-tokenization with single digits, and the special tokens bos, eos, pad, system, user, assistant.
     */
    public static BpeTrainer deepSeekStyle(int vocabSize) {
        return new BpeTrainer(TrainedTokenizerFormat.preTokenizer(), vocabSize, 2, TrainedTokenizerFormat.SPECIAL_TOKENS);
    }

    /**
     * Adds a text (a document, or a line) of the corpus. Special tokens written in it (e.g. chat markers in
     * rendered conversations) are left out, as the tokenizer will match them whole and never merge them.
     */
    public void add(String text) {
        Consumer<String> count = word -> wordCounts.computeIfAbsent(word, w -> new long[1])[0]++;
        specials.split(text, segment -> preTokenizer.split(segment, count), (token, covered) -> { });
    }

    /**
     * Adds a corpus file, read as UTF-8 (strictly: a file that is not UTF-8 is refused, naming it).
     * The file is one text, so the runs of newlines and indentation between its lines are learned too.
     */
    public void addFile(java.nio.file.Path file) {
        java.nio.charset.CharsetDecoder utf8 = java.nio.charset.StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
        String text;
        try {
            text = utf8.decode(java.nio.ByteBuffer.wrap(java.nio.file.Files.readAllBytes(file))).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException(file + ": not valid UTF-8 text");
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IllegalArgumentException(file + ": no such file");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(file + ": cannot read: " + e.getMessage(), e);
        }
        add(text);
    }

    /** The learned vocabulary and merges. */
    public TrainedBpe train() {
        List<String> vocab = new ArrayList<>(specialTokens);
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < vocab.size(); i++) {
            ids.put(vocab.get(i), i);
        }
        for (int b = 0; b < 256; b++) {
            String t = String.valueOf(ByteLevel.charOf(b));
            ids.put(t, vocab.size());
            vocab.add(t);
        }
        // Words in a fixed order (sorted) so that training is deterministic whatever the hash order.
        String[] wordTexts = wordCounts.keySet().toArray(new String[0]);
        Arrays.sort(wordTexts);
        int[][] words = new int[wordTexts.length][];
        long[] freq = new long[wordTexts.length];
        for (int w = 0; w < wordTexts.length; w++) {
            String text = wordTexts[w];
            words[w] = new int[text.length()];
            for (int i = 0; i < text.length(); i++) {
                words[w][i] = ids.get(String.valueOf(text.charAt(i)));
            }
            freq[w] = wordCounts.get(text)[0];
        }

        PairCounts pairs = new PairCounts();
        for (int w = 0; w < words.length; w++) {
            pairs.addWord(words[w], freq[w], w);
        }
        PriorityQueue<long[]> queue = new PriorityQueue<>(BpeTrainer::byCountThenPair);
        pairs.counts.forEach((pair, count) -> queue.add(new long[] {count[0], pair}));

        List<String[]> merges = new ArrayList<>();
        while (vocab.size() < vocabSize && !queue.isEmpty()) {
            long[] top = queue.poll();
            long pair = top[1];
            long current = pairs.count(pair);
            if (current != top[0]) {
                if (current > 0) {
                    queue.add(new long[] {current, pair}); // stale entry: requeue at its true count
                }
                continue;
            }
            if (current < minFrequency) {
                break;
            }
            int left = (int) (pair >>> 32);
            int right = (int) pair;
            String merged = vocab.get(left) + vocab.get(right);
            Integer newId = ids.get(merged);
            if (newId == null) {
                newId = vocab.size();
                ids.put(merged, newId);
                vocab.add(merged);
            }
            merges.add(new String[] {vocab.get(left), vocab.get(right)});
            Map<Long, Long> before = new HashMap<>();
            for (int w : pairs.wordsWith(pair)) {
                int[] word = words[w];
                if (!contains(word, left, right)) {
                    continue; // the index may list a word that an earlier merge already changed
                }
                pairs.removeWord(word, freq[w], before);
                words[w] = applyMerge(word, left, right, newId);
                pairs.addWord(words[w], freq[w], w);
            }
            pairs.forgetWords(pair);
            // Requeue every pair whose count went up; ones that went down are fixed when popped.
            for (Long p : pairs.touched) {
                long c = pairs.count(p);
                Long old = before.get(p);
                if (c > 0 && (old == null || c > old)) {
                    queue.add(new long[] {c, p});
                }
            }
            pairs.touched.clear();
        }
        Map<String, Integer> vocabMap = new LinkedHashMap<>();
        for (int i = 0; i < vocab.size(); i++) {
            vocabMap.put(vocab.get(i), i);
        }
        Map<String, int[]> segmentation = new HashMap<>();
        for (int w = 0; w < words.length; w++) {
            segmentation.put(wordTexts[w], words[w]);
        }
        return new TrainedBpe(vocabMap, merges, specialTokens, segmentation);
    }

    /** Higher count first; ties go to the smaller (left, right) ids, so results do not depend on hashing. */
    private static int byCountThenPair(long[] a, long[] b) {
        int c = Long.compare(b[0], a[0]);
        return c != 0 ? c : Long.compare(a[1], b[1]);
    }

    private static boolean contains(int[] word, int left, int right) {
        for (int i = 0; i + 1 < word.length; i++) {
            if (word[i] == left && word[i + 1] == right) {
                return true;
            }
        }
        return false;
    }

    /** Replaces each occurrence of (left, right), scanning left to right without overlaps. */
    private static int[] applyMerge(int[] word, int left, int right, int merged) {
        int[] out = new int[word.length];
        int n = 0;
        for (int i = 0; i < word.length; i++) {
            if (i + 1 < word.length && word[i] == left && word[i + 1] == right) {
                out[n++] = merged;
                i++;
            } else {
                out[n++] = word[i];
            }
        }
        return Arrays.copyOf(out, n);
    }

    private static long key(int left, int right) {
        return ((long) left << 32) | (right & 0xFFFFFFFFL);
    }

    /** Weighted counts of adjacent pairs over all words, and which words (may) contain each pair. */
    private static final class PairCounts {
        final Map<Long, long[]> counts = new HashMap<>();
        final Map<Long, IntList> words = new HashMap<>();
        /** Pairs whose count changed since the last merge finished. */
        final java.util.Set<Long> touched = new java.util.HashSet<>();

        long count(long pair) {
            long[] c = counts.get(pair);
            return c == null ? 0 : c[0];
        }

        void addWord(int[] word, long freq, int index) {
            for (int i = 0; i + 1 < word.length; i++) {
                long p = key(word[i], word[i + 1]);
                counts.computeIfAbsent(p, k -> new long[1])[0] += freq;
                IntList list = words.computeIfAbsent(p, k -> new IntList());
                if (list.last() != index) {
                    list.add(index);
                }
                touched.add(p);
            }
        }

        /** Subtracts the word's pairs; {@code before} keeps each pair's count from before this merge. */
        void removeWord(int[] word, long freq, Map<Long, Long> before) {
            for (int i = 0; i + 1 < word.length; i++) {
                long p = key(word[i], word[i + 1]);
                long[] c = counts.get(p);
                before.putIfAbsent(p, c[0]);
                c[0] -= freq;
                touched.add(p);
            }
        }

        int[] wordsWith(long pair) {
            IntList list = words.get(pair);
            return list == null ? new int[0] : list.toArray();
        }

        void forgetWords(long pair) {
            words.remove(pair);
        }
    }

    private static final class IntList {
        private int[] data = new int[4];
        private int size;

        void add(int v) {
            if (size == data.length) {
                data = Arrays.copyOf(data, size * 2);
            }
            data[size++] = v;
        }

        int last() {
            return size == 0 ? -1 : data[size - 1];
        }

        int[] toArray() {
            return Arrays.copyOf(data, size);
        }
    }
}
