package org.align4j.policy.model;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import org.align4j.policy.io.SafeTensors;
import org.align4j.policy.util.BadInputException;

/**
 * The element type a checkpoint's config.json declares ({@code dtype} in transformers 5, {@code torch_dtype} before),
 * which decides how this engine saves the model again: a bf16 source is saved as BF16 safetensors, anything else as
 * F32 (float16 and float64 sources are computed and saved in float32). Weights are computed in float32 either way;
 * {@code bf16: true} decides how they are held on the GPU.
 */
public enum TorchDtype {
    FLOAT32("float32", SafeTensors.Dtype.F32),
    BFLOAT16("bfloat16", SafeTensors.Dtype.BF16);

    /** The name transformers writes. */
    public final String jsonName;
    /** How a checkpoint of this type stores its tensors. */
    public final SafeTensors.Dtype storage;

    TorchDtype(String jsonName, SafeTensors.Dtype storage) {
        this.jsonName = jsonName;
        this.storage = storage;
    }

    /**
     * The type config.json declares: {@code dtype} wins over {@code torch_dtype}; absent, null or "auto" reads as
     * float32 (transformers' default). An unknown name is refused, naming the key.
     */
    public static TorchDtype of(JsonNode config) {
        String key = config.hasNonNull("dtype") ? "dtype" : "torch_dtype";
        JsonNode v = config.get(key);
        if (v == null || v.isNull()) {
            return FLOAT32;
        }
        String name = v.asText().toLowerCase(Locale.ROOT);
        if (name.startsWith("torch.")) {
            name = name.substring("torch.".length());
        }
        switch (name) {
            case "bfloat16":
                return BFLOAT16;
            case "float32":
            case "float":
            case "float16":
            case "half":
            case "float64":
            case "double":
            case "auto":
                return FLOAT32;
            default:
                throw new BadInputException("config.json: unknown " + key + " '" + v.asText()
                        + "' (known: float32, bfloat16, float16, float64, auto)");
        }
    }
}
