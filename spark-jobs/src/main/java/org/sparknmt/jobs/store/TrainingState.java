package org.sparknmt.jobs.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import org.sparknmt.jobs.UserError;

/**
 * Where a training run stands, saved with every checkpoint ({@code state.json}) so that a restarted
 * driver continues with the same remaining data order instead of starting over.
 *
 * @param epoch the epoch in progress, from 0
 * @param nextBatch index, in this epoch's shuffled order of batch files, of the next batch to train
 *     (0 at the start of an epoch): a position in batches, not in splits, so that a run resumed
 *     with another worker count, averaging frequency or split size continues at exactly this batch,
 *     neither skipping nor repeating any
 * @param iteration optimiser iterations (minibatch updates) done so far; names the checkpoint
 * @param lrStep step counter of the learning-rate schedule
 * @param rngSeed seed of the training master / model randomness
 * @param shuffleSeed seed from which each epoch's split order is derived
 * @param bestScore best validation score so far (of the early-stopping metric), or null
 * @param bestCheckpoint name of the checkpoint that has {@code bestScore}, or null
 * @param badValidations validations since the last improvement (early-stopping patience counter)
 * @param finished true once training is over (early stop or last epoch): a re-run does not train
 * @param wallTimeMillis training wall time accumulated over all attempts of the run
 */
public record TrainingState(
    int epoch,
    int nextBatch,
    long iteration,
    long lrStep,
    long rngSeed,
    long shuffleSeed,
    Double bestScore,
    String bestCheckpoint,
    int badValidations,
    boolean finished,
    long wallTimeMillis) {

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES);

  public TrainingState {
    if (epoch < 0 || nextBatch < 0 || iteration < 0 || lrStep < 0 || badValidations < 0) {
      throw new IllegalArgumentException("negative counter in " + describe(epoch, nextBatch));
    }
    if (wallTimeMillis < 0) {
      throw new IllegalArgumentException("negative wall time " + wallTimeMillis);
    }
    if ((bestScore == null) != (bestCheckpoint == null)) {
      throw new IllegalArgumentException("bestScore and bestCheckpoint go together");
    }
  }

  private static String describe(int epoch, int nextBatch) {
    return "training state (epoch " + epoch + ", next batch " + nextBatch + ")";
  }

  /** The state before the first iteration of a run. */
  public static TrainingState initial(long rngSeed, long shuffleSeed) {
    return new TrainingState(0, 0, 0, 0, rngSeed, shuffleSeed, null, null, 0, false, 0);
  }

  /** This state moved to another position in the data. */
  public TrainingState at(int epoch, int nextBatch, long iteration, long lrStep) {
    return new TrainingState(
        epoch,
        nextBatch,
        iteration,
        lrStep,
        rngSeed,
        shuffleSeed,
        bestScore,
        bestCheckpoint,
        badValidations,
        finished,
        wallTimeMillis);
  }

  /** This state with a new best validation score, held by checkpoint {@code checkpointName}. */
  public TrainingState withBest(double score, String checkpointName) {
    return new TrainingState(
        epoch,
        nextBatch,
        iteration,
        lrStep,
        rngSeed,
        shuffleSeed,
        score,
        checkpointName,
        badValidations,
        finished,
        wallTimeMillis);
  }

  /** This state with the early-stopping patience counter set. */
  public TrainingState withBadValidations(int count) {
    return new TrainingState(
        epoch,
        nextBatch,
        iteration,
        lrStep,
        rngSeed,
        shuffleSeed,
        bestScore,
        bestCheckpoint,
        count,
        finished,
        wallTimeMillis);
  }

  /** This state with the accumulated wall time set. */
  public TrainingState withWallTime(long millis) {
    return new TrainingState(
        epoch,
        nextBatch,
        iteration,
        lrStep,
        rngSeed,
        shuffleSeed,
        bestScore,
        bestCheckpoint,
        badValidations,
        finished,
        millis);
  }

  /** This state marked as finished. */
  public TrainingState finish() {
    return new TrainingState(
        epoch,
        nextBatch,
        iteration,
        lrStep,
        rngSeed,
        shuffleSeed,
        bestScore,
        bestCheckpoint,
        badValidations,
        true,
        wallTimeMillis);
  }

  /** {@code state.json} content. */
  public String toJson() {
    try {
      return JSON.writeValueAsString(this) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise " + this, e);
    }
  }

  /** Parses {@code state.json}; {@code where} names the file in the error message. */
  public static TrainingState fromJson(String json, String where) {
    try {
      JsonNode tree = JSON.readTree(json);
      if (tree.has("nextSplit") && !tree.has("nextBatch")) {
        throw new UserError(
            where
                + " was written by an older sparknmt that counted splits, not batches (next split "
                + tree.path("nextSplit").asInt()
                + "): resume it with that version, or start a new run directory");
      }
      return JSON.treeToValue(tree, TrainingState.class);
    } catch (JsonProcessingException | IllegalArgumentException e) {
      throw new UserError(where + " is not a valid training state: " + e.getMessage(), e);
    }
  }
}
