package org.align4j.policy.text.jinja;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.el.TruthyTypeConverter;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.InterpreterFactory;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.objects.date.StrftimeFormatter;
import jinjava.de.odysseus.el.ExpressionFactoryImpl;
import jinjava.de.odysseus.el.tree.TreeBuilder;
import jinjava.javax.el.CompositeELResolver;
import jinjava.javax.el.ExpressionFactory;

import java.time.ZonedDateTime;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Jinja as transformers sets it up for {@code apply_chat_template}, on Jinjava: {@code trim_blocks} and
 * {@code lstrip_blocks}, loop controls ({@code break}/{@code continue}), no kept trailing newline,
 * transformers' {@code tojson} ({@code json.dumps} with {@code ensure_ascii=False}, optional
 * {@code indent}, keys in their order), {@code raise_exception(message)} and {@code strftime_now(format)}.
 * Where Jinjava differs from Jinja in what chat templates use, it is extended here: Python's string
 * methods ({@link PythonStringMethods}), keyword arguments taking whole expressions ({@link JinjaSyntaxBuilder})
 * and the reversing slice {@code [::-1]} (Jinjava's slices have no step; it becomes the {@code reverse} filter).
 * Thread-safe: one instance renders from any thread.
 */
public final class TransformersJinja {

    /** {@code x[::-1]} for a name, a dotted path or a subscript like {@code messages[0].content}. */
    private static final Pattern REVERSE_SLICE = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z_][A-Za-z0-9_]*|\\[[^\\[\\]]*\\])*)\\[::-1\\]");

    private static final ThreadLocal<String> RAISED = new ThreadLocal<>();

    private static final TransformersJinja INSTANCE = new TransformersJinja();

    private final Jinjava jinjava;

    private TransformersJinja() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                // Jinja drops one trailing newline of the template source (done in render); Jinjava's
                // option would drop it from the output instead
                .withKeepTrailingNewline(true)
                .withElResolver(resolver)
                .withInterperterFactory(new PythonOutputInterpreters())
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        // Jinja's whitespace control: {{- and -}} trim like {%- and -%}
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withParseWhitespaceControlStrictly(true)
                        // for k in dict iterates over keys, as in Python
                        .withIterateOverMapKeys(true)
                        .withEvaluateMapKeys(true)
                        .withKeepNullableLoopValues(true)
                        .withHandleBackslashInQuotesOnly(true)
                        // True/False and lists printed as Python prints them
                        .withUsePyishObjectMapper(true)
                        .build())
                .build();
        jinjava = new JinjaJinjava(config);
        jinjava.getGlobalContext().registerFilter(new ToJson());
        jinjava.getGlobalContext().registerTag(new GenerationTag());
        try {
            jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                    TransformersJinja.class.getDeclaredMethod("raiseException", Object.class)));
            jinjava.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now",
                    TransformersJinja.class.getDeclaredMethod("strftimeNow", String.class)));
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The one shared environment. */
    public static TransformersJinja get() {
        return INSTANCE;
    }

    /**
     * Renders {@code template} with {@code variables}.
     *
     * @throws TemplateException with the template's own message when it calls {@code raise_exception},
     *                           or with the engine's first error
     */
    public String render(String template, Map<String, ?> variables) {
        String source = rewriteReverseSlices(dropTrailingNewline(template));
        RAISED.remove();
        RenderResult result = jinjava.renderForResult(source, variables);
        String raised = RAISED.get();
        RAISED.remove();
        if (raised != null) {
            throw new TemplateException(raised);
        }
        for (TemplateError e : result.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                String where = e.getLineno() > 0 ? "line " + e.getLineno() + ": " : "";
                throw new TemplateException(where + oneLine(e.getMessage()));
            }
        }
        return result.getOutput();
    }

    /** Jinja's {@code keep_trailing_newline=False}: one line break at the end of the source is not output. */
    private static String dropTrailingNewline(String template) {
        if (template.endsWith("\r\n")) {
            return template.substring(0, template.length() - 2);
        }
        if (template.endsWith("\n") || template.endsWith("\r")) {
            return template.substring(0, template.length() - 1);
        }
        return template;
    }

    static String rewriteReverseSlices(String template) {
        Matcher m = REVERSE_SLICE.matcher(template);
        return m.find() ? m.replaceAll("($1|reverse)") : template;
    }

    private static String oneLine(String s) {
        return s == null ? "template error" : s.replaceAll("\\s*\\R\\s*", " ");
    }

    /** {@code raise_exception(message)}: the chat template refuses its input. */
    public static Object raiseException(Object message) {
        String text = String.valueOf(message);
        RAISED.set(text);
        throw new TemplateException(text);
    }

    /** {@code strftime_now(format)}: the current local time in Python's strftime format. */
    public static String strftimeNow(String format) {
        return StrftimeFormatter.format(ZonedDateTime.now(), format, Locale.ENGLISH);
    }

    /** A template refused its input or could not be rendered; the message is the template's own. */
    public static final class TemplateException extends RuntimeException {
        TemplateException(String message) {
            super(message);
        }
    }

    /** transformers' {@code tojson}: {@code json.dumps(x, ensure_ascii=False, indent=indent)}. */
    private static final class ToJson implements Filter {
        @Override
        public String getName() {
            return "tojson";
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
            Integer indent = args.length > 0 && args[0] != null ? Integer.valueOf(args[0].trim()) : null;
            return JsonDumps.dumps(var, indent);
        }

        @Override
        public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
            Object indent = kwargs.containsKey("indent") ? kwargs.get("indent") : (args.length > 0 ? args[0] : null);
            return JsonDumps.dumps(var, indent instanceof Number n ? Integer.valueOf(n.intValue())
                    : indent == null ? null : Integer.valueOf(indent.toString().trim()));
        }
    }

    /**
     * transformers' {@code {% generation %}...{% endgeneration %}} (its AssistantTracker), which marks the
     * assistant's tokens for {@code return_assistant_tokens_mask}: rendered as its content.
     */
    private static final class GenerationTag implements Tag {
        private static final long serialVersionUID = 1L;

        @Override
        public String getName() {
            return "generation";
        }

        @Override
        public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
            StringBuilder out = new StringBuilder();
            for (Node child : tagNode.getChildren()) {
                out.append(child.render(interpreter).getValue());
            }
            return out.toString();
        }
    }

    /** Interpreters that print booleans as Python does ({@code True}, {@code False}). */
    private static final class PythonOutputInterpreters implements InterpreterFactory {
        @Override
        public JinjavaInterpreter newInstance(JinjavaInterpreter orig) {
            return new PythonOutputInterpreter(orig);
        }

        @Override
        public JinjavaInterpreter newInstance(Jinjava application, Context context, JinjavaConfig config) {
            return new PythonOutputInterpreter(application, context, config);
        }
    }

    private static final class PythonOutputInterpreter extends JinjavaInterpreter {
        PythonOutputInterpreter(JinjavaInterpreter orig) {
            super(orig);
        }

        PythonOutputInterpreter(Jinjava application, Context context, JinjavaConfig config) {
            super(application, context, config);
        }

        @Override
        public String getAsString(Object object) {
            if (object instanceof Boolean b) {
                return b ? "True" : "False";
            }
            return super.getAsString(object);
        }
    }

    /** Jinjava whose expressions are parsed by {@link JinjaSyntaxBuilder}. */
    private static final class JinjaJinjava extends Jinjava {
        private final ExpressionFactory factory;

        JinjaJinjava(JinjavaConfig config) {
            super(config);
            Properties p = new Properties();
            p.setProperty(TreeBuilder.class.getName(), JinjaSyntaxBuilder.class.getName());
            factory = new ExpressionFactoryImpl(p, new TruthyTypeConverter());
        }

        @Override
        public ExpressionFactory getExpressionFactory() {
            return factory;
        }
    }
}
