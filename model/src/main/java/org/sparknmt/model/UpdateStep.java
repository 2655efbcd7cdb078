package org.sparknmt.model;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Optimizer updates over several minibatches (gradient accumulation, fairseq's {@code
 * --update-freq}) with optional global-norm gradient clipping, on a graph from {@link
 * TransformerFactory}.
 *
 * <p>The graph's gradient of one minibatch is the mean over its real target tokens (the loss layer
 * divides by their number). Here the gradients of {@code updateFrequency} minibatches are summed,
 * each weighted by its token count, and divided by the total: exactly the gradient of one batch
 * holding all of them. Then, if {@code clipNorm} &gt; 0, the whole gradient is scaled to L2 norm ≤
 * clipNorm (PyTorch's {@code clip_grad_norm_}; DL4J's own clipping is per layer), one updater step
 * (Adam with the learning-rate schedule at the current iteration) is applied and the iteration
 * count advances by one — as {@code ComputationGraph.fit} does for one minibatch.
 *
 * <p>Not thread-safe; one instance per graph and training thread.
 */
public final class UpdateStep {
  private final ComputationGraph graph;
  private final int updateFrequency;
  private final double clipNorm;
  private INDArray gradientSum;
  private double tokens;
  private int pending;
  private double lastScore;

  /**
   * @param updateFrequency minibatches per update (≥ 1)
   * @param clipNorm maximum global L2 norm of the gradient, 0 = no clipping
   */
  public UpdateStep(ComputationGraph graph, int updateFrequency, double clipNorm) {
    if (updateFrequency < 1) {
      throw new IllegalArgumentException("updateFrequency must be >= 1, got " + updateFrequency);
    }
    if (!(clipNorm >= 0)) {
      throw new IllegalArgumentException("clipNorm must be >= 0, got " + clipNorm);
    }
    this.graph = graph;
    this.updateFrequency = updateFrequency;
    this.clipNorm = clipNorm;
  }

  /** Whether plain {@code graph.fit} does the same (one minibatch per update, no clipping). */
  public boolean isPlainFit() {
    return updateFrequency == 1 && clipNorm == 0;
  }

  /**
   * Adds one minibatch's gradient; applies the update when it completes a group of {@code
   * updateFrequency}.
   *
   * @return whether an update was applied
   */
  @SuppressWarnings("try") // the workspace scope is used for its side effect only
  public boolean fit(MultiDataSet batch) {
    graph.setInputs(batch.getFeatures());
    graph.setLabels(batch.getLabels());
    graph.setLayerMaskArrays(batch.getFeaturesMaskArrays(), batch.getLabelsMaskArrays());
    graph.computeGradientAndScore();
    lastScore = graph.score();
    double n = realTargetTokens(batch);
    INDArray g = graph.getFlattenedGradients();
    try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      if (gradientSum == null) {
        gradientSum = Nd4j.zeros(g.dataType(), g.shape());
      }
      Nd4j.getBlasWrapper().level1().axpy(g.length(), n, g, gradientSum); // sum += n·g, in place
    }
    tokens += n;
    pending++;
    graph.clearLayerMaskArrays();
    graph.clearLayersStates();
    if (pending == updateFrequency) {
      apply();
      return true;
    }
    return false;
  }

  /**
   * Applies a partial group (fewer than {@code updateFrequency} minibatches at the end of a round
   * or epoch), so that no minibatch is dropped.
   *
   * @return whether an update was applied
   */
  public boolean flush() {
    if (pending == 0) {
      return false;
    }
    apply();
    return true;
  }

  /** The training loss of the last minibatch (per real target token). */
  public double lastScore() {
    return lastScore;
  }

  @SuppressWarnings("try")
  private void apply() {
    INDArray g = graph.getFlattenedGradients();
    try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      g.assign(gradientSum).divi(tokens);
      if (clipNorm > 0) {
        double norm = g.norm2Number().doubleValue();
        if (norm > clipNorm) {
          g.muli(clipNorm / norm);
        }
      }
      int iteration = graph.getIterationCount();
      graph
          .getUpdater()
          .update(
              graph.gradient(),
              iteration,
              graph.getEpochCount(),
              graph.batchSize(),
              LayerWorkspaceMgr.noWorkspaces());
      INDArray params = graph.params();
      params.subi(g.reshape(params.shape())); // the updater turned the gradient into the step
      graph.getConfiguration().setIterationCount(iteration + 1);
    }
    gradientSum.assign(0);
    tokens = 0;
    pending = 0;
  }

  /** Real target tokens of a minibatch: the labels mask's sum, or every label position. */
  static double realTargetTokens(MultiDataSet batch) {
    INDArray[] masks = batch.getLabelsMaskArrays();
    if (masks != null && masks[0] != null) {
      return Math.max(1.0, masks[0].sumNumber().doubleValue());
    }
    INDArray labels = batch.getLabels(0);
    return (double) labels.size(0) * labels.size(labels.rank() - 1);
  }
}
