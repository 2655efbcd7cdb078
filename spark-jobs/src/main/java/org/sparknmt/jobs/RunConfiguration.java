package org.sparknmt.jobs;

import org.sparknmt.jobs.config.Settings;
import org.sparknmt.jobs.decode.DecodeSettings;
import org.sparknmt.jobs.gpu.StageResources;
import org.sparknmt.jobs.prep.PrepConfig;
import org.sparknmt.jobs.store.LockSettings;
import org.sparknmt.jobs.train.ModelSettings;
import org.sparknmt.jobs.train.Promotion;
import org.sparknmt.jobs.train.TrainSettings;

/**
 * The whole configuration of one run, read and validated once when a job starts, before Spark
 * starts and before any data is touched: a bad value anywhere is reported first (a {@link
 * UserError} naming the key), not after hours of preparation. Immutable; the steps of a job receive
 * the part they need. A value a job derives (the prepared data's directory under its work
 * directory) makes a new configuration ({@link #withDataOutput}), validated the same way.
 *
 * @param settings the resolved keys it was read from (reference.conf ← --conf ← --set), written
 *     next to every run and bundle
 * @param data the corpus pipeline: cleaning, BPE, shards
 * @param model the model: preset and overrides, bound to the vocabulary size once it is known
 * @param train parameter averaging, checkpoints, validation
 * @param decode search settings for validation, evaluation, promotion and translation
 * @param promotion the champion/challenger rule
 * @param lock how locks on run directories and model names go stale
 * @param retrain how a retraining starts (RetrainJob)
 * @param resources the executors training and decoding stages run on (stage-level scheduling)
 */
public record RunConfiguration(
    Settings settings,
    PrepConfig data,
    ModelSettings model,
    TrainSettings train,
    DecodeSettings decode,
    Promotion promotion,
    LockSettings lock,
    RetrainPolicy retrain,
    StageResources resources) {

  /** Reads and checks every key; the Spark keys too (their session is built only later). */
  public static RunConfiguration of(Settings s) {
    Sessions.sparkConf(s, "check");
    TrainSettings train = TrainSettings.from(s);
    StageResources resources = StageResources.from(s);
    if (train.allReduce() && resources.stageLevel()) {
      throw new UserError(
          "configuration: sparknmt.train.averaging = allreduce runs each split as a Spark barrier"
              + " stage, which Spark does not run under the dynamic allocation that"
              + " sparknmt.resources.stage-level-scheduling = true needs: set one of them back"
              + " (averaging = driver, or stage-level-scheduling = false)");
    }
    return new RunConfiguration(
        s,
        PrepConfig.from(s),
        ModelSettings.from(s),
        train,
        DecodeSettings.from(s),
        Promotion.from(s),
        LockSettings.from(s),
        RetrainPolicy.from(s),
        resources);
  }

  /** This configuration with the prepared data in {@code output} ({@code sparknmt.data.output}). */
  public RunConfiguration withDataOutput(String output) {
    return of(settings.with("sparknmt.data.output", output));
  }

  /**
   * How {@code RetrainJob} starts a retraining ({@code sparknmt.retrain.*}).
   *
   * @param warmStart train from the champion's parameters, Adam state and model configuration
   *     ({@code init = champion}) instead of from scratch
   * @param championVocabulary encode the snapshot with the champion's BPE instead of learning one
   * @param restartWarmup restart the learning-rate warmup from step 0 on a warm start instead of
   *     continuing the champion's schedule
   */
  public record RetrainPolicy(
      boolean warmStart, boolean championVocabulary, boolean restartWarmup) {
    static RetrainPolicy from(Settings s) {
      boolean warmStart =
          "champion".equals(s.choice("sparknmt.retrain.init", "champion", "scratch"));
      boolean championVocabulary =
          "champion".equals(s.choice("sparknmt.retrain.vocabulary", "champion", "rebuild"));
      boolean restartWarmup =
          "restart".equals(s.choice("sparknmt.retrain.warmup", "continue", "restart"));
      if (warmStart && !championVocabulary) {
        throw new UserError(
            "configuration: sparknmt.retrain.init = champion needs vocabulary = champion (a warm"
                + " start keeps the champion's vocabulary); set init = scratch to rebuild it");
      }
      return new RetrainPolicy(warmStart, championVocabulary, restartWarmup);
    }
  }
}
