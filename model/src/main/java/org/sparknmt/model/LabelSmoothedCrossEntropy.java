package org.sparknmt.model;

import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.shape.OneHot;
import org.nd4j.linalg.api.ops.impl.transforms.custom.LogSoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.nd4j.shade.jackson.annotation.JsonProperty;
import org.sparknmt.model.layers.RowKernels;

/**
 * Cross-entropy with label smoothing ε (Szegedy et al. 2016; Vaswani et al. 2017 §5.4) on index
 * labels, as PyTorch's {@code CrossEntropyLoss(label_smoothing=ε)} defines it: the target
 * distribution is q = (1 − ε)·onehot(y) + ε/V, and the loss of a row is −Σ_v q_v · log
 * softmax(z)_v.
 *
 * <p>Layouts (N rows = target tokens, V = vocabulary): {@code labels} [N, 1] holding class indices
 * as floating point numbers (not one-hot), {@code preOutput} = logits [N, V], {@code mask} [N, 1]
 * or [N] (1 = real token, 0 = padding) or null. The activation function must be softmax; it is
 * applied here in log space for numerical stability. Scores are sums over unmasked rows ({@code
 * average} divides by the number of rows, as DL4J does); {@link
 * org.sparknmt.model.layers.SequenceLossLayer} divides by the number of real target tokens instead.
 */
public final class LabelSmoothedCrossEntropy implements ILossFunction {
  private static final long serialVersionUID = 1L;

  private final double epsilon;

  /**
   * @param epsilon ε in [0, 1)
   */
  public LabelSmoothedCrossEntropy(@JsonProperty("epsilon") double epsilon) {
    if (!(epsilon >= 0 && epsilon < 1)) {
      throw new IllegalArgumentException(
          "label smoothing epsilon must be in [0, 1), got " + epsilon);
    }
    this.epsilon = epsilon;
  }

  public double getEpsilon() {
    return epsilon;
  }

  /** The smoothed target distribution q [N, V] for index labels [N, 1]. */
  public INDArray targets(INDArray labels, long vocab) {
    INDArray idx =
        labels.reshape(labels.length()).castTo(org.nd4j.linalg.api.buffer.DataType.INT32);
    double off = epsilon / vocab;
    double on = 1.0 - epsilon + off;
    return Nd4j.exec(new OneHot(idx, (int) vocab, -1, on, off, labels.dataType()))[0];
  }

  private static INDArray maskColumn(INDArray mask, INDArray like) {
    return mask == null ? null : mask.reshape(mask.length(), 1).castTo(like.dataType());
  }

  @Override
  public INDArray computeScoreArray(
      INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
    INDArray logp = Nd4j.exec(new LogSoftMax(preOutput, 1))[0];
    INDArray rows = targets(labels, preOutput.size(1)).muli(logp).sum(true, 1).negi(); // [N, 1]
    INDArray m = maskColumn(mask, rows);
    return m == null ? rows : rows.muli(m);
  }

  @Override
  public double computeScore(
      INDArray labels,
      INDArray preOutput,
      IActivation activationFn,
      INDArray mask,
      boolean average) {
    double sum = computeScoreArray(labels, preOutput, activationFn, mask).sumNumber().doubleValue();
    return average ? sum / preOutput.size(0) : sum;
  }

  /** dL/dlogits of the summed loss: (softmax(z) − q) on real rows, 0 on padding. */
  @Override
  public INDArray computeGradient(
      INDArray labels, INDArray preOutput, IActivation activationFn, INDArray mask) {
    INDArray grad = Transforms.softmax(preOutput, true).subi(targets(labels, preOutput.size(1)));
    INDArray m = maskColumn(mask, grad);
    return m == null ? grad : grad.muliColumnVector(m);
  }

  @Override
  public Pair<Double, INDArray> computeGradientAndScore(
      INDArray labels,
      INDArray preOutput,
      IActivation activationFn,
      INDArray mask,
      boolean average) {
    return Pair.of(
        computeScore(labels, preOutput, activationFn, mask, average),
        computeGradient(labels, preOutput, activationFn, mask));
  }

  /**
   * Fused loss and gradient for the real target tokens only (what the output layer uses): {@code
   * logits} [n, V] is overwritten with dL/dlogits = softmax(z) − q of the summed loss; returns the
   * summed loss. Avoids the one-hot matrix and the repeated V-wide passes of the {@link
   * ILossFunction} methods (same values, see the tests).
   *
   * @param labels class index of each row
   */
  public double lossAndGradientInPlace(INDArray logits, int[] labels) {
    if (logits.ordering() != 'c' || logits.rank() != 2 || logits.elementWiseStride() != 1) {
      throw new IllegalArgumentException("logits must be a contiguous row-major [n, V] array");
    }
    if (RowKernels.applies(logits)) {
      return RowKernels.smoothedCrossEntropyInPlace(logits, labels, epsilon);
    }
    long vocab = logits.size(1);
    // log p_v = z_v − m − log s with m = max_v z_v and s = Σ_v exp(z_v − m); per row, the loss
    // −(1 − ε)·log p_y − (ε/V)·Σ_v log p_v = log s − (1 − ε)·(z_y − m) − (ε/V)·Σ_v (z_v − m)
    logits.subiColumnVector(logits.max(true, 1)); // z − m
    double[] shiftedSum = logits.sum(1).toDoubleVector();
    DataBuffer buf = logits.data();
    long base = logits.offset();
    double[] shiftedTarget = new double[labels.length];
    for (int i = 0; i < labels.length; i++) {
      shiftedTarget[i] = buf.getDouble(base + i * vocab + labels[i]);
    }
    Transforms.exp(logits, false);
    INDArray expSum = logits.sum(true, 1);
    double[] s = expSum.toDoubleVector();
    logits.diviColumnVector(expSum).subi(epsilon / vocab); // p − ε/V
    double loss = 0;
    for (int i = 0; i < labels.length; i++) {
      loss += Math.log(s[i]) - (1 - epsilon) * shiftedTarget[i] - epsilon / vocab * shiftedSum[i];
      long at = base + i * vocab + labels[i];
      buf.put(at, buf.getDouble(at) - (1 - epsilon));
    }
    return loss;
  }

  @Override
  public String name() {
    return "LabelSmoothedCrossEntropy(" + epsilon + ")";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LabelSmoothedCrossEntropy l && Double.compare(l.epsilon, epsilon) == 0;
  }

  @Override
  public int hashCode() {
    return Double.hashCode(epsilon);
  }

  @Override
  public String toString() {
    return name();
  }
}
