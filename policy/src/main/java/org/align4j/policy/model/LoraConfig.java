package org.align4j.policy.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import org.align4j.policy.util.BadInputException;

/**
 * The settings of a LoRA adapter, as PEFT's LoraConfig holds them (and writes them to adapter_config.json).
 * Target modules follow PEFT's matching: a list of names matches a module whose name equals an entry or ends with
 * "." + entry; a single string other than "all-linear" is a regular expression that must match the whole module
 * name; "all-linear" is every linear layer except the LM head (and, in DeepSeekMoE, the router, which is not a
 * linear layer in transformers either).
 *
 * @param r            rank (> 0)
 * @param alpha        lora_alpha: the update is scaled by alpha / r (alpha / sqrt(r) with rsLoRA)
 * @param dropout      lora_dropout, applied to the adapter's input in training passes
 * @param useRslora    scale by alpha / sqrt(r) (rank-stabilised LoRA)
 * @param targets      module names (or one regular expression, or "all-linear")
 * @param targetRegex  whether targets is one regular expression (PEFT's target_modules given as a string)
 */
public record LoraConfig(int r, double alpha, double dropout, boolean useRslora, List<String> targets,
                         boolean targetRegex) {
    public static final String ALL_LINEAR = "all-linear";

    public LoraConfig {
        targets = List.copyOf(targets);
        if (r <= 0) {
            throw new BadInputException("lora_r must be a positive rank, got " + r);
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new BadInputException("lora_dropout must be in [0, 1), got " + dropout);
        }
        if (!Double.isFinite(alpha)) {
            throw new BadInputException("lora_alpha must be a number, got " + alpha);
        }
        if (targets.isEmpty()) {
            throw new BadInputException("lora_target_modules must name at least one module");
        }
        if (targetRegex) {
            try {
                Pattern.compile(targets.get(0));
            } catch (PatternSyntaxException e) {
                throw new BadInputException("lora_target_modules: bad regular expression '" + targets.get(0) + "': "
                        + e.getDescription());
            }
        }
    }

    /** PEFT's default targets for Llama and Qwen2 when none are given (TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING). */
    public static List<String> defaultTargets(ModelConfig model) {
        if (model.mla != null) {
            throw new BadInputException("lora_target_modules: PEFT has no default targets for DeepSeek models; "
                    + "set lora_target_modules (for example all-linear)");
        }
        return List.of("q_proj", "v_proj");
    }

    /** The factor of the update B A x. */
    public double scale() {
        return useRslora ? alpha / Math.sqrt(r) : alpha / r;
    }

    boolean allLinear() {
        return !targetRegex && targets.size() == 1 && targets.get(0).equals(ALL_LINEAR);
    }

    /** Whether PEFT would put an adapter on the linear layer with this module name. */
    boolean matches(String module) {
        if (allLinear()) {
            return true;
        }
        if (targetRegex) {
            return Pattern.matches(targets.get(0), module);
        }
        for (String t : targets) {
            if (module.equals(t) || module.endsWith("." + t)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The adapted modules among the model's linear layers; a target name that matches none of them is an error
     * naming it and the names the model has.
     */
    List<String> select(List<String> linearModules) {
        List<String> out = new ArrayList<>();
        for (String m : linearModules) {
            if (matches(m)) {
                out.add(m);
            }
        }
        if (allLinear()) {
            return out;
        }
        List<String> unmatched = new ArrayList<>();
        if (targetRegex) {
            if (out.isEmpty()) {
                unmatched.add(targets.get(0));
            }
        } else {
            for (String t : targets) {
                boolean hit = false;
                for (String m : out) {
                    hit |= m.equals(t) || m.endsWith("." + t);
                }
                if (!hit) {
                    unmatched.add(t);
                }
            }
        }
        if (!unmatched.isEmpty()) {
            throw new BadInputException("lora_target_modules: '" + unmatched.get(0) + "' matches no linear layer of "
                    + "this model (its linear layers: " + String.join(", ", shortNames(linearModules)) + ")");
        }
        return out;
    }

    /** The last component of each module name, once each, in order (q_proj, k_proj, ...). */
    static List<String> shortNames(List<String> modules) {
        List<String> out = new ArrayList<>();
        for (String m : modules) {
            String s = m.substring(m.lastIndexOf('.') + 1);
            if (!out.contains(s)) {
                out.add(s);
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- adapter_config.json

    /** adapter_config.json as PEFT writes it; all-linear is written as the short names of the adapted modules. */
    ObjectNode toPeftJson(List<String> adaptedModules, String baseModel) {
        ObjectMapper m = new ObjectMapper();
        ObjectNode n = m.createObjectNode();
        n.putObject("alpha_pattern");
        n.putNull("auto_mapping");
        if (baseModel == null) {
            n.putNull("base_model_name_or_path");
        } else {
            n.put("base_model_name_or_path", baseModel);
        }
        n.put("bias", "none");
        n.put("fan_in_fan_out", false);
        n.put("inference_mode", true);
        n.put("init_lora_weights", true);
        n.putNull("layers_pattern");
        n.putNull("layers_to_transform");
        if (alpha == Math.rint(alpha) && Math.abs(alpha) < 1e15) {
            n.put("lora_alpha", (long) alpha);
        } else {
            n.put("lora_alpha", alpha);
        }
        n.put("lora_dropout", dropout);
        n.putNull("modules_to_save");
        n.put("peft_type", "LORA");
        n.put("r", r);
        n.putObject("rank_pattern");
        n.putNull("revision");
        if (targetRegex) {
            n.put("target_modules", targets.get(0));
        } else {
            ArrayNode a = n.putArray("target_modules");
            (allLinear() ? shortNames(adaptedModules) : targets).forEach(a::add);
        }
        n.put("task_type", "CAUSAL_LM");
        n.put("use_dora", false);
        n.put("use_rslora", useRslora);
        return n;
    }

    /** Reads adapter_config.json; settings align4j does not implement are refused by name. */
    static LoraConfig readPeft(Path file) {
        JsonNode n;
        try {
            n = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new BadInputException(file + ": cannot read adapter config: " + e.getMessage(), e);
        }
        if (n == null || !n.isObject()) {
            throw new BadInputException(file + ": not a JSON object");
        }
        String type = n.path("peft_type").asText("LORA");
        if (!type.equals("LORA")) {
            throw new BadInputException(file + ": peft_type " + type + " is not supported (LORA only)");
        }
        refuse(file, n, "use_dora", v -> v.asBoolean(false), "DoRA");
        refuse(file, n, "fan_in_fan_out", v -> v.asBoolean(false), "fan_in_fan_out");
        refuse(file, n, "bias", v -> !v.isNull() && !v.asText("none").equals("none"), "trained biases");
        refuse(file, n, "modules_to_save", v -> v.isArray() && v.size() > 0, "modules_to_save");
        refuse(file, n, "rank_pattern", v -> v.isObject() && v.size() > 0, "rank_pattern");
        refuse(file, n, "alpha_pattern", v -> v.isObject() && v.size() > 0, "alpha_pattern");
        refuse(file, n, "layers_to_transform", v -> !v.isNull(), "layers_to_transform");
        refuse(file, n, "lora_bias", v -> v.asBoolean(false), "lora_bias");
        refuse(file, n, "target_parameters", v -> v.isArray() && v.size() > 0, "target_parameters");
        refuse(file, n, "layer_replication", v -> !v.isNull(), "layer_replication");
        refuse(file, n, "exclude_modules", v -> !v.isNull() && !(v.isArray() && v.size() == 0), "exclude_modules");
        JsonNode t = n.path("target_modules");
        List<String> targets = new ArrayList<>();
        boolean regex = false;
        if (t.isTextual()) {
            targets.add(t.asText());
            regex = !t.asText().equals(ALL_LINEAR);
        } else if (t.isArray()) {
            t.forEach(x -> targets.add(x.asText()));
        } else {
            throw new BadInputException(file + ": target_modules must be a list or a string");
        }
        try {
            return new LoraConfig(n.path("r").asInt(8), n.path("lora_alpha").asDouble(8),
                    n.path("lora_dropout").asDouble(0), n.path("use_rslora").asBoolean(false), targets, regex);
        } catch (BadInputException e) {
            throw new BadInputException(file + ": " + e.getMessage(), e);
        }
    }

    private static void refuse(Path file, JsonNode n, String key, java.util.function.Predicate<JsonNode> set,
                               String what) {
        JsonNode v = n.get(key);
        if (v != null && set.test(v)) {
            throw new BadInputException(file + ": " + key + " is set; " + what + " is not supported by align4j's LoRA");
        }
    }
}
