package org.align4j.policy.train;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The values a string config key accepts, declared next to the field so that the generated config reference
 * ({@code docs/config-reference.md}, {@code --list-keys}) lists them and cannot drift from the parser. The class
 * is either an enum, whose constants lower-cased are the config names (as every config enum's {@code parse}
 * reads them), or a registry: a class with a public no-argument constructor implementing
 * {@code Supplier<? extends Collection<String>>} that returns the registered names. For a list of mappings
 * (e.g. {@code rewards}), the values are those of each entry's {@code type}.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface AllowedValues {
    Class<?> value();
}
