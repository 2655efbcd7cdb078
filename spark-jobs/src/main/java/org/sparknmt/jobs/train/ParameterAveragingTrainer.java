package org.sparknmt.jobs.train;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.ToLongFunction;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.RDDTrainingApproach;
import org.deeplearning4j.spark.api.Repartition;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.nd4j.linalg.schedule.ISchedule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparknmt.jobs.gpu.StageResources;
import org.sparknmt.jobs.report.MetricsRecord;
import org.sparknmt.jobs.report.TrainingReport;
import org.sparknmt.jobs.store.Checkpoint;
import org.sparknmt.jobs.store.CheckpointStore;
import org.sparknmt.jobs.store.TrainingState;

/**
 * The training loop: dl4j-spark parameter averaging over the shard's batch files, split by split,
 * with checkpoints, validation, early stopping and progress between splits.
 *
 * <p>Each split ({@link EpochPlan#split}) is cut into rounds dealt evenly to the workers ({@link
 * RoundPlan}), one {@code fitPathsMultiDataSet} call per round: the workers load their batch files
 * and fit each as one minibatch ({@link ScheduleKeepingTrainingMaster}: no re-batching, so
 * token-budget batches of varying pair counts stay as written), fit {@code averagingFrequency}
 * minibatches, and the driver averages parameters and Adam's moments ({@code saveUpdater(true)}).
 * The driver's graph holds the averaged model after every split, which is what checkpoints save. A
 * run is resumed from {@link TrainingState} (epoch, next split): the same data order continues
 * where it stopped.
 */
public final class ParameterAveragingTrainer {
  private static final Logger LOG = LoggerFactory.getLogger(ParameterAveragingTrainer.class);

  private final JavaSparkContext sc;
  private final TrainSettings settings;
  private final EpochPlan plan;
  private final int workers;
  private final int batchSizePerWorker;
  private final double targetTokensPerBatch;
  private final ISchedule learningRate;
  private final CheckpointStore checkpoints;
  private final TrainingReport report;
  private final Validator validator;
  private final ToLongFunction<String> work;
  private final StageResources devices;

  /**
   * @param workers data-parallel workers (partitions trained at once)
   * @param batchSizePerWorker sentence pairs in the largest batch file (from the shard manifest)
   * @param targetTokensPerBatch mean real target tokens per batch file, for tokens/s
   * @param learningRate the model's schedule, to report the LR at each step
   * @param work the work in a batch file, to balance the workers ({@link RoundPlan})
   * @param devices where the training tasks run ({@link StageResources#onDevices})
   */
  public ParameterAveragingTrainer(
      JavaSparkContext sc,
      TrainSettings settings,
      EpochPlan plan,
      int workers,
      int batchSizePerWorker,
      double targetTokensPerBatch,
      ISchedule learningRate,
      CheckpointStore checkpoints,
      TrainingReport report,
      Validator validator,
      ToLongFunction<String> work,
      StageResources devices) {
    this.sc = sc;
    this.settings = settings;
    this.plan = plan;
    this.workers = workers;
    this.batchSizePerWorker = batchSizePerWorker;
    this.targetTokensPerBatch = targetTokensPerBatch;
    this.learningRate = learningRate;
    this.checkpoints = checkpoints;
    this.report = report;
    this.validator = validator;
    this.work = work;
    this.devices = devices;
  }

  /** The dl4j-spark training master for this run. */
  ScheduleKeepingTrainingMaster trainingMaster() {
    // Builder(numWorkers, examplesPerDataSetObject): passing numWorkers avoids dl4j-spark M2's NPE
    // in fitPathsMultiDataSet for graphs (executeTrainingPathsHelper reads network == null).
    return new ScheduleKeepingTrainingMaster(
        builder(workers, batchSizePerWorker, settings),
        settings.updateFrequency(),
        settings.clipNorm(),
        devices.resource(),
        settings.optimizerStateEveryRound(),
        settings.allReduce());
  }

  /** The training-master settings of a run (shared with the benchmark). */
  public static ParameterAveragingTrainingMaster.Builder builder(
      int workers, int batchSizePerWorker, TrainSettings settings) {
    return new ParameterAveragingTrainingMaster.Builder(workers, batchSizePerWorker)
        .batchSizePerWorker(batchSizePerWorker)
        // dl4j-spark's "averaging frequency" counts batch files per worker per round (it sizes its
        // splits with it); ScheduleKeepingTrainingMaster counts the optimizer updates
        .averagingFrequency(settings.batchesPerWorkerPerRound())
        .workerPrefetchNumBatches(settings.workerPrefetch())
        .aggregationDepth(settings.aggregationDepth())
        .saveUpdater(true)
        .rddTrainingApproach(RDDTrainingApproach.Direct)
        // each fitPaths call is one round already dealt to the workers (RoundPlan)
        .repartionData(Repartition.Never)
        .storageLevelStreams(null)
        .rngSeed(settings.seed())
        .collectTrainingStats(false);
  }

  /**
   * Trains one split: its rounds ({@link RoundPlan}), one {@code fitPathsMultiDataSet} call each
   * with one partition per worker, on the executors {@code devices} chooses; or, when the master
   * averages by all-reduce, all of them in one barrier stage ({@link AllReduceSplit}). Returns the
   * mean training loss of the rounds. With {@code optimizerStateAtEnd} the last round also averages
   * the workers' optimizer state, so that the driver's graph holds it (before a checkpoint; only
   * matters when the state is not averaged every round).
   *
   * <p>dl4j-spark persists each round's worker results ({@code MEMORY_AND_DISK}: parameters and
   * updater state of every worker) and never unpersists them; Spark's cleaner would drop them only
   * after a driver GC, so they piled up in the executors' block managers. They are unpersisted here
   * once the round is averaged.
   */
  public static double fitSplit(
      SparkComputationGraph sparkNet,
      List<String> paths,
      int workers,
      int batchesPerWorkerPerRound,
      ToLongFunction<String> work,
      StageResources devices,
      boolean optimizerStateAtEnd) {
    JavaSparkContext sc = sparkNet.getSparkContext();
    double lossSum = 0;
    List<List<String>> rounds = RoundPlan.rounds(paths, workers, batchesPerWorkerPerRound, work);
    if (sparkNet.getTrainingMaster() instanceof ScheduleKeepingTrainingMaster master
        && master.allReduce()) {
      if (optimizerStateAtEnd) {
        master.averageOptimizerStateNextRound();
      }
      return AllReduceSplit.fit(sparkNet, master, rounds, workers, master.allReduceTimings());
    }
    for (List<String> round : rounds) {
      if (optimizerStateAtEnd
          && round == rounds.get(rounds.size() - 1)
          && sparkNet.getTrainingMaster() instanceof ScheduleKeepingTrainingMaster master) {
        master.averageOptimizerStateNextRound();
      }
      JavaRDD<String> rdd =
          devices.onDevices(sc.parallelize(round, RoundPlan.partitions(round.size(), workers)));
      sparkNet.fitPathsMultiDataSet(rdd);
      lossSum += sparkNet.getScore();
      for (Map.Entry<Integer, JavaRDD<?>> e : sc.getPersistentRDDs().entrySet()) {
        if (e.getKey() > rdd.id()) {
          e.getValue().unpersist(false);
        }
      }
    }
    return lossSum / rounds.size();
  }

  /**
   * Trains from {@code start} until the last epoch or early stopping, and returns the final state
   * (finished). The model is updated in place.
   */
  public TrainingState train(ComputationGraph model, TrainingState start) {
    ScheduleKeepingTrainingMaster master = trainingMaster();
    try {
      return train(new SparkComputationGraph(sc, model, master), model, start);
    } finally {
      master.releaseStateBroadcast();
    }
  }

  private TrainingState train(
      SparkComputationGraph sparkNet, ComputationGraph model, TrainingState start) {
    TrainingState state = start;
    int splits = plan.splitsPerEpoch();
    int batches = plan.batchesPerEpoch();
    long totalBatches = (long) settings.epochs() * batches;
    long runStartNanos = System.nanoTime();
    long wallBefore = start.wallTimeMillis();
    long batchesDoneThisAttempt = 0;
    LOG.info(
        "Training: {} epochs x {} splits of <= {} batches (<= {} pairs each), {} workers,"
            + " averaging every {} updates of {} minibatch(es); starting at epoch {} batch {}",
        settings.epochs(),
        splits,
        plan.splitSize(),
        batchSizePerWorker,
        workers,
        settings.averagingFrequency(),
        settings.updateFrequency(),
        start.epoch(),
        start.nextBatch());

    for (int epoch = start.epoch(); epoch < settings.epochs(); epoch++) {
      int from = epoch == start.epoch() ? start.nextBatch() : 0;
      // split index within the epoch, for progress and the every-N-splits settings
      for (int split = from / plan.splitSize(); from < batches; split++) {
        List<String> paths = plan.splitFrom(epoch, from);
        int splitFrom = from;
        from += paths.size();
        boolean endOfEpoch = from == batches;
        boolean checkpointNext = endOfEpoch || (split + 1) % settings.checkpointEverySplits() == 0;
        String what =
            String.format(
                "epoch %d/%d split %d/%d", epoch + 1, settings.epochs(), split + 1, splits);
        sc.setJobGroup("sparknmt-train", "train " + what, false);
        long t0 = System.nanoTime();
        double loss =
            fitSplit(
                sparkNet,
                paths,
                workers,
                settings.batchesPerWorkerPerRound(),
                work,
                devices,
                checkpointNext);
        double seconds = (System.nanoTime() - t0) / 1e9;
        long iteration = model.getConfiguration().getIterationCount();
        double lr = learningRate.valueAt((int) iteration, epoch);
        double tokensPerSec = paths.size() * targetTokensPerBatch / seconds;
        batchesDoneThisAttempt += paths.size();
        long doneBatches = (long) epoch * batches + from;
        double elapsed = (System.nanoTime() - runStartNanos) / 1e9;
        double eta = elapsed / batchesDoneThisAttempt * (totalBatches - doneBatches);
        long wallMillis = wallBefore + (long) (elapsed * 1000);
        LOG.info(
            "{}: {} batches, loss {}, lr {}, {} target tok/s, {}s; elapsed {}, ETA {}",
            what,
            paths.size(),
            String.format("%.4f", loss),
            String.format("%.3g", lr),
            String.format("%.0f", tokensPerSec),
            String.format("%.1f", seconds),
            duration(elapsed),
            duration(eta));
        report.append(
            MetricsRecord.train(
                    iteration, epoch, split, loss, lr, tokensPerSec, wallMillis / 1000.0)
                .withBatches(splitFrom, paths));

        int nextEpoch = endOfEpoch ? epoch + 1 : epoch;
        int nextBatch = endOfEpoch ? 0 : from;
        state = state.at(nextEpoch, nextBatch, iteration, iteration).withWallTime(wallMillis);
        boolean validateNow =
            endOfEpoch
                || (settings.validateEverySplits() > 0
                    && (split + 1) % settings.validateEverySplits() == 0);
        boolean stop = false;
        String checkpointName = CheckpointStore.nameFor(iteration);
        if (validateNow) {
          sc.setJobGroup("sparknmt-validate", "validate after " + what, false);
          Validator.Scores dev = validator.validate(model);
          report.append(
              MetricsRecord.dev(
                  iteration,
                  epoch,
                  split,
                  dev.loss(),
                  dev.bleu(),
                  dev.chrf(),
                  wallMillis / 1000.0));
          double score = settings.higherIsBetter() ? nullToNaN(dev.bleu()) : dev.loss();
          LOG.info(
              "validation after {}: dev loss {}, BLEU {}, chrF {}, ratio {}",
              what,
              String.format("%.4f", dev.loss()),
              dev.bleu() == null ? "-" : String.format("%.2f", dev.bleu()),
              dev.chrf() == null ? "-" : String.format("%.2f", dev.chrf()),
              dev.ratio() == null ? "-" : String.format("%.3f", dev.ratio()));
          if (improves(score, state.bestScore())) {
            state = state.withBest(score, checkpointName).withBadValidations(0);
          } else {
            state = state.withBadValidations(state.badValidations() + 1);
            if (settings.patience() > 0 && state.badValidations() >= settings.patience()) {
              LOG.info(
                  "early stopping: {} did not improve for {} validations (best {} at {})",
                  settings.earlyStoppingMetric(),
                  state.badValidations(),
                  state.bestScore(),
                  state.bestCheckpoint());
              stop = true;
            }
          }
        }
        boolean last = stop || (endOfEpoch && epoch == settings.epochs() - 1);
        if (last) {
          state = state.finish();
        }
        // early stopping writes one too, with the optimizer state of the last averaging round
        if (last || checkpointNext) {
          Checkpoint c = checkpoints.save(model, state);
          LOG.info("checkpoint {} written ({})", c.name(), c.uri());
          report.render();
        }
        if (last) {
          return state;
        }
      }
    }
    return state.finish();
  }

  private boolean improves(double score, Double best) {
    if (Double.isNaN(score)) {
      return false;
    }
    if (best == null) {
      return true;
    }
    return settings.higherIsBetter() ? score > best : score < best;
  }

  private static double nullToNaN(Double d) {
    return d == null ? Double.NaN : d;
  }

  static String duration(double seconds) {
    long s = Math.round(seconds);
    return String.format("%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  }

  /** The checkpoint to resume from, if the run directory has a complete one. */
  public static Optional<Checkpoint.Restored> resumePoint(CheckpointStore store) {
    return store.restoreLatest();
  }
}
