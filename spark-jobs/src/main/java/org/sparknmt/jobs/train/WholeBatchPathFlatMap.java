package org.sparknmt.jobs.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.datavec.spark.util.SerializableHadoopConfig;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.TrainingResult;
import org.deeplearning4j.spark.api.TrainingWorker;
import org.deeplearning4j.spark.api.WorkerConfiguration;
import org.deeplearning4j.spark.api.stats.SparkTrainingStats;
import org.deeplearning4j.spark.api.stats.StatsCalculationHelper;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.dataset.AsyncMultiDataSetIterator;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.sparknmt.jobs.gpu.TaskDevice;
import org.sparknmt.model.UpdateStep;

/**
 * A parameter-averaging worker's task over its batches, given as references into the packed part
 * files ({@code <part>#<offset>+<length>}, read by {@link BatchRefIterator}: each part opened once
 * per task): every batch is one minibatch, as it was written.
 *
 * <p>dl4j-spark's own {@code ExecuteWorkerPathMDSFlatMap} passes the loaded MultiDataSets through
 * {@code IteratorMultiDataSetIterator(batchSizePerWorker)}, which merges smaller ones with the next
 * (padding every array to the longest) and splits larger ones, so that each minibatch has exactly
 * {@code batchSizePerWorker} examples. That keeps pair-count batches intact only because they all
 * have exactly that many pairs; token-budget batches differ in pair count, and would be merged and
 * split across length buckets. Here the batches reach {@code processMinibatch} unchanged
 * (prefetched asynchronously as before). At most {@code maxBatchesPerWorker} (= averaging
 * frequency) batches are read, as dl4j-spark does — times {@code updateFrequency}: with gradient
 * accumulation a worker makes averaging-frequency optimizer updates of {@code updateFrequency}
 * minibatches each ({@link UpdateStep}, also used alone for global-norm clipping). Training
 * statistics (dl4j-spark's {@code collectTrainingStats}, used by the benchmark) are collected as
 * dl4j-spark's own worker collects them.
 */
final class WholeBatchPathFlatMap<R extends TrainingResult>
    implements FlatMapFunction<Iterator<String>, R> {
  private static final long serialVersionUID = 1L;

  private final TrainingWorker<R> worker;
  private final Broadcast<SerializableHadoopConfig> hadoopConfig;
  private final int updateFrequency;
  private final double clipNorm;
  private final String deviceResource;

  /**
   * @param deviceResource the Spark resource name of a device ({@link TaskDevice})
   */
  WholeBatchPathFlatMap(
      TrainingWorker<R> worker,
      Broadcast<SerializableHadoopConfig> hadoopConfig,
      int updateFrequency,
      double clipNorm,
      String deviceResource) {
    this.worker = worker;
    this.hadoopConfig = hadoopConfig;
    this.updateFrequency = updateFrequency;
    this.clipNorm = clipNorm;
    this.deviceResource = deviceResource;
  }

  @Override
  public Iterator<R> call(Iterator<String> refs) throws Exception {
    WorkerConfiguration config = worker.getDataConfiguration();
    StatsCalculationHelper stats =
        config.isCollectTrainingStats() ? new StatsCalculationHelper() : null;
    if (stats != null) {
      stats.logMethodStartTime();
    }
    int max = config.getMaxBatchesPerWorker();
    int maxBatches = max > 0 ? max : Integer.MAX_VALUE;
    List<String> mine = new ArrayList<>();
    while (refs.hasNext() && mine.size() < maxBatches) {
      mine.add(refs.next());
    }
    if (mine.isEmpty()) {
      return Collections.emptyIterator();
    }
    // before the model and the prefetch thread allocate anything
    TaskDevice.bindAssigned(deviceResource);
    BatchRefIterator reader =
        new BatchRefIterator(mine, hadoopConfig.getValue().getConfiguration());
    MultiDataSetIterator batches = reader;
    int prefetch = config.getPrefetchNumBatches();
    if (prefetch > 0) {
      batches = new AsyncMultiDataSetIterator(batches, prefetch);
    }
    try {
      if (stats != null) {
        stats.logInitialModelBefore();
      }
      ComputationGraph net = worker.getInitialModelGraph();
      if (stats != null) {
        stats.logInitialModelAfter();
      }
      UpdateStep step = new UpdateStep(net, updateFrequency, clipNorm);
      if (!step.isPlainFit()) {
        while (batches.hasNext()) {
          step.fit(batches.next());
        }
        step.flush(); // a partial group at the end of the round is still an update
        return Collections.singletonList(finalResult(net, stats)).iterator();
      }
      while (batches.hasNext()) {
        if (stats != null) {
          stats.logNextDataSetBefore();
        }
        MultiDataSet next = batches.next();
        if (stats == null) {
          R result = worker.processMinibatch(next, net, !batches.hasNext());
          if (result != null) {
            return Collections.singletonList(result).iterator();
          }
          continue;
        }
        stats.logNextDataSetAfter(next.getFeatures(0).size(0));
        stats.logProcessMinibatchBefore();
        Pair<R, SparkTrainingStats> result =
            worker.processMinibatchWithStats(next, net, !batches.hasNext());
        stats.logProcessMinibatchAfter();
        if (result != null) {
          stats.logReturnTime();
          result.getFirst().setStats(stats.build(result.getSecond()));
          return Collections.singletonList(result.getFirst()).iterator();
        }
      }
      return Collections.singletonList(finalResult(net, stats)).iterator();
    } finally {
      Nd4j.getExecutioner().commit();
      if (batches instanceof AsyncMultiDataSetIterator async) {
        async.shutdown();
      }
      reader.close();
    }
  }

  private R finalResult(ComputationGraph net, StatsCalculationHelper stats) {
    if (stats == null) {
      return worker.getFinalResult(net);
    }
    stats.logReturnTime();
    Pair<R, SparkTrainingStats> pair = worker.getFinalResultWithStats(net);
    pair.getFirst().setStats(stats.build(pair.getSecond()));
    return pair.getFirst();
  }
}
