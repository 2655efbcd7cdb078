package org.sparknmt.jobs.train;

import java.lang.reflect.Field;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.Iterator;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.util.TaskCompletionListener;
import org.datavec.spark.util.BroadcastHadoopConfigHolder;
import org.deeplearning4j.core.loader.DataSetLoader;
import org.deeplearning4j.core.loader.MultiDataSetLoader;
import org.deeplearning4j.core.storage.StatsStorageRouterProvider;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.deeplearning4j.spark.api.TrainingHook;
import org.deeplearning4j.spark.api.WorkerConfiguration;
import org.deeplearning4j.spark.api.worker.NetBroadcastTuple;
import org.deeplearning4j.spark.impl.graph.SparkComputationGraph;
import org.deeplearning4j.spark.impl.multilayer.SparkDl4jMultiLayer;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingMaster;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingResult;
import org.deeplearning4j.spark.impl.paramavg.ParameterAveragingTrainingWorker;
import org.deeplearning4j.spark.impl.paramavg.stats.ParameterAveragingTrainingWorkerStats.ParameterAveragingTrainingWorkerStatsHelper;
import org.deeplearning4j.spark.util.SparkUtils;
import org.nd4j.linalg.factory.Nd4j;

/**
 * dl4j-spark's parameter averaging with two fixes: workers continue the driver's iteration and
 * epoch counts, and train on each batch as written (no re-batching), read from the packed part
 * files.
 *
 * <p>dl4j-spark 1.0.0-M2's {@code ParameterAveragingTrainingWorker.getInitialModelGraph} builds
 * each worker's graph from {@code ComputationGraphConfiguration.clone()}, which does not copy the
 * iteration count: every averaging round restarts the workers at iteration 0. Any iteration-based
 * learning-rate schedule (the Noam warmup of §5.3 in particular, which starts near 0) and Adam's
 * bias correction then see step 0..averagingFrequency forever, and the model barely learns. Here
 * the worker copies the counts from the broadcast configuration; {@code
 * ScheduleKeepingTrainingMasterTest} checks both the bug and the fix.
 *
 * <p>dl4j-spark re-batches what a worker loads into minibatches of exactly {@code
 * batchSizePerWorker} examples (merging and splitting MultiDataSets), which would break
 * token-budget batches of varying pair counts; {@link WholeBatchPathFlatMap} feeds every batch as
 * one minibatch, and applies gradient accumulation and global-norm clipping ({@link
 * org.sparknmt.model.UpdateStep}) when they are configured. The "paths" given to {@code
 * fitPathsMultiDataSet} are batch references ({@code <part>#<offset>+<length>}, {@code
 * ShardSet.batches}), read by {@link BatchRefIterator}; dl4j-spark's loader is not used, and only a
 * {@code ComputationGraph} trains on them.
 *
 * <p>dl4j-spark averages the updater state with the parameters in every round (Adam's two moments:
 * three times the parameters' bytes broadcast to and returned by every worker). Optionally ({@code
 * sparknmt.train.optimizer-state-averaging = at-checkpoints}) a round averages the parameters only,
 * and each worker continues from its kept graph's own moments. The workers start from the driver's
 * moments in the first round; their moments are averaged when the trainer asks, before a checkpoint
 * ({@link #averageOptimizerStateNextRound}), and the round after that restarts them all from the
 * average.
 */
public final class ScheduleKeepingTrainingMaster extends ParameterAveragingTrainingMaster {
  private static final long serialVersionUID = 1L;

  private final int updateFrequency;
  private final double clipNorm;
  private final String deviceResource;
  private final boolean optimizerStateEveryRound;
  private final boolean allReduce;

  /**
   * The last round's broadcast of the parameters and Adam state, destroyed once the round is
   * averaged. dl4j-spark makes a new one every round and leaves it to Spark's cleaner (i.e. to a
   * driver GC): executors and driver kept every round's 12 bytes per parameter in their block
   * managers until storage memory filled and blocks were written to disk.
   */
  private transient Broadcast<NetBroadcastTuple> roundBroadcast;

  /**
   * With the optimizer state averaged only when asked ({@link #averageOptimizerStateNextRound}):
   * the newest broadcast that carried it, kept until a newer one does. A worker of a
   * parameters-only round that has no graph of its own to continue (a new executor, a graph closed
   * while idle) starts from its moments.
   */
  private transient Broadcast<NetBroadcastTuple> stateBroadcast;

  /** The next round's workers return their optimizer state, and the driver averages it. */
  private transient boolean collectStateDue;

  /**
   * The next round's workers start from the driver's optimizer state: in the first round (a kept
   * graph may hold another training's) and in the round after one that averaged it.
   */
  private transient boolean sendStateDue = true;

  /**
   * Whether the workers of the last round prepared ({@link #getWorkerInstance}) average moments.
   */
  private transient boolean roundCollectsState;

  /** Where the all-reduce splits' time went, when training statistics are collected. */
  private transient AllReduceSplit.Timings allReduceTimings;

  /**
   * One minibatch per optimizer update, no global-norm clipping (DL4J's own step); devices named
   * {@code deviceResource}.
   */
  public ScheduleKeepingTrainingMaster(
      ParameterAveragingTrainingMaster.Builder builder, String deviceResource) {
    this(builder, 1, 0, deviceResource, true, false);
  }

  /**
   * @param updateFrequency minibatches per optimizer update on a worker (gradient accumulation: a
   *     worker reads averagingFrequency × updateFrequency batches per round)
   * @param clipNorm global L2 norm limit of each update's gradient, 0 = off
   * @param deviceResource the Spark resource name of a device, bound in each task ({@link
   *     org.sparknmt.jobs.gpu.TaskDevice})
   * @param optimizerStateEveryRound average the updater state (Adam's moments) in every round, as
   *     dl4j-spark does; false: only in the first round and when asked ({@link
   *     #averageOptimizerStateNextRound}), each worker keeping its own moments in between
   * @param allReduce train each split as one barrier stage whose workers average among themselves
   *     ({@link AllReduceSplit}) instead of one dl4j-spark job per round averaged on the driver
   */
  public ScheduleKeepingTrainingMaster(
      ParameterAveragingTrainingMaster.Builder builder,
      int updateFrequency,
      double clipNorm,
      String deviceResource,
      boolean optimizerStateEveryRound,
      boolean allReduce) {
    super(builder);
    this.updateFrequency = updateFrequency;
    this.clipNorm = clipNorm;
    this.deviceResource = deviceResource;
    this.optimizerStateEveryRound = optimizerStateEveryRound;
    this.allReduce = allReduce;
  }

  /** Whether splits are trained by {@link AllReduceSplit} (else one dl4j-spark job per round). */
  public boolean allReduce() {
    return allReduce;
  }

  /**
   * Where the time of the all-reduce splits went since this master was built (null without training
   * statistics): for the benchmark.
   */
  public AllReduceSplit.Timings allReduceTimings() {
    if (collectTrainingStats && allReduceTimings == null) {
      allReduceTimings = new AllReduceSplit.Timings();
    }
    return allReduceTimings;
  }

  /**
   * An all-reduce split's task ({@link AllReduceSplit}): the worker of {@link #getWorkerInstance}
   * (the broadcast, and whether moments are sent and averaged, decided as for a dl4j-spark round)
   * and this master's training settings. Its moments are averaged in the split's last round when
   * {@link #averageOptimizerStateNextRound} was called.
   */
  AllReduceSplit.Task allReduceTask(SparkComputationGraph graph) {
    CountKeepingWorker worker = (CountKeepingWorker) getWorkerInstance(graph);
    return new AllReduceSplit.Task(
        worker,
        BroadcastHadoopConfigHolder.get(graph.getSparkContext()),
        updateFrequency,
        clipNorm,
        deviceResource,
        prefetchNumBatches,
        averagingFrequency / updateFrequency,
        saveUpdater && optimizerStateEveryRound,
        roundCollectsState);
  }

  /**
   * Destroys the last round's broadcast once its workers are done, unless it is also the newest
   * that carried the optimizer state (kept for workers without a graph of their own).
   */
  void releaseRoundBroadcast() {
    if (roundBroadcast != null && roundBroadcast != stateBroadcast) {
      roundBroadcast.destroy(); // on the driver and the executors, without waiting
    }
  }

  /**
   * The next round averages the workers' optimizer state too (the driver's graph then holds
   * averaged moments, e.g. for a checkpoint), and the round after it restarts every worker from
   * that average. Every round does both when the state is averaged every round.
   */
  public void averageOptimizerStateNextRound() {
    collectStateDue = true;
  }

  /**
   * As dl4j-spark's own (same broadcast, same worker configuration), with the fixed worker; in a
   * parameters-only round the broadcast and the workers' results carry no updater state.
   */
  @Override
  public ParameterAveragingTrainingWorker getWorkerInstance(SparkComputationGraph graph) {
    boolean sendState = saveUpdater && (optimizerStateEveryRound || sendStateDue);
    boolean collectState = saveUpdater && (optimizerStateEveryRound || collectStateDue);
    sendStateDue = collectState && !optimizerStateEveryRound;
    collectStateDue = false;
    roundCollectsState = collectState;
    NetBroadcastTuple tuple =
        new NetBroadcastTuple(
            graph.getNetwork().getConfiguration(),
            graph.getNetwork().params(),
            sendState ? graph.getNetwork().getUpdater().getStateViewArray() : null);
    if (collectTrainingStats) {
      stats.logBroadcastStart();
    }
    Broadcast<NetBroadcastTuple> broadcast = graph.getSparkContext().broadcast(tuple);
    if (collectTrainingStats) {
      stats.logBroadcastEnd();
    }
    roundBroadcast = broadcast;
    if (sendState && !optimizerStateEveryRound) {
      if (stateBroadcast != null) {
        stateBroadcast.destroy();
      }
      stateBroadcast = broadcast;
    }
    WorkerConfiguration configuration =
        new WorkerConfiguration(
            true,
            rddDataSetNumExamples,
            batchSizePerWorker,
            averagingFrequency,
            prefetchNumBatches,
            collectTrainingStats);
    return new CountKeepingWorker(
        broadcast,
        sendState || !saveUpdater ? null : stateBroadcast,
        IdleGraphs.key(graph.getNetwork().getConfiguration()),
        collectState,
        configuration,
        trainingHookList,
        listeners,
        getRouterProvider());
  }

  /**
   * One averaging round over the given batch references, which {@link RoundPlan} has already dealt
   * to the workers. dl4j-spark's {@code executeTrainingPathsHelper} first counts the RDD (a Spark
   * job of its own every round: 0.03 s in local mode, 0.1 s on the standalone cluster) to cut it
   * into random rounds of its own, which here would always be the one round it is given.
   */
  @Override
  public void executeTrainingPaths(
      SparkDl4jMultiLayer network,
      SparkComputationGraph graph,
      JavaRDD<String> round,
      DataSetLoader dsLoader,
      MultiDataSetLoader mdsLoader) {
    if (collectTrainingStats) {
      stats.logFitStart();
    }
    doIterationPaths(network, graph, round, 1, 1, rddDataSetNumExamples, dsLoader, mdsLoader);
    if (collectTrainingStats) {
      stats.logFitEnd(round.getNumPartitions());
    }
  }

  /**
   * As dl4j-spark's, with {@link WholeBatchPathFlatMap} reading the batch references of a graph
   * ({@code mdsLoader} is not used: the references are not files).
   */
  @Override
  protected void doIterationPaths(
      SparkDl4jMultiLayer network,
      SparkComputationGraph graph,
      JavaRDD<String> split,
      int splitNum,
      int numSplits,
      int dataSetObjectNumExamples,
      DataSetLoader dsLoader,
      MultiDataSetLoader mdsLoader) {
    if (network != null || mdsLoader == null) {
      throw new UnsupportedOperationException(
          "only a ComputationGraph trains on MultiDataSet batch references (fitPathsMultiDataSet)");
    }
    if (collectTrainingStats) {
      stats.logMapPartitionsStart();
    }
    JavaRDD<String> data =
        SparkUtils.repartition(
            split,
            repartition,
            repartitionStrategy,
            numObjectsEachWorker(dataSetObjectNumExamples),
            numWorkers);
    JavaSparkContext sc = graph.getSparkContext();
    WholeBatchPathFlatMap<ParameterAveragingTrainingResult> function =
        new WholeBatchPathFlatMap<>(
            getWorkerInstance(graph),
            BroadcastHadoopConfigHolder.get(sc),
            updateFrequency,
            clipNorm,
            deviceResource);
    try {
      processResults(null, graph, data.mapPartitions(function), splitNum, numSplits);
    } finally {
      releaseRoundBroadcast();
    }
    if (collectTrainingStats) {
      stats.logMapPartitionsEnd(data.partitions().size());
    }
    // dl4j-spark advanced the driver's iteration count by its averaging frequency, which here
    // counts batches (updateFrequency per optimizer update): count the updates instead, so that the
    // learning-rate schedule and Adam's bias correction see one step per update
    ComputationGraphConfiguration conf = graph.getNetwork().getConfiguration();
    conf.setIterationCount(
        conf.getIterationCount() - averagingFrequency + averagingFrequency / updateFrequency);
  }

  /**
   * Destroys the broadcast kept for workers without a graph of their own ({@link #stateBroadcast});
   * after training: executors would otherwise hold its parameters and moments (12 bytes per
   * parameter) until Spark's cleaner got to it.
   */
  public void releaseStateBroadcast() {
    if (stateBroadcast != null) {
      stateBroadcast.destroy();
      stateBroadcast = null;
      sendStateDue = true;
    }
  }

  /** The last round's broadcast (destroyed once the round is averaged): for tests. */
  Broadcast<NetBroadcastTuple> roundBroadcast() {
    return roundBroadcast;
  }

  /**
   * The worker whose graph starts at the driver's iteration and epoch counts, and is kept between
   * rounds: dl4j-spark builds a new graph every round (layers, a copy of the parameters and of the
   * updater state: 91 MB of off-heap buffers for the {@code small} preset, 760 MB for {@code base},
   * freed only when the garbage collector gets to them). Here a task takes an idle graph of the
   * same configuration from {@link IdleGraphs} if this JVM has one, overwrites its parameters and
   * updater state with the broadcast ones (in a parameters-only round only the parameters: it
   * continues with its own Adam moments), and gives it back when the task has completed (after its
   * result, which refers to the graph's parameters, has been aggregated); a failed task's graph is
   * closed instead.
   */
  static final class CountKeepingWorker extends ParameterAveragingTrainingWorker {
    private static final long serialVersionUID = 1L;
    private final Broadcast<NetBroadcastTuple> tuple;
    private final Broadcast<NetBroadcastTuple> state;
    private final String graphKey;

    /**
     * @param state in a round that does not send the updater state, the newest broadcast that did
     *     (for a worker with no graph of its own to continue); null otherwise
     * @param graphKey the graph's {@link IdleGraphs#key}, computed once per round on the driver
     * @param saveUpdater whether the worker's result carries its updater state
     */
    CountKeepingWorker(
        Broadcast<NetBroadcastTuple> broadcast,
        Broadcast<NetBroadcastTuple> state,
        String graphKey,
        boolean saveUpdater,
        WorkerConfiguration configuration,
        Collection<TrainingHook> trainingHooks,
        Collection<TrainingListener> listeners,
        StatsStorageRouterProvider routerProvider) {
      super(broadcast, saveUpdater, configuration, trainingHooks, listeners, routerProvider);
      this.tuple = broadcast;
      this.state = state;
      this.graphKey = graphKey;
    }

    @Override
    public ComputationGraph getInitialModelGraph() {
      NetBroadcastTuple driver = tuple.getValue();
      ComputationGraphConfiguration conf = driver.getGraphConfiguration();
      boolean keepOwnMoments = state != null;
      // without an updater state to overwrite it with or to keep, a kept graph would keep its own
      ComputationGraph net =
          driver.getUpdaterState() == null && !keepOwnMoments ? null : IdleGraphs.take(graphKey);
      if (net == null && !keepOwnMoments) {
        net = super.getInitialModelGraph();
      } else {
        ParameterAveragingTrainingWorkerStatsHelper stats = startStats();
        if (net == null) {
          // the round sends no moments and this JVM has no graph of the training: the newest sent
          net = new ComputationGraph(conf.clone());
          net.init(driver.getParameters().unsafeDuplication(), false);
          net.getUpdater().getStateViewArray().assign(state.getValue().getUpdaterState());
        } else {
          net.setParams(driver.getParameters());
          if (!keepOwnMoments) {
            net.getUpdater().getStateViewArray().assign(driver.getUpdaterState());
          }
        }
        Nd4j.getExecutioner().commit();
        if (stats != null) {
          stats.logInitEnd();
        }
      }
      net.getConfiguration().setIterationCount(conf.getIterationCount());
      net.getConfiguration().setEpochCount(conf.getEpochCount());
      TaskContext task = TaskContext.get();
      if (task != null) {
        ComputationGraph kept = net;
        // a failed task's graph may hold a partly trained round (its own Adam moments included):
        // freed, not kept; the next round on this executor builds one from the newest broadcast
        task.addTaskCompletionListener(
            (TaskCompletionListener)
                context -> {
                  if (context.isFailed()) {
                    kept.close();
                  } else {
                    IdleGraphs.giveBack(graphKey, kept);
                  }
                });
      }
      return net;
    }

    /**
     * With training statistics on (the benchmark), what dl4j-spark's {@code getInitialModelGraph}
     * does first: a new statistics helper in the worker's private field, which its {@code
     * processMinibatchWithStats} logs to.
     */
    private ParameterAveragingTrainingWorkerStatsHelper startStats() {
      if (!getDataConfiguration().isCollectTrainingStats()) {
        return null;
      }
      ParameterAveragingTrainingWorkerStatsHelper stats =
          new ParameterAveragingTrainingWorkerStatsHelper();
      stats.logBroadcastGetValueStart();
      stats.logBroadcastGetValueEnd();
      try {
        Field field = ParameterAveragingTrainingWorker.class.getDeclaredField("stats");
        field.setAccessible(true);
        field.set(this, stats);
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("dl4j-spark's worker has no 'stats' field", e);
      }
      return stats;
    }
  }

  /**
   * The worker graphs of this JVM that no task is training, by configuration (iteration and epoch
   * counts left out); only the newest configuration's graphs are kept, at most one per concurrent
   * task. A graph idle for longer than {@link #MAX_IDLE_NANOS} is closed (its parameters, gradients
   * and updater state freed: 12 bytes per parameter off-heap, 0.6 GB for the {@code base} preset),
   * so that an executor does not hold a finished training's graphs while it goes on to decode or to
   * another job; a daemon thread looks every {@link #SWEEP_SECONDS}.
   */
  static final class IdleGraphs {
    /**
     * Longer than the gaps between two rounds of one training (validation after an epoch,
     * checkpoints): a graph that does go idle that long is built again in its next round.
     */
    static final long MAX_IDLE_NANOS = TimeUnit.SECONDS.toNanos(60);

    static final long SWEEP_SECONDS = 15;

    private record Idle(ComputationGraph graph, long sinceNanos) {}

    private static String currentKey;
    private static final Deque<Idle> IDLE = new ArrayDeque<>();
    private static ScheduledExecutorService sweeper;

    private IdleGraphs() {}

    static String key(ComputationGraphConfiguration conf) {
      ComputationGraphConfiguration c = conf.clone();
      c.setIterationCount(0);
      c.setEpochCount(0);
      return c.toJson();
    }

    static synchronized ComputationGraph take(String key) {
      Idle idle = key.equals(currentKey) ? IDLE.pollFirst() : null;
      return idle == null ? null : idle.graph();
    }

    static synchronized void giveBack(String key, ComputationGraph net) {
      if (!key.equals(currentKey)) {
        closeIdleLongerThan(-1, System.nanoTime());
        currentKey = key;
      }
      IDLE.addFirst(new Idle(net, System.nanoTime()));
      if (sweeper == null) {
        sweeper =
            Executors.newSingleThreadScheduledExecutor(
                r -> {
                  Thread t = new Thread(r, "sparknmt-idle-graphs");
                  t.setDaemon(true);
                  return t;
                });
        sweeper.scheduleWithFixedDelay(
            () -> closeIdleLongerThan(MAX_IDLE_NANOS, System.nanoTime()),
            SWEEP_SECONDS,
            SWEEP_SECONDS,
            TimeUnit.SECONDS);
      }
    }

    /** Closes and forgets the graphs idle for more than {@code maxIdleNanos} at {@code now}. */
    static synchronized int closeIdleLongerThan(long maxIdleNanos, long nowNanos) {
      int closed = 0;
      for (Iterator<Idle> it = IDLE.iterator(); it.hasNext(); ) {
        Idle idle = it.next();
        if (nowNanos - idle.sinceNanos() > maxIdleNanos) {
          it.remove();
          idle.graph().close();
          closed++;
        }
      }
      return closed;
    }

    /** Idle graphs now (for tests). */
    static synchronized int size() {
      return IDLE.size();
    }
  }
}
