package org.align4j.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;

/** Enum option values written in lower case ({@code --mode all}), with an error listing the choices. */
abstract class LowerCaseEnumConverter<E extends Enum<E>> implements CommandLine.ITypeConverter<E> {

    private final Class<E> type;

    LowerCaseEnumConverter(Class<E> type) {
        this.type = type;
    }

    @Override
    public E convert(String value) {
        List<String> names = new ArrayList<>();
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(value.trim())) {
                return e;
            }
            names.add(e.name().toLowerCase(Locale.ROOT));
        }
        throw new CommandLine.TypeConversionException("'" + value + "' is not one of " + String.join(", ", names));
    }
}
