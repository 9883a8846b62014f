package org.align4j.examples.math;

import static org.align4j.examples.math.Template.event;
import static org.align4j.examples.math.Template.fromTotal;
import static org.align4j.examples.math.Template.relative;

import java.util.List;
import java.util.Map;
import org.align4j.examples.math.Template.Opening;
import org.align4j.examples.math.Template.OpeningKind;
import org.align4j.examples.math.Template.Rule;

/**
 * The built-in problem families. The wording is deliberately small and repetitive (a few names, a few nouns,
 * one phrasing per event) so that a model of a few hundred thousand parameters with a BPE vocabulary of
 * under a thousand tokens can learn the language quickly and spend its capacity on the arithmetic.
 */
final class Templates {

    /** Names with their pronouns: he/his/him or she/her/her. */
    static final List<String> NAMES = List.of("Tom", "Sam", "Ben", "Max", "Ann", "Mia", "Lily", "Eva");
    static final int FIRST_FEMALE = 4;

    static final List<Template> ALL = List.of(
            new Template("boxes",
                    Map.of("unit", List.of("pencils", "apples", "cards", "stickers"),
                            "box", List.of("boxes", "bags", "packs")),
                    List.of(new Opening(OpeningKind.PRODUCT, Rule.FACTOR, Rule.OPERAND,
                                    "{Name} has {a} {box} of {b} {unit}.", "{Name} has {claim} {unit}."),
                            new Opening(OpeningKind.GIVEN, Rule.OPERAND, null, "{Name} has {a} {unit}.", null)),
                    List.of(event('-', Rule.BELOW_STATE, "{He} gives away {x} {unit}.",
                                    "After giving away {x} {he} has {claim}."),
                            event('+', Rule.OPERAND, "{He} buys {x} more {unit}.",
                                    "After buying {x} more {he} has {claim}."),
                            event('+', Rule.OPERAND, "A friend gives {him} {x} {unit}.",
                                    "After the gift {he} has {claim}.")),
                    List.of(event('/', Rule.DIVISOR,
                            "{He} shares them equally among {x} friends. How many {unit} does each friend get?",
                            "Each friend gets {claim} {unit}.")),
                    "How many {unit} does {he} have now?", false),

            new Template("shopping",
                    Map.of("item", List.of("pens", "cups", "toys", "books"),
                            "thing", List.of("hat", "ball", "bag", "kite")),
                    List.of(new Opening(OpeningKind.PRODUCT, Rule.FACTOR, Rule.OPERAND,
                            "{Name} buys {a} {item} for {b} dollars each.", "The {item} cost {claim} dollars.")),
                    List.of(event('+', Rule.OPERAND, "{He} also buys a {thing} for {x} dollars.",
                                    "With the {thing} it costs {claim} dollars."),
                            event('-', Rule.BELOW_STATE, "{He} has a coupon for {x} dollars off.",
                                    "With the coupon it costs {claim} dollars.")),
                    List.of(fromTotal(Rule.BILL,
                                    "{He} pays with a {x} dollar bill. How many dollars of change does {he} get?",
                                    "The change is {claim} dollars."),
                            event('/', Rule.DIVISOR,
                                    "{x} friends share the cost equally. How many dollars does each friend pay?",
                                    "Each friend pays {claim} dollars.")),
                    "How many dollars does {he} pay?", false),

            new Template("sharing",
                    Map.of("unit", List.of("candies", "cookies", "marbles", "grapes")),
                    List.of(new Opening(OpeningKind.QUOTIENT, Rule.OPERAND, Rule.FACTOR,
                            "{Name} shares {a} {unit} equally among {b} friends.", "Each friend gets {claim} {unit}.")),
                    List.of(event('-', Rule.BELOW_STATE, "Each friend eats {x} {unit}.",
                                    "After eating {x} each friend has {claim}."),
                            event('+', Rule.OPERAND, "Each friend finds {x} more {unit}.",
                                    "After finding {x} more each friend has {claim}.")),
                    List.of(event('/', Rule.DIVISOR,
                            "Each friend puts them equally into {x} cups. How many {unit} are in each cup?",
                            "Each cup has {claim} {unit}.")),
                    "How many {unit} does each friend have now?", false),

            new Template("ages",
                    Map.of(),
                    List.of(new Opening(OpeningKind.GIVEN, Rule.OPERAND, null, "{Name} is {a} years old.", null)),
                    List.of(relative('+', Rule.OPERAND, "{Cur} is {x} years older than {prev}.",
                                    "{Cur} is {claim} years old."),
                            relative('-', Rule.BELOW_STATE, "{Cur} is {x} years younger than {prev}.",
                                    "{Cur} is {claim} years old."),
                            relative('*', Rule.FACTOR, "{Cur} is {x} times as old as {prev}.",
                                    "{Cur} is {claim} years old.")),
                    List.of(event('+', Rule.OPERAND, "How old will {cur} be in {x} years?",
                                    "In {x} years {cur} will be {claim}."),
                            event('-', Rule.BELOW_STATE, "How old was {cur} {x} years ago?",
                                    "{x} years ago {cur} was {claim}.")),
                    "How old is {cur}?", true),

            new Template("distance",
                    Map.of("vehicle", List.of("car", "train", "bus", "bike")),
                    List.of(new Opening(OpeningKind.PRODUCT, Rule.OPERAND, Rule.FACTOR,
                            "A {vehicle} goes {a} km each hour for {b} hours.", "In {b} hours it goes {claim} km.")),
                    List.of(event('+', Rule.OPERAND, "Then it goes {x} km more.",
                                    "After {x} km more it is {claim} km from the start."),
                            event('-', Rule.BELOW_STATE, "Then it goes back {x} km.",
                                    "After going back {x} km it is {claim} km from the start.")),
                    List.of(fromTotal(Rule.ROUND_ABOVE, "The whole trip is {x} km. How many km are left?",
                                    "There are {claim} km left."),
                            event('/', Rule.DIVISOR,
                                    "The way back is cut into {x} equal parts. How many km is each part?",
                                    "Each part is {claim} km.")),
                    "How many km from the start is it now?", false),

            new Template("saving",
                    Map.of("thing", List.of("hat", "ball", "book", "kite"),
                            "goal", List.of("bike", "game", "tent", "drum")),
                    List.of(new Opening(OpeningKind.PRODUCT, Rule.OPERAND, Rule.FACTOR,
                                    "{Name} saves {a} dollars each week for {b} weeks.", "{He} saves {claim} dollars."),
                            new Opening(OpeningKind.GIVEN, Rule.OPERAND, null, "{Name} has {a} dollars.", null)),
                    List.of(event('-', Rule.BELOW_STATE, "{He} spends {x} dollars on a {thing}.",
                                    "After the {thing} {he} has {claim} dollars."),
                            event('+', Rule.OPERAND, "{His} aunt gives {him} {x} dollars.",
                                    "After the gift {he} has {claim} dollars."),
                            event('+', Rule.OPERAND, "{He} earns {x} dollars more.",
                                    "After earning {x} more {he} has {claim} dollars.")),
                    List.of(event('/', Rule.DIVISOR,
                                    "{He} puts the money equally into {x} jars. How many dollars are in each jar?",
                                    "Each jar has {claim} dollars."),
                            fromTotal(Rule.ROUND_ABOVE,
                                    "A {goal} costs {x} dollars. How many more dollars does {he} need?",
                                    "{He} needs {claim} more dollars.")),
                    "How many dollars does {he} have now?", false),

            new Template("school",
                    Map.of(),
                    List.of(new Opening(OpeningKind.PRODUCT, Rule.FACTOR, Rule.OPERAND,
                                    "A school has {a} classes of {b} students.", "There are {claim} students."),
                            new Opening(OpeningKind.GIVEN, Rule.OPERAND, null, "A school has {a} students.", null)),
                    List.of(event('-', Rule.BELOW_STATE, "{x} students are sick.",
                                    "Without the sick ones there are {claim}."),
                            event('+', Rule.OPERAND, "{x} new students join.",
                                    "With the new ones there are {claim}."),
                            event('-', Rule.BELOW_STATE, "{x} students go home early.",
                                    "Without those who went home there are {claim}.")),
                    List.of(event('/', Rule.DIVISOR, "They sit in groups of {x}. How many groups are there?",
                                    "There are {claim} groups."),
                            event('*', Rule.FACTOR, "Each student gets {x} pencils. How many pencils are needed?",
                                    "They need {claim} pencils.")),
                    "How many students are there now?", false));

    /** Relatives for chains of ages, each used at most once per problem. */
    static final List<String> RELATIVES = List.of("brother", "sister", "cousin", "aunt", "uncle", "mother", "father");

    private Templates() {
    }
}
