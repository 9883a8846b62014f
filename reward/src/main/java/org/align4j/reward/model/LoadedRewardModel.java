package org.align4j.reward.model;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import org.align4j.policy.ops.Backends;
import org.align4j.policy.tokenizer.Tokenizer;
import org.align4j.reward.RewardInput;
import org.align4j.reward.RewardParams;

/**
 * A reward model loaded for scoring from a config entry's {@code path}, with its own tokenizer, shared by
 * {@link RewardModelReward} and {@link ProcessRewardModelReward}. Scoring re-tokenizes the text with the
 * reward model's tokenizer (as TRL does when the reward model is a different model), exactly as training
 * encoded it, and runs one forward pass per batch. Calls are serialised: the trunk is not thread-safe.
 */
final class LoadedRewardModel {
    private final RewardModel model;
    private final RewardEncoder encoder;
    private final Path dir;

    LoadedRewardModel(String type, RewardParams params, RewardModelKind expected) {
        if (!params.has("path")) {
            throw new IllegalArgumentException(type + ": key 'path' (a reward model directory) is required");
        }
        dir = Paths.get(params.string("path", null));
        model = RewardModel.load(dir, Backends.current());
        if (model.kind() != expected) {
            throw new IllegalArgumentException(type + ": " + dir + " is an " + model.kind().key()
                    + " reward model; use type " + (model.kind() == RewardModelKind.PRM
                    ? ProcessRewardModelReward.TYPE : RewardModelReward.TYPE));
        }
        if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            throw new IllegalArgumentException(type + ": " + dir + " has no tokenizer.json");
        }
        encoder = new RewardEncoder(Tokenizer.load(dir), params.integer("max_length", model.maxLength(), 2,
                model.maxLength()));
    }

    Path dir() {
        return dir;
    }

    /** The encoded inputs and their raw scores at the kind's positions, from one forward pass. */
    synchronized Scored score(List<RewardInput> batch) {
        List<RewardEncoder.Encoded> encoded = new ArrayList<>(batch.size());
        List<int[]> seqs = new ArrayList<>(batch.size());
        int[][] positions = new int[batch.size()][];
        for (int i = 0; i < batch.size(); i++) {
            RewardInput in = batch.get(i);
            RewardEncoder.Encoded e = encoder.encode(in.prompt(), in.completion());
            encoded.add(e);
            seqs.add(e.ids());
            positions[i] = model.kind() == RewardModelKind.ORM ? new int[] {e.lastPosition()} : e.stepPositions();
        }
        return new Scored(encoded, batch.isEmpty() ? new double[0][] : model.forward(seqs, positions).scores());
    }

    record Scored(List<RewardEncoder.Encoded> encoded, double[][] scores) {
    }
}
