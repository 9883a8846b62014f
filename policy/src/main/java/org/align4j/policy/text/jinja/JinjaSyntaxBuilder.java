package org.align4j.policy.text.jinja;

import com.hubspot.jinjava.el.ExtendedSyntaxBuilder;
import com.hubspot.jinjava.el.ext.AstNamedParameter;
import com.hubspot.jinjava.el.ext.ExtendedParser;
import jinjava.de.odysseus.el.tree.impl.Builder;
import jinjava.de.odysseus.el.tree.impl.Parser;
import jinjava.de.odysseus.el.tree.impl.Scanner;
import jinjava.de.odysseus.el.tree.impl.ast.AstNode;
import jinjava.de.odysseus.el.tree.impl.ast.AstParameters;

import java.util.ArrayList;
import java.util.List;

/**
 * Jinjava's expression syntax with keyword arguments parsed as Jinja parses them. Jinjava reads
 * {@code name=value} as a binary operator at the level of {@code +}, so in
 * {@code namespace(last=messages|length - 1)} the {@code - 1} applies to the named parameter and the
 * call fails; Jinja takes the whole expression after {@code =} as the value. Here an argument that starts
 * with {@code identifier =} takes a whole expression as its value.
 */
public final class JinjaSyntaxBuilder extends ExtendedSyntaxBuilder {

    private static final long serialVersionUID = 1L;

    public JinjaSyntaxBuilder() {
        super();
    }

    public JinjaSyntaxBuilder(Builder.Feature... features) {
        super(features);
    }

    @Override
    protected Parser createParser(String expression) {
        return new KeywordArgumentParser(this, expression);
    }

    private static final class KeywordArgumentParser extends ExtendedParser {

        KeywordArgumentParser(Builder context, String input) {
            super(context, input);
        }

        @Override
        protected AstParameters params(Scanner.Symbol left, Scanner.Symbol right)
                throws Scanner.ScanException, ParseException {
            consumeToken(left);
            List<AstNode> args = new ArrayList<>();
            AstNode first = argument(false);
            if (first != null) {
                args.add(first);
                while (getToken().getSymbol() == Scanner.Symbol.COMMA) {
                    consumeToken();
                    args.add(argument(true));
                }
            }
            consumeToken(right);
            return createAstParameters(args);
        }

        private AstNode argument(boolean required) throws Scanner.ScanException, ParseException {
            if (getToken().getSymbol() == Scanner.Symbol.IDENTIFIER && "=".equals(lookahead(0).getImage())) {
                String name = consumeToken().getImage();
                consumeToken(); // '='
                return new AstNamedParameter(identifier(name), expr(true));
            }
            return expr(required);
        }
    }
}
