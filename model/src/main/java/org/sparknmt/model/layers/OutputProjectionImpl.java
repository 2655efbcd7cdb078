package org.sparknmt.model.layers;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Runtime of {@link OutputProjection}. */
@SuppressWarnings("overrides") // DL4J: BaseGraphVertex.setInputs(INDArray[]) vs
// GraphVertex.setInputs(INDArray...)
public class OutputProjectionImpl extends TransformerVertexImpl {
  private static final long serialVersionUID = 1L;

  private transient INDArray x2;
  private transient long b;
  private transient long t;

  OutputProjectionImpl(
      OutputProjection cfg, ComputationGraph graph, String name, int idx, DataType dataType) {
    super(cfg, graph, name, idx, dataType);
  }

  /** logits = x·Eᵀ for x [N, d_model] → [N, V]. */
  public INDArray logits(INDArray x) {
    return x.mmul(param("E").transpose());
  }

  @Override
  protected INDArray forward(INDArray[] in, INDArray[] masks, boolean training) {
    INDArray x = in[0];
    b = x.size(0);
    t = x.size(1);
    INDArray flat = x.reshape('c', b * t, x.size(2));
    if (training) {
      x2 = flat;
    }
    INDArray out = logits(flat);
    return out.reshape('c', b, t, out.size(1));
  }

  @Override
  protected INDArray[] backward(INDArray dOut) {
    INDArray e = param("E");
    INDArray d = dOut.reshape('c', b * t, e.size(0)); // [N, V]
    Nd4j.gemm(d, x2, grads.get("E"), true, false, 1.0, 0.0); // dE = dᵀ·x, written first
    return new INDArray[] {d.mmul(e).reshape('c', b, t, e.size(1))};
  }

  @Override
  protected void clearCache() {
    x2 = null;
  }
}
