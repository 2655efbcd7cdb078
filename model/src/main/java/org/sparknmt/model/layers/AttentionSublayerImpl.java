package org.sparknmt.model.layers;

import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** Runtime of {@link AttentionSublayer}; also offers incremental (cached) decoding steps. */
@SuppressWarnings("overrides") // DL4J: BaseGraphVertex.setInputs(INDArray[]) vs
// GraphVertex.setInputs(INDArray...)
public class AttentionSublayerImpl extends TransformerVertexImpl {
  private static final long serialVersionUID = 1L;

  private final AttentionSublayer cfg;
  private transient MultiHeadAttention.Cache att;
  private transient TensorOps.LayerNormCache[] ln;
  private transient INDArray dropMask;
  private transient long b;
  private transient long tq;
  private transient long tk;

  AttentionSublayerImpl(
      AttentionSublayer cfg, ComputationGraph graph, String name, int idx, DataType dataType) {
    super(cfg, graph, name, idx, dataType);
    this.cfg = cfg;
  }

  public AttentionSublayer settings() {
    return cfg;
  }

  private INDArray norm(INDArray x, TensorOps.LayerNormCache[] cache) {
    return TensorOps.layerNorm(x, param("gamma"), param("beta"), cache);
  }

  @Override
  protected INDArray forward(INDArray[] in, INDArray[] masks, boolean training) {
    int d = cfg.getDModel();
    INDArray x = in[0];
    b = x.size(0);
    tq = x.size(1);
    INDArray x2 = x.reshape('c', b * tq, d);
    ln = training ? new TensorOps.LayerNormCache[1] : null;
    INDArray qIn = cfg.isPreNorm() ? norm(x2, ln) : x2;
    INDArray kvIn;
    INDArray keyMask;
    if (cfg.isCross()) {
      INDArray m = in[1];
      tk = m.size(1);
      kvIn = m.reshape('c', b * tk, d);
      keyMask = masks[1];
    } else {
      tk = tq;
      kvIn = qIn;
      keyMask = masks[0];
    }
    INDArray bias = MultiHeadAttention.maskBias(keyMask, b, tq, tk, cfg.isCausal(), dataType);
    att = training ? new MultiHeadAttention.Cache() : null;
    INDArray a =
        MultiHeadAttention.forward(
            weights(),
            cfg.getHeads(),
            qIn,
            kvIn,
            b,
            tq,
            tk,
            bias,
            cfg.getAttentionDropout(),
            training,
            att);
    dropMask = training ? TensorOps.dropoutMask(dataType, cfg.getDropout(), b * tq, d) : null;
    INDArray r = TensorOps.applyMask(a, dropMask).addi(x2);
    INDArray out = cfg.isPreNorm() ? r : norm(r, ln);
    return out.reshape('c', b, tq, d);
  }

  @Override
  protected INDArray[] backward(INDArray dOut) {
    int d = cfg.getDModel();
    INDArray dOut2 = dOut.reshape('c', b * tq, d);
    INDArray gGamma = grads.get("gamma");
    INDArray gBeta = grads.get("beta");
    INDArray dR =
        cfg.isPreNorm()
            ? dOut2
            : TensorOps.layerNormBackward(dOut2, ln[0], param("gamma"), gGamma, gBeta);
    INDArray dA = TensorOps.applyMask(dR, dropMask);
    INDArray[] dIn = MultiHeadAttention.backward(weights(), grads, cfg.getHeads(), att, dA);
    INDArray dX = dR.dup('c');
    if (cfg.isCross()) {
      INDArray dQ =
          cfg.isPreNorm()
              ? TensorOps.layerNormBackward(dIn[0], ln[0], param("gamma"), gGamma, gBeta)
              : dIn[0];
      dX.addi(dQ);
      return new INDArray[] {dX.reshape('c', b, tq, d), dIn[1].reshape('c', b, tk, d)};
    }
    INDArray dSelf = dIn[0].addi(dIn[1]);
    if (cfg.isPreNorm()) {
      dSelf = TensorOps.layerNormBackward(dSelf, ln[0], param("gamma"), gGamma, gBeta);
    }
    dX.addi(dSelf);
    return new INDArray[] {dX.reshape('c', b, tq, d)};
  }

  @Override
  protected void clearCache() {
    att = null;
    ln = null;
    dropMask = null;
  }

  // ---------------------------------------------------------------- incremental decoding

  /**
   * Projects the encoder output once for encoder-decoder attention: {K, V} [B·h, S, d_k] from
   * memory [B, S, d_model].
   */
  public INDArray[] memoryKeyValues(INDArray memory) {
    long bb = memory.size(0);
    long s = memory.size(1);
    return MultiHeadAttention.projectKeyValue(
        weights(), memory.reshape('c', bb * s, cfg.getDModel()), bb, s, cfg.getHeads());
  }

  /**
   * One self-attention decoding step for the newest target position t with a preallocated cache:
   * this step's keys/values are written at position t of the caches (no reallocation) and the query
   * attends to positions 0..t (a view).
   *
   * @param x [B, 1, d_model] the newest position
   * @param kCache [B·h, capacity, d_k] keys of positions &lt; t (written at t)
   * @param vCache [B·h, capacity, d_k] values, likewise
   * @return [B, 1, d_model]
   */
  public INDArray selfStep(INDArray x, INDArray kCache, INDArray vCache, int t) {
    int d = cfg.getDModel();
    int h = cfg.getHeads();
    long bb = x.size(0);
    INDArray x2 = x.reshape('c', bb, d);
    INDArray qIn = cfg.isPreNorm() ? norm(x2, null) : x2;
    INDArray[] nkv = MultiHeadAttention.projectKeyValue(weights(), qIn, bb, 1, h); // [B·h, 1, d_k]
    INDArrayIndex at = NDArrayIndex.interval(t, t + 1);
    kCache.get(NDArrayIndex.all(), at, NDArrayIndex.all()).assign(nkv[0]);
    vCache.get(NDArrayIndex.all(), at, NDArrayIndex.all()).assign(nkv[1]);
    INDArrayIndex upToT = NDArrayIndex.interval(0, t + 1);
    // contiguous copies (in the caller's step workspace): batched matmul on the strided views
    // measured slower than copy + matmul
    INDArray k = kCache.get(NDArrayIndex.all(), upToT, NDArrayIndex.all()).dup('c');
    INDArray v = vCache.get(NDArrayIndex.all(), upToT, NDArrayIndex.all()).dup('c');
    return finishStep(x2, qIn, k, v, null, bb);
  }

  /**
   * One encoder-decoder attention decoding step.
   *
   * @param x [B, 1, d_model] the newest position
   * @param memKv the encoder's {K, V} [B·h, S, d_k] from {@link #memoryKeyValues}
   * @param bias [B, 1, 1, S] source padding bias ({@link MultiHeadAttention#maskBias}) or null
   * @return [B, 1, d_model]
   */
  public INDArray crossStep(INDArray x, INDArray[] memKv, INDArray bias) {
    long bb = x.size(0);
    INDArray x2 = x.reshape('c', bb, cfg.getDModel());
    INDArray qIn = cfg.isPreNorm() ? norm(x2, null) : x2;
    return finishStep(x2, qIn, memKv[0], memKv[1], bias, bb);
  }

  /** Attention of the projected query to k/v, output projection, residual and LayerNorm. */
  private INDArray finishStep(
      INDArray x2, INDArray qIn, INDArray k, INDArray v, INDArray bias, long bb) {
    int h = cfg.getHeads();
    INDArray query = MultiHeadAttention.projectQuery(weights(), qIn, bb, 1, h);
    INDArray a =
        MultiHeadAttention.attend(
            weights(), query, k, v, bias, bb, 1, k.size(1), h, 0, false, null);
    INDArray r = a.addi(x2);
    INDArray out = cfg.isPreNorm() ? r : norm(r, null);
    return out.reshape('c', bb, 1, cfg.getDModel());
  }
}
