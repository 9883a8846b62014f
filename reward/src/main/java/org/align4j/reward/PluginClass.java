package org.align4j.reward;

import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.List;

/**
 * A user's class named in a config (a tool or an environment), loaded from the classpath that the launcher
 * extends with {@code plugins/*.jar} and {@code ALIGN4J_CLASSPATH}, and made through the first of its public
 * constructors that fits. Errors are one line, without the key (the caller adds it).
 */
final class PluginClass<T> {

    /** Where a user's class goes, for error messages. */
    static final String WHERE = "a jar in plugins/ beside the launcher, or a jar or class folder on ALIGN4J_CLASSPATH";

    private final String name;
    private final Class<? extends T> cls;

    private PluginClass(String name, Class<? extends T> cls) {
        this.name = name;
        this.cls = cls;
    }

    /** Loads {@code name}, which must implement {@code kind}. */
    static <T> PluginClass<T> load(String name, Class<T> kind) {
        ClassLoader loader = Thread.currentThread().getContextClassLoader() != null
                ? Thread.currentThread().getContextClassLoader() : PluginClass.class.getClassLoader();
        Class<?> c;
        try {
            c = Class.forName(name, true, loader);
        } catch (ClassNotFoundException | LinkageError e) {
            throw new IllegalArgumentException("class '" + name + "' not found on the classpath (put it in " + WHERE + ")", e);
        }
        if (!kind.isAssignableFrom(c)) {
            throw new IllegalArgumentException("class '" + name + "' does not implement " + kind.getName());
        }
        return new PluginClass<>(name, c.asSubclass(kind));
    }

    /** Whether the class has a public constructor taking these parameter types. */
    boolean hasConstructor(Class<?>... params) {
        return constructor(params) != null;
    }

    /**
     * A new instance through the first constructor in {@code signatures} that the class has, given the
     * matching argument lists of {@code arguments}.
     */
    T make(List<Class<?>[]> signatures, List<Object[]> arguments) {
        for (int i = 0; i < signatures.size(); i++) {
            Constructor<? extends T> c = constructor(signatures.get(i));
            if (c == null) {
                continue;
            }
            try {
                return c.newInstance(arguments.get(i));
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause();
                throw new IllegalArgumentException("class '" + name + "': constructor failed: "
                        + (cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage()), cause);
            } catch (InstantiationException | IllegalAccessException e) {
                throw new IllegalArgumentException("class '" + name + "' cannot be instantiated: " + e.getMessage(), e);
            }
        }
        List<String> wanted = new ArrayList<>();
        for (Class<?>[] s : signatures) {
            List<String> types = new ArrayList<>();
            for (Class<?> t : s) {
                types.add(t == java.util.Map.class ? "Map<String, Object>" : t.getSimpleName());
            }
            wanted.add("(" + String.join(", ", types) + ")");
        }
        throw new IllegalArgumentException("class '" + name + "' needs a public constructor " + String.join(" or ", wanted));
    }

    private Constructor<? extends T> constructor(Class<?>... params) {
        try {
            return cls.getConstructor(params);
        } catch (NoSuchMethodException e) {
            return null;
        }
    }
}
