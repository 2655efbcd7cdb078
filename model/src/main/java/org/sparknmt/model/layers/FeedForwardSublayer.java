package org.sparknmt.model.layers;

import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Position-wise feed-forward sub-layer FFN(x) = max(0, x·W1 + b1)·W2 + b2 (§3.3, inner width d_ff)
 * with its residual connection and layer normalisation (post-norm {@code LN(x + Dropout(FFN(x)))}
 * or pre-norm {@code x + Dropout(FFN(LN(x)))}). Input and output [B, L, d_model]. Optional
 * activation dropout on the inner ReLU output, {@code Dropout_act(max(0, x·W1 + b1))·W2 + b2}, as
 * PyTorch's nn.TransformerEncoderLayer and fairseq's {@code --activation-dropout} (not in the
 * paper).
 */
public class FeedForwardSublayer extends TransformerVertex {
  private static final long serialVersionUID = 1L;

  private int dFF;
  private boolean preNorm;
  private double dropout;
  private double activationDropout;

  /** For JSON. */
  public FeedForwardSublayer() {}

  public FeedForwardSublayer(int dModel, int dFF, boolean preNorm, double dropout) {
    this(dModel, dFF, preNorm, dropout, 0);
  }

  public FeedForwardSublayer(
      int dModel, int dFF, boolean preNorm, double dropout, double activationDropout) {
    super(dModel);
    this.dFF = dFF;
    this.preNorm = preNorm;
    this.dropout = dropout;
    this.activationDropout = activationDropout;
  }

  @Override
  public List<ParamSpec> paramSpecs() {
    long d = getDModel();
    return List.of(
        new ParamSpec("W1", new long[] {d, dFF}, Init.XAVIER),
        new ParamSpec("b1", new long[] {dFF}, Init.ZERO),
        new ParamSpec("W2", new long[] {dFF, d}, Init.XAVIER),
        new ParamSpec("b2", new long[] {d}, Init.ZERO),
        new ParamSpec("gamma", new long[] {d}, Init.ONE),
        new ParamSpec("beta", new long[] {d}, Init.ZERO));
  }

  @Override
  protected List<Object> key() {
    return List.of(dFF, preNorm, dropout, activationDropout);
  }

  @Override
  protected TransformerVertexImpl newRuntime(
      ComputationGraph graph, String name, int idx, DataType dataType) {
    return new FeedForwardSublayerImpl(this, graph, name, idx, dataType);
  }

  @Override
  protected TransformerVertex copy() {
    return new FeedForwardSublayer(getDModel(), dFF, preNorm, dropout, activationDropout);
  }

  public int getDFF() {
    return dFF;
  }

  public void setDFF(int dFF) {
    this.dFF = dFF;
  }

  public boolean isPreNorm() {
    return preNorm;
  }

  public void setPreNorm(boolean preNorm) {
    this.preNorm = preNorm;
  }

  public double getDropout() {
    return dropout;
  }

  public void setDropout(double dropout) {
    this.dropout = dropout;
  }

  public double getActivationDropout() {
    return activationDropout;
  }

  public void setActivationDropout(double activationDropout) {
    this.activationDropout = activationDropout;
  }
}
