package org.align4j.examples.math;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.align4j.examples.math.Template.Event;
import org.align4j.examples.math.Template.Opening;
import org.align4j.examples.math.Template.OpeningKind;
import org.align4j.examples.math.Template.Rule;
import org.align4j.policy.train.Rng;

/**
 * Draws one problem of a template: its numbers, its words, its text and its solution. Draws that break a
 * rule (no exact divisor, a result above the difficulty's bound, a text too long) give up and return null;
 * the caller draws again, so the stream of problems stays a pure function of the seed.
 */
final class ProblemWriter {

    /** Longer problems cost a tiny model context for little gain. */
    static final int MAX_WORDS = 40;

    private static final Pattern PLACEHOLDER = Pattern.compile("\\{(\\w+)}");
    private static final long[] BILLS = {5, 10, 20, 50, 100, 200, 500, 1000};

    /** Problem text and solution, before an id is given. */
    record Drawn(String prompt, Solution solution) {
    }

    private final Difficulty d;
    private final Rng rng;

    ProblemWriter(Difficulty d, Rng rng) {
        this.d = d;
        this.rng = rng;
    }

    /** One problem of {@code t} whose solution has exactly {@code steps} steps, or null for a failed draw. */
    Drawn write(Template t, int steps) {
        Map<String, String> vars = new HashMap<>();
        int who = rng.nextInt(Templates.NAMES.size());
        boolean female = who >= Templates.FIRST_FEMALE;
        vars.put("Name", Templates.NAMES.get(who));
        vars.put("He", female ? "She" : "He");
        vars.put("he", female ? "she" : "he");
        vars.put("His", female ? "Her" : "His");
        vars.put("his", female ? "her" : "his");
        vars.put("him", female ? "her" : "him");
        for (Map.Entry<String, List<String>> pool : t.pools().entrySet().stream()
                .sorted(Map.Entry.comparingByKey()).toList()) { // sorted: Map.of iterates in no fixed order
            vars.put(pool.getKey(), pick(pool.getValue()));
        }
        vars.put("cur", vars.get("Name"));
        vars.put("Cur", vars.get("Name"));

        List<Opening> openings = t.openings().stream().filter(o -> o.steps() <= steps).toList();
        if (openings.isEmpty()) {
            return null;
        }
        Opening opening = pick(openings);
        List<Event> events = chooseEvents(t, steps - opening.steps());
        if (events == null) {
            return null;
        }

        List<String> sentences = new ArrayList<>();
        List<Step> solution = new ArrayList<>();
        Step.Operand state;
        long value;
        if (opening.kind() == OpeningKind.GIVEN) {
            value = draw(opening.a(), 0);
            state = new Step.Given(value);
            vars.put("a", Long.toString(value));
        } else {
            long b = draw(opening.b(), 0);
            long a = opening.kind() == OpeningKind.QUOTIENT
                    ? b * between(2, Math.max(2, d.maxOperand() / (int) b))
                    : draw(opening.a(), 0);
            vars.put("a", Long.toString(a));
            vars.put("b", Long.toString(b));
            char op = opening.kind() == OpeningKind.QUOTIENT ? '/' : '*';
            value = Step.apply(op, a, b).orElseThrow();
            state = new Step.Result(0);
            solution.add(new Step(new Step.Given(a), op, new Step.Given(b), fill(opening.line(), vars)));
        }
        sentences.add(fill(opening.sentence(), vars));

        List<String> unusedRelatives = new ArrayList<>(Templates.RELATIVES);
        for (Event e : events) {
            if (!inRange(value)) {
                return null;
            }
            if (e.newPerson()) {
                String relative = unusedRelatives.remove(rng.nextInt(unusedRelatives.size()));
                String cur = vars.get("his") + " " + relative;
                vars.put("prev", vars.get("cur"));
                vars.put("cur", cur);
                vars.put("Cur", Character.toUpperCase(cur.charAt(0)) + cur.substring(1));
            }
            long x = draw(e.x(), value);
            if (x < 0) {
                return null;
            }
            vars.put("x", Long.toString(x));
            Step.Operand given = new Step.Given(x);
            Step step = e.xFirst()
                    ? new Step(given, e.op(), state, fill(e.line(), vars))
                    : new Step(state, e.op(), given, fill(e.line(), vars));
            OptionalLong next = e.xFirst() ? Step.apply(e.op(), x, value) : Step.apply(e.op(), value, x);
            // at least 2 keeps the plural nouns of the lines right ("3 / 3 = 1 pencils")
            if (next.isEmpty() || next.getAsLong() < 2) {
                return null;
            }
            value = next.getAsLong();
            state = new Step.Result(solution.size());
            solution.add(step);
            sentences.add(fill(e.sentence(), vars));
        }
        if (!inRange(value)) {
            return null;
        }
        boolean endsWithFinal = !events.isEmpty() && t.finals().contains(events.get(events.size() - 1));
        if (!endsWithFinal) {
            sentences.add(fill(t.question(), vars));
        }
        String prompt = String.join(" ", sentences);
        if (prompt.split(" ").length > MAX_WORDS) {
            return null;
        }
        return new Drawn(prompt, new Solution(solution));
    }

    /**
     * The events after the opening: middle ones, and half the time (or whenever the middle ones would have to
     * repeat) a final one that asks its own question. Null when the template cannot fill that many steps.
     */
    private List<Event> chooseEvents(Template t, int count) {
        if (count == 0) {
            return List.of();
        }
        boolean withFinal = !t.finals().isEmpty()
                && (rng.nextInt(2) == 0 || (!t.repeatEvents() && count > t.middles().size()));
        int middles = count - (withFinal ? 1 : 0);
        if (!t.repeatEvents() && middles > t.middles().size()) {
            return null;
        }
        if (t.repeatEvents() && middles > Templates.RELATIVES.size()) {
            return null;
        }
        List<Event> out = new ArrayList<>();
        if (t.repeatEvents()) {
            for (int i = 0; i < middles; i++) {
                out.add(pick(t.middles()));
            }
        } else {
            int[] order = rng.permutation(t.middles().size());
            for (int i = 0; i < middles; i++) {
                out.add(t.middles().get(order[i]));
            }
        }
        if (withFinal) {
            out.add(pick(t.finals()));
        }
        return out;
    }

    /** A number by rule given the current quantity; -1 when the rule has no valid choice. */
    private long draw(Rule rule, long state) {
        return switch (rule) {
            case OPERAND -> between(2, d.maxOperand());
            case FACTOR -> between(2, d.maxFactor());
            case BELOW_STATE -> state - 1 < 2 ? -1 : between(2, (int) Math.min(d.maxOperand(), state - 1));
            case DIVISOR -> {
                List<Long> divisors = new ArrayList<>();
                for (long k = 2; k <= d.maxFactor(); k++) {
                    if (state % k == 0) {
                        divisors.add(k);
                    }
                }
                yield divisors.isEmpty() ? -1 : pick(divisors);
            }
            case ROUND_ABOVE -> (state + between(1, d.maxOperand()) + 9) / 10 * 10;
            case BILL -> {
                int first = 0;
                while (first < BILLS.length && BILLS[first] <= state) {
                    first++;
                }
                if (first == BILLS.length) {
                    yield -1;
                }
                // mostly the smallest bill that pays; sometimes the next one, so the change is not always small
                yield first + 1 < BILLS.length && rng.nextInt(3) == 0 ? BILLS[first + 1] : BILLS[first];
            }
        };
    }

    private boolean inRange(long value) {
        return value >= 1 && value <= d.maxValue();
    }

    private int between(int lo, int hi) {
        return lo + rng.nextInt(hi - lo + 1);
    }

    private <T> T pick(List<T> items) {
        return items.get(rng.nextInt(items.size()));
    }

    /** Fills placeholders; {claim} stays for the solution to render. */
    static String fill(String text, Map<String, String> vars) {
        Matcher m = PLACEHOLDER.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String key = m.group(1);
            String v = key.equals("claim") ? Step.CLAIM : vars.get(key);
            if (v == null) {
                throw new IllegalStateException("template text uses {" + key + "} which has no value: " + text);
            }
            m.appendReplacement(out, Matcher.quoteReplacement(v));
        }
        m.appendTail(out);
        return out.toString();
    }
}
