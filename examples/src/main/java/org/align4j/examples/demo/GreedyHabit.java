package org.align4j.examples.demo;

/**
 * How a model's greedy completions on the held-out set split between the two habits its SFT data taught (worked
 * solution or bare answer; general function or hard-coded output), and how often each is right: what shows
 * whether RL changed the habit, the skill, or both.
 */
public interface GreedyHabit {

    /** One sentence, e.g. "57 of 200 greedy completions show working (75% right), 143 give a bare answer (40% right)". */
    String describe();
}
