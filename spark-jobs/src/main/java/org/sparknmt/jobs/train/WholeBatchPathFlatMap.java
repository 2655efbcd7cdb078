package org.sparknmt.jobs.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.datavec.spark.util.SerializableHadoopConfig;
import org.deeplearning4j.core.loader.MultiDataSetLoader;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.spark.api.TrainingResult;
import org.deeplearning4j.spark.api.TrainingWorker;
import org.deeplearning4j.spark.iterator.PathSparkMultiDataSetIterator;
import org.nd4j.linalg.dataset.AsyncMultiDataSetIterator;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.dataset.api.iterator.MultiDataSetIterator;
import org.nd4j.linalg.factory.Nd4j;
import org.sparknmt.jobs.gpu.TaskDevice;
import org.sparknmt.model.UpdateStep;

/**
 * A parameter-averaging worker's task over its batch files: every file is one minibatch, as it was
 * written.
 *
 * <p>dl4j-spark's own {@code ExecuteWorkerPathMDSFlatMap} passes the loaded MultiDataSets through
 * {@code IteratorMultiDataSetIterator(batchSizePerWorker)}, which merges smaller ones with the next
 * (padding every array to the longest) and splits larger ones, so that each minibatch has exactly
 * {@code batchSizePerWorker} examples. That keeps pair-count batches intact only because they all
 * have exactly that many pairs; token-budget batches differ in pair count, and would be merged and
 * split across length buckets. Here the files reach {@code processMinibatch} unchanged (prefetched
 * asynchronously as before). At most {@code maxBatchesPerWorker} (= averaging frequency) files are
 * read, as dl4j-spark does — times {@code updateFrequency}: with gradient accumulation a worker
 * makes averaging-frequency optimizer updates of {@code updateFrequency} minibatches each ({@link
 * UpdateStep}, also used alone for global-norm clipping). Training statistics are not collected.
 */
final class WholeBatchPathFlatMap<R extends TrainingResult>
    implements FlatMapFunction<Iterator<String>, R> {
  private static final long serialVersionUID = 1L;

  private final TrainingWorker<R> worker;
  private final MultiDataSetLoader loader;
  private final Broadcast<SerializableHadoopConfig> hadoopConfig;
  private final int updateFrequency;
  private final double clipNorm;
  private final String deviceResource;

  /**
   * @param deviceResource the Spark resource name of a device ({@link TaskDevice})
   */
  WholeBatchPathFlatMap(
      TrainingWorker<R> worker,
      MultiDataSetLoader loader,
      Broadcast<SerializableHadoopConfig> hadoopConfig,
      int updateFrequency,
      double clipNorm,
      String deviceResource) {
    this.worker = worker;
    this.loader = loader;
    this.hadoopConfig = hadoopConfig;
    this.updateFrequency = updateFrequency;
    this.clipNorm = clipNorm;
    this.deviceResource = deviceResource;
  }

  @Override
  public Iterator<R> call(Iterator<String> paths) throws Exception {
    int max = worker.getDataConfiguration().getMaxBatchesPerWorker();
    int maxBatches = max > 0 ? max : Integer.MAX_VALUE;
    List<String> files = new ArrayList<>();
    while (paths.hasNext() && files.size() < maxBatches) {
      files.add(paths.next());
    }
    if (files.isEmpty()) {
      return Collections.emptyIterator();
    }
    TaskDevice.bindAssigned(
        deviceResource); // before the model and the prefetch thread allocate anything
    MultiDataSetIterator batches =
        new PathSparkMultiDataSetIterator(files.iterator(), loader, hadoopConfig);
    int prefetch = worker.getDataConfiguration().getPrefetchNumBatches();
    if (prefetch > 0) {
      batches = new AsyncMultiDataSetIterator(batches, prefetch);
    }
    try {
      ComputationGraph net = worker.getInitialModelGraph();
      UpdateStep step = new UpdateStep(net, updateFrequency, clipNorm);
      if (!step.isPlainFit()) {
        while (batches.hasNext()) {
          step.fit(batches.next());
        }
        step.flush(); // a partial group at the end of the round is still an update
        return Collections.singletonList(worker.getFinalResult(net)).iterator();
      }
      while (batches.hasNext()) {
        MultiDataSet next = batches.next();
        R result = worker.processMinibatch(next, net, !batches.hasNext());
        if (result != null) {
          return Collections.singletonList(result).iterator();
        }
      }
      return Collections.singletonList(worker.getFinalResult(net)).iterator();
    } finally {
      Nd4j.getExecutioner().commit();
      if (batches instanceof AsyncMultiDataSetIterator async) {
        async.shutdown();
      }
    }
  }
}
