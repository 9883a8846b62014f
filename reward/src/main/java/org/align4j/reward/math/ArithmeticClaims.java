package org.align4j.reward.math;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the arithmetic claims {@code <expression> = <expression>} in a line of reasoning and
 * recomputes them exactly. Expressions are numbers (with decimals and thousands separators),
 * {@code + - * / × ÷ ·}, {@code x} between numbers, LaTeX {@code \times \cdot \div}, parentheses and
 * unary minus, with the usual precedence; dollar signs are ignored. A claim needs an operator on at
 * least one side ({@code 3 + 5 = 8}, not {@code x = 8}). Words end an expression, so
 * "3 apples + 5 apples = 8 apples" is not checked: guessing what words mean would make false
 * claims look wrong or wrong ones look right.
 *
 * <p>A result written as a decimal with k places counts as correct when it is the exact value
 * rounded half-up to k places ({@code 10 / 3 = 3.33}); that is a rule about what was written, not a
 * tolerance.
 */
final class ArithmeticClaims {

    /** One claim: its source text, both sides' exact values, and whether it holds. */
    record Claim(String text, Rational left, Rational right, boolean holds) {
    }

    private enum Kind { NUM, PLUS, MINUS, TIMES, DIVIDE, LPAREN, RPAREN, EQ, X, OTHER }

    private record Token(Kind kind, int start, int end, Rational value, int decimals) {
        boolean arithmetic() {
            return kind != Kind.EQ && kind != Kind.OTHER && kind != Kind.X;
        }
    }

    private static final Pattern NUMBER = Pattern.compile("\\d{1,3}(?:,\\d{3})+(?:\\.\\d+)?(?![\\d,]\\d)|\\d+(?:\\.\\d+)?");
    private static final Pattern WORD = Pattern.compile("[A-Za-z_]+");
    private static final Pattern COMMAND = Pattern.compile("\\\\([A-Za-z]+|.)?");

    private ArithmeticClaims() {
    }

    static List<Claim> find(String line) {
        List<Token> tokens = tokenize(line);
        List<Claim> claims = new ArrayList<>();
        for (int eq = 0; eq < tokens.size(); eq++) {
            if (tokens.get(eq).kind != Kind.EQ) {
                continue;
            }
            int leftStart = eq;
            while (leftStart > 0 && tokens.get(leftStart - 1).arithmetic()) {
                leftStart--;
            }
            int rightEnd = eq + 1;
            while (rightEnd < tokens.size() && tokens.get(rightEnd).arithmetic()) {
                rightEnd++;
            }
            Side left = longestSuffix(tokens, leftStart, eq);
            Side right = longestPrefix(tokens, eq + 1, rightEnd);
            if (left == null || right == null || (left.operators == 0 && right.operators == 0)) {
                continue;
            }
            String text = line.substring(tokens.get(left.from).start, tokens.get(right.to - 1).end);
            claims.add(new Claim(text, left.value, right.value, holds(left, right)));
        }
        return claims;
    }

    private static boolean holds(Side left, Side right) {
        if (left.value == null || right.value == null) {
            return false; // division by zero
        }
        return left.value.equals(right.value) || roundsTo(left, right) || roundsTo(right, left);
    }

    /** Whether {@code written} is a decimal literal equal to {@code exact} rounded to its places. */
    private static boolean roundsTo(Side exact, Side written) {
        return written.literalDecimals > 0
                && exact.value.round(written.literalDecimals).compareTo(written.value.round(written.literalDecimals)) == 0;
    }

    // ---- one side of a claim ----

    /** A parsed side: tokens [from, to), its value (null after a division by zero). */
    private record Side(int from, int to, Rational value, int operators, int literalDecimals) {
    }

    private static Side longestSuffix(List<Token> tokens, int from, int to) {
        for (int start = from; start < to; start++) {
            Side side = parse(tokens, start, to);
            if (side != null) {
                return side;
            }
        }
        return null;
    }

    private static Side longestPrefix(List<Token> tokens, int from, int to) {
        for (int end = to; end > from; end--) {
            Side side = parse(tokens, from, end);
            if (side != null) {
                return side;
            }
        }
        return null;
    }

    private static Side parse(List<Token> tokens, int from, int to) {
        Parser p = new Parser(tokens, from, to);
        try {
            Rational value = p.expression();
            if (p.pos != to) {
                return null;
            }
            int decimals = to - from == 1 ? tokens.get(from).decimals : 0;
            return new Side(from, to, value, p.operators, decimals);
        } catch (ParseError e) {
            return null;
        } catch (ArithmeticException e) {
            return new Side(from, to, null, Math.max(1, p.operators), 0);
        }
    }

    private static final class ParseError extends Exception {
        ParseError() {
            super(null, null, false, false);
        }
    }

    /** Recursive descent: expression := term (('+'|'-') term)*, term := factor (('*'|'/') factor)*. */
    private static final class Parser {
        private final List<Token> tokens;
        private final int to;
        private int pos;
        private int operators;

        Parser(List<Token> tokens, int from, int to) {
            this.tokens = tokens;
            this.pos = from;
            this.to = to;
        }

        Rational expression() throws ParseError {
            Rational value = term();
            while (pos < to && (peek() == Kind.PLUS || peek() == Kind.MINUS)) {
                Kind op = tokens.get(pos++).kind;
                operators++;
                Rational rhs = term();
                value = op == Kind.PLUS ? value.add(rhs) : value.subtract(rhs);
            }
            return value;
        }

        private Rational term() throws ParseError {
            Rational value = factor();
            while (pos < to && (peek() == Kind.TIMES || peek() == Kind.DIVIDE)) {
                Kind op = tokens.get(pos++).kind;
                operators++;
                Rational rhs = factor();
                value = op == Kind.TIMES ? value.multiply(rhs) : value.divide(rhs);
            }
            return value;
        }

        private Rational factor() throws ParseError {
            if (pos >= to) {
                throw new ParseError();
            }
            Token t = tokens.get(pos++);
            switch (t.kind) {
                case NUM:
                    return t.value;
                case MINUS:
                    return factor().negate();
                case LPAREN: {
                    Rational inner = expression();
                    if (pos >= to || tokens.get(pos++).kind != Kind.RPAREN) {
                        throw new ParseError();
                    }
                    return inner;
                }
                default:
                    throw new ParseError();
            }
        }

        private Kind peek() {
            return tokens.get(pos).kind;
        }
    }

    // ---- tokens ----

    private static List<Token> tokenize(String s) {
        List<Token> out = new ArrayList<>();
        int i = 0;
        while (i < s.length()) {
            char c = s.charAt(i);
            if (Character.isWhitespace(c) || c == '$') {
                i++;
                continue;
            }
            Matcher num = NUMBER.matcher(s).region(i, s.length());
            if (Character.isDigit(c) && num.lookingAt()) {
                String text = num.group();
                int dot = text.indexOf('.');
                out.add(new Token(Kind.NUM, i, num.end(), Rational.of(new BigDecimal(text.replace(",", ""))),
                        dot < 0 ? 0 : text.length() - dot - 1));
                i = num.end();
                continue;
            }
            Matcher word = WORD.matcher(s).region(i, s.length());
            if (word.lookingAt()) {
                out.add(new Token(word.group().equalsIgnoreCase("x") ? Kind.X : Kind.OTHER, i, word.end(), null, 0));
                i = word.end();
                continue;
            }
            if (c == '\\') {
                Matcher cmd = COMMAND.matcher(s).region(i, s.length());
                cmd.lookingAt();
                String name = cmd.group(1) == null ? "" : cmd.group(1);
                Kind kind = switch (name) {
                    case "times", "cdot" -> Kind.TIMES;
                    case "div" -> Kind.DIVIDE;
                    case "$", "left", "right", "(", ")", "[", "]", ",", ";", "!", " " -> null; // layout only
                    default -> Kind.OTHER;
                };
                if (kind != null) {
                    out.add(new Token(kind, i, cmd.end(), null, 0));
                }
                i = cmd.end();
                continue;
            }
            if (c == '=' && i + 1 < s.length() && s.charAt(i + 1) == '=') {
                out.add(new Token(Kind.EQ, i, i + 2, null, 0));
                i += 2;
                continue;
            }
            Kind kind = switch (c) {
                case '+' -> Kind.PLUS;
                case '-', '\u2212', '\u2013' -> Kind.MINUS;
                case '*', '\u00d7', '\u00b7', '\u22c5' -> Kind.TIMES;
                case '/', '\u00f7' -> Kind.DIVIDE;
                case '(' -> Kind.LPAREN;
                case ')' -> Kind.RPAREN;
                case '=' -> Kind.EQ;
                default -> Kind.OTHER;
            };
            out.add(new Token(kind, i, i + 1, null, 0));
            i++;
        }
        return resolveLetterX(out);
    }

    /** "3 x 4" multiplies; any other x is a word. */
    private static List<Token> resolveLetterX(List<Token> tokens) {
        List<Token> out = new ArrayList<>(tokens.size());
        for (int k = 0; k < tokens.size(); k++) {
            Token t = tokens.get(k);
            if (t.kind == Kind.X) {
                boolean afterOperand = k > 0 && (tokens.get(k - 1).kind == Kind.NUM || tokens.get(k - 1).kind == Kind.RPAREN);
                boolean beforeOperand = k + 1 < tokens.size() && (tokens.get(k + 1).kind == Kind.NUM || tokens.get(k + 1).kind == Kind.LPAREN);
                t = new Token(afterOperand && beforeOperand ? Kind.TIMES : Kind.OTHER, t.start, t.end, null, 0);
            }
            out.add(t);
        }
        return out;
    }
}
