package org.align4j.policy.util;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Named implementations of one kind (policy losses, advantage estimators, ...), looked up by the name a config
 * gives, as verl's {@code register_policy_loss} / {@code register_adv_est}. An unknown name is a one-line
 * {@link BadInputException} that names the config key and lists the known names, in registration order.
 *
 * @param <T> what is registered
 */
public final class Registry<T> {
    private final String key;
    private final Function<T, String> nameOf;
    private final Map<String, T> entries = new LinkedHashMap<>();

    /**
     * @param key    the config key whose values are these names (for error messages), e.g. "loss_type"
     * @param nameOf the name an entry is registered under
     */
    public Registry(String key, Function<T, String> nameOf) {
        this.key = key;
        this.nameOf = nameOf;
    }

    /** Adds an entry; a second entry of the same name is refused (registries are append-only). */
    public synchronized Registry<T> register(T entry) {
        String name = nameOf.apply(entry);
        if (entries.containsKey(name)) {
            throw new IllegalArgumentException(key + " '" + name + "' is already registered");
        }
        entries.put(name, entry);
        return this;
    }

    /** The entry of that name; an unknown name lists the known ones. */
    public synchronized T get(String name) {
        T t = name == null ? null : entries.get(name.trim());
        if (t == null) {
            throw new BadInputException("unknown " + key + " '" + name + "' (known: " + String.join(", ", names()) + ")");
        }
        return t;
    }

    public synchronized boolean contains(String name) {
        return entries.containsKey(name);
    }

    /** The known names, in registration order. */
    public synchronized List<String> names() {
        return new ArrayList<>(entries.keySet());
    }

    /** The entries, in registration order. */
    public synchronized List<T> all() {
        return new ArrayList<>(entries.values());
    }

    /** The config key these names are values of. */
    public String key() {
        return key;
    }
}
