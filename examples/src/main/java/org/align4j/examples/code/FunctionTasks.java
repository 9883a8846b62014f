package org.align4j.examples.code;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.IntFunction;
import org.align4j.policy.train.Rng;
import org.align4j.policy.util.BadInputException;

/**
 * Short Python function tasks for the code demo: a spec in words and one example call, e.g.
 * <pre>
 * Write f(x): multiply x by 3, then add 1. Example: f(2) == 7
 * </pre>
 * answered by a one-line function ({@code def f(x):\n    return x * 3 + 1}). Seventeen templates over integers,
 * strings and lists, with small constants drawn per task (a in 2..5, b in 1..4, a word of four), 140 functions in
 * all; each task has four assert tests (the example and three other inputs, chosen so that returning the
 * example's output fails at least one). A prompt is train-side or test-side by a seeded hash of its text, as the
 * math problems are, so no held-out prompt (example call and tests) is ever trained on; the functions are shared,
 * because a model this small, trained this briefly, learns the functions it sees rather than copying constants
 * into code (with the split by function, held-out Pass@1 was 2%: the right template with a constant it had seen).
 * Output is a pure function of the seed.
 */
public final class FunctionTasks {

    private static final int MAX_MISSES = 50_000;
    /** The words of the string templates' constant {w}. */
    private static final List<String> WORDS = List.of("ab", "xy", "ok", "zz");
    private static final int TESTS = 4;

    /** The kind of argument a template's function takes. */
    private enum Arg {
        INT("x"), STR("s"), LIST("xs");

        final String name;

        Arg(String name) {
            this.name = name;
        }
    }

    /** A function family: its spec and code with constants {a}, {b} ({w}: a two-letter word) and what it computes. */
    private record Template(String key, Arg arg, String spec, String code, Eval eval) {
    }

    @FunctionalInterface
    private interface Eval {
        Object apply(Object input, int a, int b, String w);
    }

    private static final List<Template> TEMPLATES = List.of(
            new Template("mul_add", Arg.INT, "multiply x by {a}, then add {b}", "x * {a} + {b}",
                    (x, a, b, w) -> (int) x * a + b),
            new Template("add_mul", Arg.INT, "add {a} to x, then multiply by {b}", "(x + {a}) * {b}",
                    (x, a, b, w) -> ((int) x + a) * b),
            new Template("sub_mul", Arg.INT, "subtract {a} from x, then multiply by {b}", "(x - {a}) * {b}",
                    (x, a, b, w) -> ((int) x - a) * b),
            new Template("mul_sub", Arg.INT, "multiply x by {a}, then subtract {b}", "x * {a} - {b}",
                    (x, a, b, w) -> (int) x * a - b),
            new Template("square_add", Arg.INT, "square x, then add {a}", "x * x + {a}",
                    (x, a, b, w) -> (int) x * (int) x + a),
            new Template("mod_add", Arg.INT, "take the remainder of x divided by {a}, then add {b}", "x % {a} + {b}",
                    (x, a, b, w) -> Math.floorMod((int) x, a) + b),
            new Template("div_add", Arg.INT, "divide x by {a} rounding down, then add {b}", "x // {a} + {b}",
                    (x, a, b, w) -> Math.floorDiv((int) x, a) + b),
            new Template("repeat", Arg.STR, "repeat s {a} times", "s * {a}",
                    (s, a, b, w) -> ((String) s).repeat(a)),
            new Template("append", Arg.STR, "append '{w}' to s", "s + '{w}'",
                    (s, a, b, w) -> s + w),
            new Template("prepend", Arg.STR, "put '{w}' before s", "'{w}' + s",
                    (s, a, b, w) -> w + s),
            new Template("upper_append", Arg.STR, "make s upper case, then append '{w}'", "s.upper() + '{w}'",
                    (s, a, b, w) -> ((String) s).toUpperCase(Locale.ROOT) + w),
            new Template("reverse_repeat", Arg.STR, "reverse s, then repeat it {a} times", "s[::-1] * {a}",
                    (s, a, b, w) -> new StringBuilder((String) s).reverse().toString().repeat(a)),
            new Template("map_mul", Arg.LIST, "multiply each element of xs by {a}", "[v * {a} for v in xs]",
                    (xs, a, b, w) -> map((int[]) xs, v -> v * a)),
            new Template("map_add", Arg.LIST, "add {a} to each element of xs", "[v + {a} for v in xs]",
                    (xs, a, b, w) -> map((int[]) xs, v -> v + a)),
            new Template("filter_gt", Arg.LIST, "keep the elements of xs greater than {a}", "[v for v in xs if v > {a}]",
                    (xs, a, b, w) -> filter((int[]) xs, a)),
            new Template("sum_mul", Arg.LIST, "sum xs, then multiply by {a}", "sum(xs) * {a}",
                    (xs, a, b, w) -> sum((int[]) xs) * a),
            new Template("len_add", Arg.LIST, "count the elements of xs, then add {a}", "len(xs) + {a}",
                    (xs, a, b, w) -> ((int[]) xs).length + a));

    private FunctionTasks() {
    }

    /** The number of templates (function families). */
    public static int templates() {
        return TEMPLATES.size();
    }

    /** {@code n} train-side tasks (distinct prompts) for {@code seed}, ids {@code code-train-s<seed>-<i>}. */
    public static List<FunctionTask> train(long seed, int n) {
        return generate(seed, n, false, new Rng(seed * 31 + 1));
    }

    /** {@code n} test-side tasks (distinct prompts), none of which is a train-side prompt. */
    public static List<FunctionTask> test(long seed, int n) {
        return generate(seed, n, true, new Rng(seed * 31 + 2));
    }

    /** Whether a prompt is held out for {@code seed}: about one in five. */
    static boolean heldOut(long seed, String prompt) {
        long h = seed * 0x9E3779B97F4A7C15L + prompt.hashCode();
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        return Math.floorMod(h, 5) == 0;
    }

    private static List<FunctionTask> generate(long seed, int n, boolean testSide, Rng rng) {
        if (n < 0) {
            throw new BadInputException("number of tasks must be >= 0, got " + n);
        }
        String prefix = "code-" + (testSide ? "test" : "train") + "-s" + seed + "-";
        List<FunctionTask> out = new ArrayList<>(n);
        Set<String> seen = new HashSet<>();
        int misses = 0;
        while (out.size() < n) {
            if (misses >= MAX_MISSES) {
                throw new BadInputException("found only " + out.size() + " distinct " + (testSide ? "test" : "train")
                        + "-side function tasks; ask for fewer than " + n);
            }
            FunctionTask t = draw(rng, prefix + out.size());
            if (t == null || heldOut(seed, t.prompt()) != testSide || !seen.add(t.prompt())) {
                misses++;
                continue;
            }
            misses = 0;
            out.add(t);
        }
        return out;
    }

    /** One task of a random template, or null when its inputs cannot tell the function from a constant. */
    static FunctionTask draw(Rng rng, String id) {
        Template t = TEMPLATES.get(rng.nextInt(TEMPLATES.size()));
        int a = 2 + rng.nextInt(4);
        int b = 1 + rng.nextInt(4);
        String w = WORDS.get(rng.nextInt(WORDS.size()));
        String function = t.key() + "(" + (t.spec().contains("{w}") ? w : "")
                + (t.spec().contains("{a}") ? "a=" + a : "") + (t.spec().contains("{b}") ? ",b=" + b : "") + ")";
        List<Object> inputs = new ArrayList<>(TESTS);
        Set<String> inputTexts = new HashSet<>();
        while (inputs.size() < TESTS) {
            Object in = input(t.arg(), rng);
            if (inputTexts.add(literal(in))) {
                inputs.add(in);
            }
        }
        String exampleOut = literal(t.eval().apply(inputs.get(0), a, b, w));
        List<String> tests = new ArrayList<>(TESTS);
        boolean constantFails = false;
        for (Object in : inputs) {
            String expected = literal(t.eval().apply(in, a, b, w));
            constantFails |= !expected.equals(exampleOut);
            tests.add("assert f(" + literal(in) + ") == " + expected);
        }
        if (!constantFails) {
            return null;
        }
        String spec = fill(t.spec(), a, b, w);
        String prompt = "Write f(" + t.arg().name + "): " + spec + ". Example: f(" + literal(inputs.get(0)) + ") == "
                + exampleOut + "\n";
        String solution = "def f(" + t.arg().name + "):\n    return " + fill(t.code(), a, b, w);
        return new FunctionTask(id, prompt, solution, tests, solution, false, function, exampleOut);
    }

    private static Object input(Arg arg, Rng rng) {
        return switch (arg) {
            case INT -> rng.nextInt(30);
            case STR -> {
                int len = 2 + rng.nextInt(3);
                StringBuilder s = new StringBuilder();
                for (int i = 0; i < len; i++) {
                    s.append((char) ('a' + rng.nextInt(26)));
                }
                yield s.toString();
            }
            case LIST -> {
                int[] xs = new int[2 + rng.nextInt(3)];
                for (int i = 0; i < xs.length; i++) {
                    xs[i] = rng.nextInt(10);
                }
                yield xs;
            }
        };
    }

    /** The Python literal of an int, a lowercase/uppercase string or a list of ints. */
    static String literal(Object v) {
        if (v instanceof Integer i) {
            return Integer.toString(i);
        }
        if (v instanceof String s) {
            return "'" + s + "'";
        }
        int[] xs = (int[]) v;
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < xs.length; i++) {
            sb.append(i == 0 ? "" : ", ").append(xs[i]);
        }
        return sb.append(']').toString();
    }

    private static String fill(String s, int a, int b, String w) {
        return s.replace("{a}", Integer.toString(a)).replace("{b}", Integer.toString(b)).replace("{w}", w);
    }

    private static int[] map(int[] xs, IntFunction<Integer> f) {
        int[] out = new int[xs.length];
        for (int i = 0; i < xs.length; i++) {
            out[i] = f.apply(xs[i]);
        }
        return out;
    }

    private static int[] filter(int[] xs, int a) {
        return java.util.Arrays.stream(xs).filter(v -> v > a).toArray();
    }

    private static int sum(int[] xs) {
        return java.util.Arrays.stream(xs).sum();
    }
}
