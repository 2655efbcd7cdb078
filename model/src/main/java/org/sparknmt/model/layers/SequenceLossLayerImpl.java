package org.sparknmt.model.layers;

import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.layers.LossLayer;
import org.deeplearning4j.nn.workspace.ArrayType;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.lossfunctions.ILossFunction;
import org.sparknmt.model.LabelSmoothedCrossEntropy;

/**
 * Runtime of {@link SequenceLossLayer}. Score = Σ_tokens loss / number of real target tokens; the
 * gradient is that score's exact gradient, so the updater must not divide it by the minibatch size
 * ({@link #updaterDivideByMinibatch} is false, as for the vertices).
 */
public class SequenceLossLayerImpl extends LossLayer {
  private static final long serialVersionUID = 1L;

  private transient INDArray logitsInput;
  private transient INDArray logitsCache;
  private transient INDArray lossInput;
  private transient double lossSum;
  private transient double lossTokens;
  private transient StepArena arena;

  public SequenceLossLayerImpl(NeuralNetConfiguration conf, DataType dataType) {
    super(conf, dataType);
  }

  private ILossFunction loss() {
    return ((SequenceLossLayer) conf().getLayer()).getLossFn();
  }

  /** The output matrix E [V, d_model] (shared with tied embeddings). */
  public INDArray embeddingMatrix() {
    return getParam("E");
  }

  /** Gradient view of E; tied embedding vertices add their part after this layer's backward. */
  public INDArray embeddingGradient() {
    return gradientViews.get("E");
  }

  /** logits = x·Eᵀ for x [N, d_model] → [N, V]. */
  public INDArray logits(INDArray x) {
    return TensorOps.matmul(x, embeddingMatrix(), false, true);
  }

  private INDArray x2d() {
    return input.reshape('c', input.size(0) * input.size(1), input.size(2));
  }

  /** Logits [B·T, V] of the current input, computed once per input array. */
  private INDArray logits2d() {
    if (logitsInput != input || logitsCache == null) {
      logitsCache = logits(x2d());
      logitsInput = input;
    }
    return logitsCache;
  }

  private INDArray labels2d() {
    if (labels.rank() != 3 || labels.size(1) != 1) {
      throw new IllegalArgumentException(
          "labels must be decoder output ids [B, 1, T], got " + labels.shapeInfoToString());
    }
    if (labels.size(0) != input.size(0) || labels.size(2) != input.size(1)) {
      throw new IllegalArgumentException(
          "labels [B, 1, T] do not match the decoder input: labels "
              + java.util.Arrays.toString(labels.shape())
              + ", decoder output "
              + java.util.Arrays.toString(input.shape()));
    }
    return labels.reshape('c', labels.size(0) * labels.size(2), 1);
  }

  private INDArray mask2d() {
    return maskArray == null ? null : maskArray.reshape('c', maskArray.length(), 1);
  }

  private double tokens() {
    return maskArray == null
        ? (double) input.size(0) * input.size(1)
        : Math.max(1.0, maskArray.sumNumber().doubleValue());
  }

  @Override
  public double computeScore(double fullNetRegTerm, boolean training, LayerWorkspaceMgr mgr) {
    if (input == null || labels == null) {
      throw new IllegalStateException("cannot compute the score without input and labels");
    }
    if (lossInput != input) { // not computed by backpropGradient for this input
      double sum = loss().computeScore(labels2d(), logits2d(), null, mask2d(), false);
      lossSum = sum;
      lossTokens = tokens();
      lossInput = input;
    }
    score = lossSum / lossTokens + fullNetRegTerm;
    return score;
  }

  /** Rows of [B·T] that hold real target tokens (mask 1), all rows without a mask. */
  private int[] realRows() {
    long n = input.size(0) * input.size(1);
    if (maskArray == null) {
      int[] all = new int[(int) n];
      for (int i = 0; i < all.length; i++) {
        all[i] = i;
      }
      return all;
    }
    double[] m = maskArray.castTo(DataType.DOUBLE).reshape(n).toDoubleVector();
    int count = 0;
    for (double v : m) {
      count += v != 0 ? 1 : 0;
    }
    int[] rows = new int[count];
    for (int i = 0, j = 0; i < m.length; i++) {
      if (m[i] != 0) {
        rows[j++] = i;
      }
    }
    return rows;
  }

  /** Per sentence: summed token loss / real tokens of the sentence, [B, 1]. */
  @Override
  public INDArray computeScoreForExamples(double fullNetRegTerm, LayerWorkspaceMgr mgr) {
    long b = input.size(0);
    long t = input.size(1);
    INDArray rows = loss().computeScoreArray(labels2d(), logits2d(), null, mask2d());
    INDArray perSentence = rows.reshape('c', b, t).sum(true, 1);
    INDArray counts =
        maskArray == null
            ? perSentence.ulike().assign(t)
            : maskArray.castTo(perSentence.dataType()).sum(true, 1);
    INDArray out = perSentence.divi(counts.addi(counts.eq(0).castTo(counts.dataType())));
    if (fullNetRegTerm != 0) {
      out.addi(fullNetRegTerm);
    }
    return mgr.leverageTo(ArrayType.ACTIVATIONS, out);
  }

  /**
   * Logits, loss and gradient for the real target tokens only (padding rows are skipped, not just
   * masked): dL/dlogits, dE = dLogitsᵀ·x (written first; tied embeddings add theirs later) and
   * dL/dx = dLogits·E scattered back to [B, T, d_model].
   */
  @Override
  @SuppressWarnings("try") // the workspace scope is used for its side effect only
  public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
    if (arena == null) {
      arena = new StepArena(arenaOwner());
    }
    Pair<Gradient, INDArray> out;
    try (StepArena.Scope s = arena.beginStep()) {
      out = lossGradient();
    }
    mgr.setNoLeverageOverride(arena.id()); // dL/dx stays in the arena until clear()
    return out;
  }

  @SuppressWarnings("deprecation") // Nd4j.scatterUpdate: in-place row scatter
  private Pair<Gradient, INDArray> lossGradient() {
    int[] rows = realRows();
    INDArray x = x2d();
    INDArray idx = Nd4j.createFromArray(rows);
    INDArray xs = Nd4j.pullRows(x, 1, rows); // [n, d_model]
    double[] lab = labels2d().castTo(DataType.DOUBLE).reshape(x.size(0)).toDoubleVector();
    int[] y = new int[rows.length];
    for (int i = 0; i < rows.length; i++) {
      y[i] = (int) lab[rows[i]];
    }
    INDArray dLogits = logits(xs); // [n, V], becomes the gradient in place
    LabelSmoothedCrossEntropy lossFn = (LabelSmoothedCrossEntropy) loss();
    lossSum = lossFn.lossAndGradientInPlace(dLogits, y);
    lossTokens = Math.max(1, rows.length);
    lossInput = input;
    dLogits.divi(lossTokens);
    INDArray gE = embeddingGradient();
    Nd4j.gemm(dLogits, xs, gE, true, false, 1.0, 0.0); // dE = dLogitsᵀ·x, written first
    INDArray dx = Nd4j.zeros(x.dataType(), x.size(0), x.size(1));
    Nd4j.scatterUpdate(
        org.nd4j.linalg.api.ops.impl.scatter.ScatterUpdate.UpdateOp.ADD,
        dx,
        idx,
        TensorOps.matmul(dLogits, embeddingMatrix(), false, false),
        1);
    Gradient g = new DefaultGradient(gradientsFlattened);
    g.gradientForVariable().put("E", gE);
    return new Pair<>(g, dx.reshape('c', input.size(0), input.size(1), input.size(2)));
  }

  @Override
  public void computeGradientAndScore(LayerWorkspaceMgr mgr) {
    gradient = backpropGradient(null, mgr).getFirst();
    computeScore(0, true, mgr);
  }

  /** Softmax probabilities [B, T, V]. */
  @Override
  public INDArray activate(boolean training, LayerWorkspaceMgr mgr) {
    INDArray p = TensorOps.softmaxLastDim(logits2d());
    return mgr.leverageTo(
        ArrayType.ACTIVATIONS, p.reshape('c', input.size(0), input.size(1), p.size(1)));
  }

  @Override
  public boolean updaterDivideByMinibatch(String paramName) {
    return false;
  }

  @Override
  public INDArray params() {
    return paramsFlattened;
  }

  @Override
  public void clear() {
    labels = null; // LossLayer.clear() would destroy the caller's label buffer
    logitsInput = null;
    logitsCache = null;
    lossInput = null;
    super.clear();
    if (arena != null) {
      arena.endStep(); // after backprop: the step's arrays are dead, its memory is kept
    }
  }

  private String arenaOwner() {
    String name = conf().getLayer().getLayerName();
    return name == null ? "output" : name;
  }
}
