package org.align4j.examples.code;

import java.util.List;
import org.align4j.policy.util.BadInputException;

/**
 * Small built-in programming tasks with unit tests and reference solutions, the same sixteen problems in
 * Python and in Java (see {@link CodeTask} for the two test formats). They are meant for smoke runs of
 * code rewards: short, unambiguous, with tests that reject the common wrong answers (off-by-one, wrong edge
 * case).
 */
public final class CodeTasks {

    public static final String PYTHON = "python";
    public static final String JAVA = "java";

    private CodeTasks() {
    }

    /** The tasks of "python" or "java". */
    public static List<CodeTask> forLanguage(String language) {
        return switch (language) {
            case PYTHON -> python();
            case JAVA -> java();
            default -> throw new BadInputException("unknown language '" + language + "' (expected python or java)");
        };
    }

    public static List<CodeTask> python() {
        return List.of(
                py("add", "Write a function add(a, b) that returns the sum of the integers a and b.",
                        "def add(a, b):\n    return a + b",
                        "assert add(1, 2) == 3", "assert add(-4, 4) == 0", "assert add(0, 7) == 7"),
                py("max_of_three", "Write a function max_of_three(a, b, c) that returns the largest of three integers.",
                        "def max_of_three(a, b, c):\n    return max(a, b, c)",
                        "assert max_of_three(1, 2, 3) == 3", "assert max_of_three(9, 2, 3) == 9",
                        "assert max_of_three(-1, -5, -3) == -1"),
                py("factorial", "Write a function factorial(n) that returns n! for an integer n >= 0 (0! is 1).",
                        "def factorial(n):\n    r = 1\n    for i in range(2, n + 1):\n        r *= i\n    return r",
                        "assert factorial(0) == 1", "assert factorial(1) == 1", "assert factorial(5) == 120"),
                py("is_even", "Write a function is_even(n) that returns True if the integer n is even, else False.",
                        "def is_even(n):\n    return n % 2 == 0",
                        "assert is_even(4) is True", "assert is_even(7) is False", "assert is_even(0) is True"),
                py("reverse_string", "Write a function reverse_string(s) that returns the string s reversed.",
                        "def reverse_string(s):\n    return s[::-1]",
                        "assert reverse_string('abc') == 'cba'", "assert reverse_string('') == ''",
                        "assert reverse_string('a') == 'a'"),
                py("count_vowels",
                        "Write a function count_vowels(s) that returns how many of the letters a, e, i, o, u the"
                                + " lowercase string s contains.",
                        "def count_vowels(s):\n    return sum(1 for ch in s if ch in 'aeiou')",
                        "assert count_vowels('hello') == 2", "assert count_vowels('xyz') == 0",
                        "assert count_vowels('aeiou') == 5"),
                py("sum_list", "Write a function sum_list(xs) that returns the sum of a list of integers (0 if empty).",
                        "def sum_list(xs):\n    total = 0\n    for x in xs:\n        total += x\n    return total",
                        "assert sum_list([1, 2, 3]) == 6", "assert sum_list([]) == 0", "assert sum_list([-1, 1, 5]) == 5"),
                py("fibonacci",
                        "Write a function fibonacci(n) that returns the n-th Fibonacci number, where fibonacci(0) is 0"
                                + " and fibonacci(1) is 1.",
                        "def fibonacci(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a",
                        "assert fibonacci(0) == 0", "assert fibonacci(1) == 1", "assert fibonacci(10) == 55"),
                py("is_palindrome",
                        "Write a function is_palindrome(s) that returns True if the string s reads the same backwards,"
                                + " else False.",
                        "def is_palindrome(s):\n    return s == s[::-1]",
                        "assert is_palindrome('level') is True", "assert is_palindrome('ab') is False",
                        "assert is_palindrome('') is True"),
                py("gcd", "Write a function gcd(a, b) that returns the greatest common divisor of two positive integers.",
                        "def gcd(a, b):\n    while b:\n        a, b = b, a % b\n    return a",
                        "assert gcd(12, 18) == 6", "assert gcd(7, 5) == 1", "assert gcd(10, 10) == 10"),
                py("is_prime", "Write a function is_prime(n) that returns True if the integer n is a prime number, else False.",
                        "def is_prime(n):\n    if n < 2:\n        return False\n    i = 2\n    while i * i <= n:\n"
                                + "        if n % i == 0:\n            return False\n        i += 1\n    return True",
                        "assert is_prime(2) is True", "assert is_prime(1) is False", "assert is_prime(9) is False",
                        "assert is_prime(13) is True"),
                py("count_positive", "Write a function count_positive(xs) that returns how many numbers in the list xs are greater than 0.",
                        "def count_positive(xs):\n    return sum(1 for x in xs if x > 0)",
                        "assert count_positive([1, -2, 3, 0]) == 2", "assert count_positive([]) == 0",
                        "assert count_positive([-1, -2]) == 0"),
                py("digit_sum", "Write a function digit_sum(n) that returns the sum of the decimal digits of an integer n >= 0.",
                        "def digit_sum(n):\n    total = 0\n    while n > 0:\n        total += n % 10\n        n //= 10\n    return total",
                        "assert digit_sum(123) == 6", "assert digit_sum(0) == 0", "assert digit_sum(9005) == 14"),
                py("fizzbuzz",
                        "Write a function fizzbuzz(n) that returns 'FizzBuzz' if n is divisible by 15, 'Fizz' if by 3,"
                                + " 'Buzz' if by 5, and otherwise n as a string.",
                        "def fizzbuzz(n):\n    if n % 15 == 0:\n        return 'FizzBuzz'\n    if n % 3 == 0:\n"
                                + "        return 'Fizz'\n    if n % 5 == 0:\n        return 'Buzz'\n    return str(n)",
                        "assert fizzbuzz(15) == 'FizzBuzz'", "assert fizzbuzz(9) == 'Fizz'", "assert fizzbuzz(10) == 'Buzz'",
                        "assert fizzbuzz(7) == '7'"),
                py("square_all", "Write a function square_all(xs) that returns a new list with the square of each number in xs.",
                        "def square_all(xs):\n    return [x * x for x in xs]",
                        "assert square_all([1, 2, 3]) == [1, 4, 9]", "assert square_all([]) == []",
                        "assert square_all([-2]) == [4]"),
                py("smallest", "Write a function smallest(xs) that returns the smallest number in a non-empty list xs.",
                        "def smallest(xs):\n    m = xs[0]\n    for x in xs:\n        if x < m:\n            m = x\n    return m",
                        "assert smallest([3, 1, 2]) == 1", "assert smallest([5]) == 5", "assert smallest([-1, -7, 0]) == -7"));
    }

    public static List<CodeTask> java() {
        return List.of(
                java("add", "static int add(int a, int b)", "returns the sum of a and b.",
                        "return a + b;",
                        "Solution.add(1, 2) == 3", "Solution.add(-4, 4) == 0", "Solution.add(0, 7) == 7"),
                java("max_of_three", "static int maxOfThree(int a, int b, int c)", "returns the largest of the three.",
                        "return Math.max(a, Math.max(b, c));",
                        "Solution.maxOfThree(1, 2, 3) == 3", "Solution.maxOfThree(9, 2, 3) == 9",
                        "Solution.maxOfThree(-1, -5, -3) == -1"),
                java("factorial", "static long factorial(int n)", "returns n! for n >= 0 (0! is 1).",
                        "long r = 1;\n        for (int i = 2; i <= n; i++) {\n            r *= i;\n        }\n        return r;",
                        "Solution.factorial(0) == 1L", "Solution.factorial(1) == 1L", "Solution.factorial(5) == 120L",
                        "Solution.factorial(20) == 2432902008176640000L"),
                java("is_even", "static boolean isEven(int n)", "returns true if n is even.",
                        "return n % 2 == 0;",
                        "Solution.isEven(4)", "!Solution.isEven(7)", "Solution.isEven(0)", "!Solution.isEven(-3)"),
                java("reverse_string", "static String reverseString(String s)", "returns s reversed.",
                        "return new StringBuilder(s).reverse().toString();",
                        "Solution.reverseString(\"abc\").equals(\"cba\")", "Solution.reverseString(\"\").equals(\"\")",
                        "Solution.reverseString(\"a\").equals(\"a\")"),
                java("count_vowels", "static int countVowels(String s)",
                        "returns how many of the letters a, e, i, o, u the lowercase string s contains.",
                        "int n = 0;\n        for (char ch : s.toCharArray()) {\n            if (\"aeiou\".indexOf(ch) >= 0) {\n"
                                + "                n++;\n            }\n        }\n        return n;",
                        "Solution.countVowels(\"hello\") == 2", "Solution.countVowels(\"xyz\") == 0",
                        "Solution.countVowels(\"aeiou\") == 5"),
                java("sum_list", "static int sumArray(int[] xs)", "returns the sum of the numbers in xs (0 if empty).",
                        "int total = 0;\n        for (int x : xs) {\n            total += x;\n        }\n        return total;",
                        "Solution.sumArray(new int[] {1, 2, 3}) == 6", "Solution.sumArray(new int[] {}) == 0",
                        "Solution.sumArray(new int[] {-1, 1, 5}) == 5"),
                java("fibonacci", "static long fibonacci(int n)",
                        "returns the n-th Fibonacci number, where fibonacci(0) is 0 and fibonacci(1) is 1.",
                        "long a = 0;\n        long b = 1;\n        for (int i = 0; i < n; i++) {\n            long t = a + b;\n"
                                + "            a = b;\n            b = t;\n        }\n        return a;",
                        "Solution.fibonacci(0) == 0L", "Solution.fibonacci(1) == 1L", "Solution.fibonacci(10) == 55L"),
                java("is_palindrome", "static boolean isPalindrome(String s)", "returns true if s reads the same backwards.",
                        "return new StringBuilder(s).reverse().toString().equals(s);",
                        "Solution.isPalindrome(\"level\")", "!Solution.isPalindrome(\"ab\")", "Solution.isPalindrome(\"\")"),
                java("gcd", "static int gcd(int a, int b)", "returns the greatest common divisor of two positive integers.",
                        "while (b != 0) {\n            int t = a % b;\n            a = b;\n            b = t;\n        }\n        return a;",
                        "Solution.gcd(12, 18) == 6", "Solution.gcd(7, 5) == 1", "Solution.gcd(10, 10) == 10"),
                java("is_prime", "static boolean isPrime(int n)", "returns true if n is a prime number.",
                        "if (n < 2) {\n            return false;\n        }\n        for (int i = 2; i * i <= n; i++) {\n"
                                + "            if (n % i == 0) {\n                return false;\n            }\n        }\n"
                                + "        return true;",
                        "Solution.isPrime(2)", "!Solution.isPrime(1)", "!Solution.isPrime(9)", "Solution.isPrime(13)"),
                java("count_positive", "static int countPositive(int[] xs)", "returns how many numbers in xs are greater than 0.",
                        "int n = 0;\n        for (int x : xs) {\n            if (x > 0) {\n                n++;\n            }\n"
                                + "        }\n        return n;",
                        "Solution.countPositive(new int[] {1, -2, 3, 0}) == 2", "Solution.countPositive(new int[] {}) == 0",
                        "Solution.countPositive(new int[] {-1, -2}) == 0"),
                java("digit_sum", "static int digitSum(int n)", "returns the sum of the decimal digits of n >= 0.",
                        "int total = 0;\n        while (n > 0) {\n            total += n % 10;\n            n /= 10;\n        }\n"
                                + "        return total;",
                        "Solution.digitSum(123) == 6", "Solution.digitSum(0) == 0", "Solution.digitSum(9005) == 14"),
                java("fizzbuzz", "static String fizzbuzz(int n)",
                        "returns \"FizzBuzz\" if n is divisible by 15, \"Fizz\" if by 3, \"Buzz\" if by 5, and otherwise"
                                + " n as a string.",
                        "if (n % 15 == 0) {\n            return \"FizzBuzz\";\n        }\n        if (n % 3 == 0) {\n"
                                + "            return \"Fizz\";\n        }\n        if (n % 5 == 0) {\n            return \"Buzz\";\n"
                                + "        }\n        return Integer.toString(n);",
                        "Solution.fizzbuzz(15).equals(\"FizzBuzz\")", "Solution.fizzbuzz(9).equals(\"Fizz\")",
                        "Solution.fizzbuzz(10).equals(\"Buzz\")", "Solution.fizzbuzz(7).equals(\"7\")"),
                java("square_all", "static int[] squareAll(int[] xs)",
                        "returns a new array with the square of each number in xs.",
                        "int[] out = new int[xs.length];\n        for (int i = 0; i < xs.length; i++) {\n"
                                + "            out[i] = xs[i] * xs[i];\n        }\n        return out;",
                        "java.util.Arrays.equals(Solution.squareAll(new int[] {1, 2, 3}), new int[] {1, 4, 9})",
                        "Solution.squareAll(new int[] {}).length == 0",
                        "java.util.Arrays.equals(Solution.squareAll(new int[] {-2}), new int[] {4})"),
                java("smallest", "static int smallest(int[] xs)", "returns the smallest number in the non-empty array xs.",
                        "int m = xs[0];\n        for (int x : xs) {\n            if (x < m) {\n                m = x;\n            }\n"
                                + "        }\n        return m;",
                        "Solution.smallest(new int[] {3, 1, 2}) == 1", "Solution.smallest(new int[] {5}) == 5",
                        "Solution.smallest(new int[] {-1, -7, 0}) == -7"));
    }

    private static CodeTask py(String name, String prompt, String solution, String... tests) {
        return new CodeTask("py-" + name, prompt, List.of(tests), PYTHON, solution);
    }

    /** A Java task: the method goes in class Solution; body is the method's statements at 8 spaces. */
    private static CodeTask java(String name, String signature, String does, String body, String... tests) {
        String prompt = "Write a Java class Solution with a method " + signature + " that " + does;
        String solution = "class Solution {\n    " + signature + " {\n        " + body + "\n    }\n}";
        return new CodeTask("java-" + name, prompt, List.of(tests), JAVA, solution);
    }
}
