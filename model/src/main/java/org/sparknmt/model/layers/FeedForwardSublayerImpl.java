package org.sparknmt.model.layers;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/** Runtime of {@link FeedForwardSublayer}. */
@SuppressWarnings("overrides") // DL4J: BaseGraphVertex.setInputs(INDArray[]) vs
// GraphVertex.setInputs(INDArray...)
public class FeedForwardSublayerImpl extends TransformerVertexImpl {
  private static final long serialVersionUID = 1L;

  private final FeedForwardSublayer cfg;
  private transient INDArray in2;
  private transient INDArray hidden;
  private transient INDArray dropMask;
  private transient INDArray hiddenMask;
  private transient TensorOps.LayerNormCache[] ln;
  private transient long b;
  private transient long l;

  FeedForwardSublayerImpl(
      FeedForwardSublayer cfg, ComputationGraph graph, String name, int idx, DataType dataType) {
    super(cfg, graph, name, idx, dataType);
    this.cfg = cfg;
  }

  @Override
  protected INDArray forward(INDArray[] in, INDArray[] masks, boolean training) {
    int d = cfg.getDModel();
    INDArray x = in[0];
    b = x.size(0);
    l = x.size(1);
    INDArray x2 = x.reshape('c', b * l, d);
    ln = training ? new TensorOps.LayerNormCache[1] : null;
    INDArray inner =
        cfg.isPreNorm() ? TensorOps.layerNorm(x2, param("gamma"), param("beta"), ln) : x2;
    INDArray relu = Transforms.relu(TensorOps.linear(inner, param("W1"), param("b1")), false);
    hiddenMask =
        training
            ? TensorOps.dropoutMask(dataType, cfg.getActivationDropout(), b * l, cfg.getDFF())
            : null;
    INDArray h = TensorOps.applyMask(relu, hiddenMask); // [B·L, d_ff], activation dropout
    INDArray f = TensorOps.linear(h, param("W2"), param("b2"));
    dropMask = training ? TensorOps.dropoutMask(dataType, cfg.getDropout(), b * l, d) : null;
    INDArray r = TensorOps.applyMask(f, dropMask).addi(x2);
    INDArray out = cfg.isPreNorm() ? r : TensorOps.layerNorm(r, param("gamma"), param("beta"), ln);
    if (training) {
      in2 = inner;
      hidden = h;
    }
    return out.reshape('c', b, l, d);
  }

  @Override
  protected INDArray[] backward(INDArray dOut) {
    int d = cfg.getDModel();
    INDArray dOut2 = dOut.reshape('c', b * l, d);
    INDArray dR =
        cfg.isPreNorm()
            ? dOut2
            : TensorOps.layerNormBackward(
                dOut2, ln[0], param("gamma"), grads.get("gamma"), grads.get("beta"));
    INDArray dF = TensorOps.applyMask(dR, dropMask);
    INDArray dH =
        TensorOps.linearBackward(
            hidden, dF, param("W2"), grads.get("W2"), grads.get("b2"), false, true);
    // ReLU' (h > 0 exactly where the unit was kept and active), then the dropout scale
    dH.muli(hidden.gt(0).castTo(dH.dataType()));
    if (hiddenMask != null) {
      dH.muli(hiddenMask);
    }
    INDArray dIn =
        TensorOps.linearBackward(
            in2, dH, param("W1"), grads.get("W1"), grads.get("b1"), false, true);
    if (cfg.isPreNorm()) {
      dIn =
          TensorOps.layerNormBackward(
              dIn, ln[0], param("gamma"), grads.get("gamma"), grads.get("beta"));
    }
    INDArray dX = dR.dup('c').addi(dIn);
    return new INDArray[] {dX.reshape('c', b, l, d)};
  }

  @Override
  protected void clearCache() {
    in2 = null;
    hidden = null;
    dropMask = null;
    hiddenMask = null;
    ln = null;
  }

  /** Inference on [B, L, d_model] (no dropout, nothing cached). */
  public INDArray apply(INDArray x) {
    return forward(new INDArray[] {x}, null, false);
  }
}
