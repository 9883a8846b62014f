package org.align4j.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import java.util.Optional;
import org.align4j.reward.math.FinalAnswer;
import org.align4j.reward.math.MathAnswerReward;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code align4j reward math}: the math answer reward for one completion, as JSON. */
@Command(name = "math",
        mixinStandardHelpOptions = true,
        description = {"Checks the final answer of a math completion and prints the reward as JSON.",
                "Extracts the final answer of a completion (\\boxed{...}, '#### N' or 'The answer is N') and compares "
                        + "it with the reference as an exact number (integers, decimals, fractions, \\frac, thousands "
                        + "separators). Prints {\"reward\": 1.0 or 0.0, \"extracted\": the answer or null, "
                        + "\"marker\": boxed, hashes, answer_is or null}."},
        footer = {"", "Examples:",
                "  printf '3 + 5 = 8.\\n8 - 2 = 6.\\n#### 6' > answer.txt",
                "  ./align4j reward math --completion answer.txt --answer 6",
                "  # {\"reward\":1.0,\"extracted\":\"6\",\"marker\":\"hashes\"}"})
public final class RewardMathCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--completion", required = true, paramLabel = "FILE",
            description = "Text file with the completion ('-' reads standard input).")
    String completion;

    @Option(names = "--answer", required = true, paramLabel = "X",
            description = "The reference answer, e.g. 6, -3/4, 1,250 or \\frac{1}{2}.")
    String answer;

    @Override
    public void run() {
        String text = CliFiles.readText(completion, "completion");
        Optional<FinalAnswer> extracted = FinalAnswer.extract(text);
        boolean correct = extracted.isPresent() && MathAnswerReward.sameAnswer(extracted.get().text(), answer);
        ObjectNode out = new ObjectMapper().createObjectNode();
        out.put("reward", correct ? 1.0 : 0.0);
        out.put("extracted", extracted.map(FinalAnswer::text).orElse(null));
        out.put("marker", extracted.map(a -> a.marker().name().toLowerCase(Locale.ROOT)).orElse(null));
        spec.commandLine().getOut().println(out);
        spec.commandLine().getOut().flush();
    }
}
