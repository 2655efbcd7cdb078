package org.sparknmt.model.layers;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * An attention sub-layer with its residual connection and layer normalisation (§3.1, §3.2.3):
 *
 * <ul>
 *   <li>post-norm (paper): {@code LayerNorm(x + Dropout(MultiHead(x, m, m)))}
 *   <li>pre-norm: {@code x + Dropout(MultiHead(LN(x), m', m'))} with m' = LN(x) for self-attention
 * </ul>
 *
 * Self-attention (1 input: x [B, T, d_model], keys = queries, optional causal mask for the decoder)
 * or encoder-decoder attention (2 inputs: decoder state x [B, T, d_model] and encoder output m [B,
 * S, d_model]; keys masked with the source mask). Output [B, T, d_model].
 */
public class AttentionSublayer extends TransformerVertex {
  private static final long serialVersionUID = 1L;

  private int heads;
  private boolean causal;
  private boolean cross;
  private boolean preNorm;
  private double dropout;
  private double attentionDropout;

  /** For JSON. */
  public AttentionSublayer() {}

  public AttentionSublayer(
      int dModel,
      int heads,
      boolean causal,
      boolean cross,
      boolean preNorm,
      double dropout,
      double attentionDropout) {
    super(dModel);
    if (dModel % heads != 0) {
      throw new IllegalArgumentException("heads " + heads + " must divide d_model " + dModel);
    }
    this.heads = heads;
    this.causal = causal;
    this.cross = cross;
    this.preNorm = preNorm;
    this.dropout = dropout;
    this.attentionDropout = attentionDropout;
  }

  @Override
  public List<ParamSpec> paramSpecs() {
    long d = getDModel();
    List<ParamSpec> p = new ArrayList<>();
    for (String n : List.of("q", "k", "v", "o")) {
      p.add(
          new ParamSpec("W" + n, new long[] {d, d}, n.equals("o") ? Init.XAVIER : Init.XAVIER_QKV));
      p.add(new ParamSpec("b" + n, new long[] {d}, Init.ZERO));
    }
    p.add(new ParamSpec("gamma", new long[] {d}, Init.ONE));
    p.add(new ParamSpec("beta", new long[] {d}, Init.ZERO));
    return p;
  }

  @Override
  public int minVertexInputs() {
    return cross ? 2 : 1;
  }

  @Override
  public int maxVertexInputs() {
    return minVertexInputs();
  }

  @Override
  protected List<Object> key() {
    return List.of(heads, causal, cross, preNorm, dropout, attentionDropout);
  }

  @Override
  protected TransformerVertexImpl newRuntime(
      ComputationGraph graph, String name, int idx, DataType dataType) {
    return new AttentionSublayerImpl(this, graph, name, idx, dataType);
  }

  @Override
  protected TransformerVertex copy() {
    return new AttentionSublayer(
        getDModel(), heads, causal, cross, preNorm, dropout, attentionDropout);
  }

  public int getHeads() {
    return heads;
  }

  public void setHeads(int heads) {
    this.heads = heads;
  }

  public boolean isCausal() {
    return causal;
  }

  public void setCausal(boolean causal) {
    this.causal = causal;
  }

  public boolean isCross() {
    return cross;
  }

  public void setCross(boolean cross) {
    this.cross = cross;
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

  public double getAttentionDropout() {
    return attentionDropout;
  }

  public void setAttentionDropout(double attentionDropout) {
    this.attentionDropout = attentionDropout;
  }
}
