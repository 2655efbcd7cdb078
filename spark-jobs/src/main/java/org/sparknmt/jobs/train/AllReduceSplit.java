package org.sparknmt.jobs.train;

import java.io.IOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.BarrierTaskContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.SparkException;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.rdd.RDD;
import org.datavec.spark.util.SerializableHadoopConfig;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.AsyncMultiDataSetIterator;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparknmt.jobs.gpu.TaskDevice;
import org.sparknmt.model.UpdateStep;
import scala.collection.JavaConverters;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;
import scala.runtime.AbstractFunction1;

/**
 * Parameter averaging without the driver in the loop ({@code sparknmt.train.averaging =
 * allreduce}): a whole split runs as one Spark barrier stage (all workers' tasks start together),
 * and after each round the workers average their parameters among themselves with a ring all-reduce
 * ({@link RingAllReduce}), as Horovod on Spark does, instead of returning them to the driver and
 * waiting for the next round's job and broadcast. The rounds, the dealing of batches ({@link
 * RoundPlan}), the model a worker starts from and keeps ({@link
 * ScheduleKeepingTrainingMaster.CountKeepingWorker}), the Adam moments (averaged every round, or
 * only in the last round of a split before a checkpoint) and the iteration counts are those of the
 * driver path: only where the averaging happens differs (float sums in another order).
 *
 * <p>Per split the driver broadcasts the model once and receives it once (from worker 0; after the
 * last round every worker holds the same average). A failed task fails the barrier stage (its
 * peers' all-reduce fails with it), and Spark does not run a failed barrier result stage again: the
 * split starts over from the driver's model, which changes only when a split has succeeded, as
 * often as Spark would try a task ({@link #attempts}). Spark does not run barrier stages under
 * dynamic allocation, so this mode excludes stage-level scheduling ({@code
 * sparknmt.resources.stage-level-scheduling}).
 */
public final class AllReduceSplit {
  private static final Logger LOG = LoggerFactory.getLogger(AllReduceSplit.class);

  private AllReduceSplit() {}

  /** Where the time of the all-reduce splits went (for the benchmark). */
  public static final class Timings {
    public int rounds;
    public double meanFitSeconds;
    public double slowestFitSeconds;
    public double initialModelSeconds;
    public double transferSeconds;
    public double broadcastSeconds;
    public double driverUpdateSeconds;

    /** From submitting the split's job to its first task starting. */
    public double launchSeconds;

    /** From the first task starting to the last one having joined the ring. */
    public double joinSeconds;

    /** From the last task ending to the driver holding the results. */
    public double resultSeconds;
  }

  /**
   * Trains {@code rounds} (each ordered worker by worker, as {@link RoundPlan#rounds} returns it)
   * in one barrier stage of {@code workers} tasks, and sets the driver's model to the result.
   *
   * @return the mean over rounds of the workers' mean training loss
   */
  static double fit(
      SparkComputationGraph sparkNet,
      ScheduleKeepingTrainingMaster master,
      List<List<String>> rounds,
      int workers,
      Timings timings) {
    long t0 = System.nanoTime();
    Task task = master.allReduceTask(sparkNet);
    double broadcastSeconds = (System.nanoTime() - t0) / 1e9;
    JavaSparkContext sc = sparkNet.getSparkContext();
    List<WorkerOutcome> outcomes;
    long submitMillis = System.currentTimeMillis();
    try {
      RDD<List<List<String>>> shares = sc.parallelize(shares(rounds, workers), workers).rdd();
      ClassTag<WorkerOutcome> tag = ClassTag$.MODULE$.apply(WorkerOutcome.class);
      int attempts = attempts(sc);
      for (int attempt = 1; ; attempt++) {
        try (RingRendezvous rendezvous =
            RingRendezvous.open(sc.getConf().get("spark.driver.host"), workers)) {
          outcomes =
              shares
                  .barrier()
                  .mapPartitions(new ScalaPartitionFunction(task, rendezvous.address()), false, tag)
                  .toJavaRDD()
                  .collect();
          break;
        } catch (Exception e) { // a SparkException, which the Scala API does not declare
          if (!(e instanceof SparkException) || attempt >= attempts) {
            throw AllReduceSplit.<RuntimeException>unchecked(e);
          }
          // Spark does not run a failed barrier result stage again; the driver's model is still
          // the split's starting point, so the whole split can start over
          LOG.warn(
              "all-reduce split failed (attempt {} of {}), starting it again: {}",
              attempt,
              attempts,
              e.getMessage());
        }
      }
    } finally {
      master.releaseRoundBroadcast();
    }
    long collectedMillis = System.currentTimeMillis();
    long t1 = System.nanoTime();
    WorkerOutcome first = outcomes.stream().filter(o -> o.parameters != null).findFirst().get();
    ComputationGraph net = sparkNet.getNetwork();
    net.params().assign(Nd4j.createFromArray(first.parameters).reshape(net.params().shape()));
    if (first.updaterState != null) {
      INDArray state = net.getUpdater().getStateViewArray();
      state.assign(Nd4j.createFromArray(first.updaterState).reshape(state.shape()));
    }
    ComputationGraphConfiguration conf = net.getConfiguration();
    conf.setIterationCount(conf.getIterationCount() + rounds.size() * task.updatesPerRound);
    Nd4j.getExecutioner().commit();
    if (timings != null) {
      timings.driverUpdateSeconds += (System.nanoTime() - t1) / 1e9;
      timings.broadcastSeconds += broadcastSeconds;
      add(timings, outcomes, rounds.size(), workers);
      long firstStart = outcomes.stream().mapToLong(o -> o.taskStartMillis).min().getAsLong();
      timings.launchSeconds += (firstStart - submitMillis) / 1e3;
      timings.joinSeconds +=
          (outcomes.stream().mapToLong(o -> o.joinedMillis).max().getAsLong() - firstStart) / 1e3;
      timings.resultSeconds +=
          (collectedMillis - outcomes.stream().mapToLong(o -> o.taskEndMillis).max().getAsLong())
              / 1e3;
    }
    return Arrays.stream(first.roundLosses).average().orElse(Double.NaN);
  }

  /** Throws {@code e} as it is (checked or not), as Scala code does. */
  @SuppressWarnings("unchecked")
  private static <E extends Exception> E unchecked(Exception e) throws E {
    throw (E) e;
  }

  /**
   * How often a split is tried: as often as Spark tries a task ({@code spark.task.maxFailures},
   * default 4; in local mode F of {@code local[N, F]}, else 1).
   */
  static int attempts(JavaSparkContext sc) {
    Matcher local = Pattern.compile("local\\[[^,\\]]+,\\s*(\\d+)\\]").matcher(sc.master());
    if (local.matches()) {
      return Integer.parseInt(local.group(1));
    }
    if (sc.master().startsWith("local")) {
      return 1;
    }
    return sc.getConf().getInt("spark.task.maxFailures", 4);
  }

  private static void add(Timings t, List<WorkerOutcome> outcomes, int rounds, int workers) {
    t.rounds += rounds;
    for (int r = 0; r < rounds; r++) {
      double slowest = 0;
      double fastestTransfer = Double.MAX_VALUE;
      for (WorkerOutcome o : outcomes) {
        slowest = Math.max(slowest, o.fitSeconds[r]);
        t.meanFitSeconds += o.fitSeconds[r] / workers;
        fastestTransfer = Math.min(fastestTransfer, o.allReduceSeconds[r]);
      }
      t.slowestFitSeconds += slowest;
      t.transferSeconds += fastestTransfer;
    }
    for (WorkerOutcome o : outcomes) {
      t.initialModelSeconds += o.initialModelSeconds / workers;
    }
  }

  /**
   * Each worker's batches, round by round: {@code parallelize(round, p)} would give worker {@code i
   * < p} elements {@code [i·n/p, (i+1)·n/p)} of a round of n batches (p = {@link
   * RoundPlan#partitions}); workers from p on have none in that round.
   */
  static List<List<List<String>>> shares(List<List<String>> rounds, int workers) {
    List<List<List<String>>> perWorker = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      perWorker.add(new ArrayList<>());
    }
    for (List<String> round : rounds) {
      int n = round.size();
      int p = RoundPlan.partitions(n, workers);
      for (int w = 0; w < workers; w++) {
        List<String> share =
            w < p
                ? new ArrayList<>(
                    round.subList((int) ((long) w * n / p), (int) ((long) (w + 1) * n / p)))
                : new ArrayList<>();
        perWorker.get(w).add(share);
      }
    }
    return perWorker;
  }

  /** What a worker's task returns: the model from worker 0 only, timings from all. */
  static final class WorkerOutcome implements Serializable {
    private static final long serialVersionUID = 1L;
    float[] parameters;
    float[] updaterState;
    double[] roundLosses;
    double initialModelSeconds;
    double[] fitSeconds;
    double[] allReduceSeconds;
    long taskStartMillis;
    long joinedMillis;
    long taskEndMillis;

    public WorkerOutcome() {}
  }

  /**
   * A worker's task: its graph as in the driver path, then per round its batches and the
   * all-reduce; batches are read and prefetched across rounds, so the next round's first batches
   * load while the parameters are averaged.
   */
  static final class Task implements Serializable {
    private static final long serialVersionUID = 1L;
    private final ScheduleKeepingTrainingMaster.CountKeepingWorker worker;
    private final Broadcast<SerializableHadoopConfig> hadoopConfig;
    private final int updateFrequency;
    private final double clipNorm;
    private final String deviceResource;
    private final int prefetch;
    final int updatesPerRound;
    private final boolean stateEveryRound;
    private final boolean stateInLastRound;

    /**
     * @param stateEveryRound average Adam's moments with the parameters in every round
     * @param stateInLastRound average them in the split's last round (before a checkpoint, and
     *     whenever they are averaged every round) and return them to the driver
     */
    Task(
        ScheduleKeepingTrainingMaster.CountKeepingWorker worker,
        Broadcast<SerializableHadoopConfig> hadoopConfig,
        int updateFrequency,
        double clipNorm,
        String deviceResource,
        int prefetch,
        int updatesPerRound,
        boolean stateEveryRound,
        boolean stateInLastRound) {
      this.worker = worker;
      this.hadoopConfig = hadoopConfig;
      this.updateFrequency = updateFrequency;
      this.clipNorm = clipNorm;
      this.deviceResource = deviceResource;
      this.prefetch = prefetch;
      this.updatesPerRound = updatesPerRound;
      this.stateEveryRound = stateEveryRound;
      this.stateInLastRound = stateInLastRound;
    }

    /**
     * @param rendezvous where the workers learn each other's addresses ({@link RingRendezvous})
     */
    Iterator<WorkerOutcome> call(Iterator<List<List<String>>> input, String rendezvous)
        throws Exception {
      long taskStartMillis = System.currentTimeMillis();
      BarrierTaskContext context = BarrierTaskContext.get();
      List<List<String>> rounds = input.hasNext() ? input.next() : List.of();
      int rank = context.partitionId();
      int size = context.getTaskInfos().length;
      // before the model and the prefetch thread allocate anything
      TaskDevice.bindAssigned(deviceResource);
      long t0 = System.nanoTime();
      ComputationGraph net = worker.getInitialModelGraph();
      WorkerOutcome outcome = new WorkerOutcome();
      outcome.taskStartMillis = taskStartMillis;
      outcome.initialModelSeconds = (System.nanoTime() - t0) / 1e9;
      outcome.roundLosses = new double[rounds.size()];
      outcome.fitSeconds = new double[rounds.size()];
      outcome.allReduceSeconds = new double[rounds.size()];
      int startIteration = net.getConfiguration().getIterationCount();
      List<String> all = new ArrayList<>();
      rounds.forEach(all::addAll);
      BatchRefIterator reader =
          all.isEmpty()
              ? null
              : new BatchRefIterator(all, hadoopConfig.getValue().getConfiguration());
      MultiDataSetIterator batches = reader;
      if (reader != null && prefetch > 0) {
        batches = new AsyncMultiDataSetIterator(reader, prefetch);
      }
      String host = SparkEnv.get().blockManager().blockManagerId().host();
      try (RingAllReduce ring =
          RingAllReduce.join(
              rank,
              size,
              host,
              own -> gather(rendezvous, rank, size, own, context),
              context::isInterrupted)) {
        outcome.joinedMillis = System.currentTimeMillis();
        for (int r = 0; r < rounds.size(); r++) {
          long fitStart = System.nanoTime();
          double loss = fitRound(net, batches, rounds.get(r).size());
          outcome.fitSeconds[r] = (System.nanoTime() - fitStart) / 1e9;
          // as the driver path: every worker of a round starts the next at + updatesPerRound
          net.getConfiguration().setIterationCount(startIteration + (r + 1) * updatesPerRound);
          boolean last = r == rounds.size() - 1;
          boolean withState = stateEveryRound || (stateInLastRound && last);
          long averageStart = System.nanoTime();
          outcome.roundLosses[r] =
              average(net, ring, withState, rounds.get(r).isEmpty() ? 0 : 1, loss);
          outcome.allReduceSeconds[r] = (System.nanoTime() - averageStart) / 1e9;
        }
      } finally {
        Nd4j.getExecutioner().commit();
        if (batches instanceof AsyncMultiDataSetIterator async) {
          async.shutdown();
        }
        if (reader != null) {
          reader.close();
        }
      }
      if (rank == 0) {
        outcome.parameters = net.params().toFloatVector();
        if (stateInLastRound) { // averaged in the last round: the same on every worker
          outcome.updaterState = net.getUpdater().getStateViewArray().toFloatVector();
        }
      }
      outcome.taskEndMillis = System.currentTimeMillis();
      return Collections.singletonList(outcome).iterator();
    }

    private static String[] gather(
        String rendezvous, int rank, int size, String own, BarrierTaskContext context) {
      try {
        return RingRendezvous.gather(rendezvous, rank, size, own, context::isInterrupted);
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    /** Fits {@code count} batches; returns the loss of the last (NaN if none). */
    private double fitRound(ComputationGraph net, MultiDataSetIterator batches, int count) {
      UpdateStep step = new UpdateStep(net, updateFrequency, clipNorm);
      double loss = Double.NaN;
      for (int i = 0; i < count; i++) {
        if (!batches.hasNext()) { // AsyncMultiDataSetIterator.next() returns null without it
          throw new IllegalStateException("the worker's batches ended early, at batch " + i);
        }
        MultiDataSet batch = batches.next();
        if (step.isPlainFit()) {
          net.fit(batch);
          loss = net.score();
        } else {
          step.fit(batch);
          loss = step.lastScore();
        }
      }
      if (!step.isPlainFit() && step.flush()) {
        loss = step.lastScore();
      }
      return loss;
    }

    /**
     * Replaces the parameters (and with {@code withState} Adam's moments) by their mean over the
     * workers that trained in this round ({@code weight} 1; 0 for a worker that had no batch), and
     * returns the mean of their losses.
     */
    private static double average(
        ComputationGraph net, RingAllReduce ring, boolean withState, int weight, double loss)
        throws IOException {
      float[] trained = {weight, weight > 0 ? (float) loss : 0}; // workers that trained, Σ loss
      ring.sum(trained);
      averageInPlace(net.params(), ring, weight, trained[0]);
      if (withState) {
        averageInPlace(net.getUpdater().getStateViewArray(), ring, weight, trained[0]);
      }
      return trained[1] / trained[0];
    }

    /** Replaces {@code array} by the sum of the trained workers' arrays over their number. */
    private static void averageInPlace(
        INDArray array, RingAllReduce ring, int weight, float workers) throws IOException {
      float[] values = weight > 0 ? array.toFloatVector() : new float[(int) array.length()];
      ring.sum(values);
      array.assign(Nd4j.createFromArray(values).reshape(array.shape()).divi(workers));
    }
  }

  /** {@link Task#call} as the Scala function {@code RDDBarrier.mapPartitions} takes. */
  private static final class ScalaPartitionFunction
      extends AbstractFunction1<
          scala.collection.Iterator<List<List<String>>>, scala.collection.Iterator<WorkerOutcome>>
      implements Serializable {
    private static final long serialVersionUID = 1L;
    private final Task task;
    private final String rendezvous;

    ScalaPartitionFunction(Task task, String rendezvous) {
      this.task = task;
      this.rendezvous = rendezvous;
    }

    @Override
    public scala.collection.Iterator<WorkerOutcome> apply(
        scala.collection.Iterator<List<List<String>>> partition) {
      try {
        Iterator<WorkerOutcome> out =
            task.call(JavaConverters.asJavaIterator(partition), rendezvous);
        return JavaConverters.asScalaIterator(out);
      } catch (Exception e) {
        throw AllReduceSplit.<RuntimeException>unchecked(e); // as it is, as Scala code would
      }
    }
  }
}
