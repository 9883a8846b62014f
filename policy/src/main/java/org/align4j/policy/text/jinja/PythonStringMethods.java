package org.align4j.policy.text.jinja;

import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * The methods of Python's {@code str} that chat templates call ({@code content.startswith('<think>')},
 * {@code text.split('</think>')[-1].lstrip('\n')}, ...), with Python's semantics: Jinjava would otherwise
 * call Java's methods of the same name, where they exist at all ({@code String.split} takes a regular
 * expression and drops trailing empty strings; {@code strip} takes no characters argument).
 */
final class PythonStringMethods extends ELResolver {

    static final Set<String> NAMES = Set.of("startswith", "endswith", "split", "rsplit", "strip", "lstrip", "rstrip",
            "upper", "lower", "title", "capitalize", "replace", "find", "rfind", "count", "join", "splitlines",
            "isdigit", "isalpha", "isalnum", "isspace", "isupper", "islower");

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(base instanceof String s) || !(method instanceof String name) || !NAMES.contains(name)) {
            return null;
        }
        Object[] p = params == null ? new Object[0] : params;
        Object result = call(s, name, p);
        context.setPropertyResolved(true);
        return result;
    }

    private static Object call(String s, String name, Object[] p) {
        return switch (name) {
            case "startswith" -> matchesAny(p, 0, prefix -> s.startsWith(prefix));
            case "endswith" -> matchesAny(p, 0, suffix -> s.endsWith(suffix));
            case "split" -> split(s, str(p, 0), intArg(p, 1, -1));
            case "rsplit" -> rsplit(s, str(p, 0), intArg(p, 1, -1));
            case "strip" -> rstrip(lstrip(s, str(p, 0)), str(p, 0));
            case "lstrip" -> lstrip(s, str(p, 0));
            case "rstrip" -> rstrip(s, str(p, 0));
            case "upper" -> s.toUpperCase(java.util.Locale.ROOT);
            case "lower" -> s.toLowerCase(java.util.Locale.ROOT);
            case "title" -> title(s);
            case "capitalize" -> s.isEmpty() ? s
                    : s.substring(0, 1).toUpperCase(java.util.Locale.ROOT) + s.substring(1).toLowerCase(java.util.Locale.ROOT);
            case "replace" -> replace(s, requireStr(p, 0, name), requireStr(p, 1, name), intArg(p, 2, -1));
            case "find" -> (long) s.indexOf(requireStr(p, 0, name));
            case "rfind" -> (long) s.lastIndexOf(requireStr(p, 0, name));
            case "count" -> count(s, requireStr(p, 0, name));
            case "join" -> join(s, p.length > 0 ? p[0] : null);
            case "splitlines" -> splitlines(s);
            case "isdigit" -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "isalpha" -> !s.isEmpty() && s.chars().allMatch(Character::isLetter);
            case "isalnum" -> !s.isEmpty() && s.chars().allMatch(Character::isLetterOrDigit);
            case "isspace" -> !s.isEmpty() && s.chars().allMatch(PythonStringMethods::isPythonSpace);
            case "isupper" -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toUpperCase(java.util.Locale.ROOT));
            case "islower" -> s.chars().anyMatch(Character::isLetter) && s.equals(s.toLowerCase(java.util.Locale.ROOT));
            default -> throw new IllegalStateException(name);
        };
    }

    /** {@code startswith}/{@code endswith} take a string or a tuple (list) of strings. */
    private static boolean matchesAny(Object[] p, int i, java.util.function.Predicate<String> test) {
        Object arg = p.length > i ? p[i] : null;
        if (arg instanceof Collection<?> options) {
            for (Object o : options) {
                if (o != null && test.test(o.toString())) {
                    return true;
                }
            }
            return false;
        }
        if (arg == null) {
            throw new IllegalArgumentException("startswith/endswith need an argument");
        }
        return test.test(arg.toString());
    }

    static List<String> split(String s, String sep, int maxsplit) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            int n = s.length();
            while (true) {
                while (i < n && isPythonSpace(s.charAt(i))) {
                    i++;
                }
                if (i >= n) {
                    break;
                }
                if (maxsplit >= 0 && out.size() == maxsplit) {
                    out.add(rstrip(s.substring(i), null));
                    break;
                }
                int j = i;
                while (j < n && !isPythonSpace(s.charAt(j))) {
                    j++;
                }
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) {
            throw new IllegalArgumentException("empty separator");
        }
        int from = 0;
        while (maxsplit < 0 || out.size() < maxsplit) {
            int at = s.indexOf(sep, from);
            if (at < 0) {
                break;
            }
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    private static List<String> rsplit(String s, String sep, int maxsplit) {
        if (maxsplit < 0 || sep == null) {
            return split(s, sep, maxsplit);
        }
        List<String> out = new ArrayList<>();
        int end = s.length();
        while (out.size() < maxsplit) {
            int at = s.lastIndexOf(sep, end - sep.length());
            if (at < 0 || end - sep.length() < 0) {
                break;
            }
            out.add(0, s.substring(at + sep.length(), end));
            end = at;
        }
        out.add(0, s.substring(0, end));
        return out;
    }

    static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && strips(s.charAt(i), chars)) {
            i++;
        }
        return s.substring(i);
    }

    static String rstrip(String s, String chars) {
        int j = s.length();
        while (j > 0 && strips(s.charAt(j - 1), chars)) {
            j--;
        }
        return s.substring(0, j);
    }

    private static boolean strips(char c, String chars) {
        return chars == null ? isPythonSpace(c) : chars.indexOf(c) >= 0;
    }

    /** Python's {@code str.isspace} for one character (includes the separators 0x1c-0x1f, unlike Java's). */
    static boolean isPythonSpace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85 || (c >= 0x1c && c <= 0x1f);
    }

    private static String replace(String s, String old, String neu, int count) {
        if (count < 0) {
            return s.replace(old, neu);
        }
        StringBuilder out = new StringBuilder();
        int from = 0;
        for (int k = 0; k < count; k++) {
            int at = s.indexOf(old, from);
            if (at < 0) {
                break;
            }
            out.append(s, from, at).append(neu);
            from = at + old.length();
        }
        return out.append(s.substring(from)).toString();
    }

    private static long count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.length() + 1L;
        }
        long n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            n++;
        }
        return n;
    }

    private static String join(String sep, Object items) {
        if (!(items instanceof Iterable<?> it)) {
            throw new IllegalArgumentException("join needs a list of strings");
        }
        StringBuilder out = new StringBuilder();
        Iterator<?> i = it.iterator();
        while (i.hasNext()) {
            out.append(i.next());
            if (i.hasNext()) {
                out.append(sep);
            }
        }
        return out.toString();
    }

    /** Python's {@code splitlines()}: no empty last line for a trailing line break. */
    private static List<String> splitlines(String s) {
        List<String> out = new ArrayList<>();
        int start = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\n' || c == '\r') {
                out.add(s.substring(start, i));
                if (c == '\r' && i + 1 < s.length() && s.charAt(i + 1) == '\n') {
                    i++;
                }
                start = i + 1;
            }
        }
        if (start < s.length()) {
            out.add(s.substring(start));
        }
        return out;
    }

    private static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean prevCased = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            out.append(prevCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
            prevCased = Character.isLetter(c);
        }
        return out.toString();
    }

    private static String str(Object[] p, int i) {
        return p.length > i && p[i] != null ? p[i].toString() : null;
    }

    private static String requireStr(Object[] p, int i, String method) {
        String s = str(p, i);
        if (s == null) {
            throw new IllegalArgumentException(method + "() needs a string argument");
        }
        return s;
    }

    private static int intArg(Object[] p, int i, int fallback) {
        return p.length > i && p[i] instanceof Number n ? n.intValue() : fallback;
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return false;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
