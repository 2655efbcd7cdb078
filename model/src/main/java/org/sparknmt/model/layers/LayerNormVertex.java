package org.sparknmt.model.layers;

import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * Layer normalisation over d_model, with gain γ and bias β; the final normalisation of a pre-norm
 * encoder or decoder stack. Input and output [B, L, d_model].
 */
public class LayerNormVertex extends TransformerVertex {
  private static final long serialVersionUID = 1L;

  /** For JSON. */
  public LayerNormVertex() {}

  public LayerNormVertex(int dModel) {
    super(dModel);
  }

  @Override
  public List<ParamSpec> paramSpecs() {
    long d = getDModel();
    return List.of(
        new ParamSpec("gamma", new long[] {d}, Init.ONE),
        new ParamSpec("beta", new long[] {d}, Init.ZERO));
  }

  @Override
  protected List<Object> key() {
    return List.of();
  }

  @Override
  protected TransformerVertexImpl newRuntime(
      ComputationGraph graph, String name, int idx, DataType dataType) {
    return new LayerNormVertexImpl(this, graph, name, idx, dataType);
  }

  @Override
  protected TransformerVertex copy() {
    return new LayerNormVertex(getDModel());
  }
}
