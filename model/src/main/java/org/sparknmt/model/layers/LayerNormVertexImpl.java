package org.sparknmt.model.layers;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Runtime of {@link LayerNormVertex}. */
@SuppressWarnings("overrides") // DL4J: BaseGraphVertex.setInputs(INDArray[]) vs
// GraphVertex.setInputs(INDArray...)
public class LayerNormVertexImpl extends TransformerVertexImpl {
  private static final long serialVersionUID = 1L;

  private transient TensorOps.LayerNormCache[] ln;
  private transient long b;
  private transient long l;

  LayerNormVertexImpl(
      LayerNormVertex cfg, ComputationGraph graph, String name, int idx, DataType dataType) {
    super(cfg, graph, name, idx, dataType);
  }

  @Override
  protected INDArray forward(INDArray[] in, INDArray[] masks, boolean training) {
    INDArray x = in[0];
    b = x.size(0);
    l = x.size(1);
    ln = training ? new TensorOps.LayerNormCache[1] : null;
    INDArray y =
        TensorOps.layerNorm(x.reshape('c', b * l, x.size(2)), param("gamma"), param("beta"), ln);
    return y.reshape('c', b, l, x.size(2));
  }

  @Override
  protected INDArray[] backward(INDArray dOut) {
    long d = dOut.size(2);
    INDArray dx =
        TensorOps.layerNormBackward(
            dOut.reshape('c', b * l, d),
            ln[0],
            param("gamma"),
            grads.get("gamma"),
            grads.get("beta"));
    return new INDArray[] {dx.reshape('c', b, l, d)};
  }

  @Override
  protected void clearCache() {
    ln = null;
  }

  /** Inference on [B, L, d_model]. */
  public INDArray apply(INDArray x) {
    return forward(new INDArray[] {x}, null, false);
  }
}
