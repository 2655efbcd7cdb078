package org.sparknmt.model.layers;

import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Multi-head scaled dot-product attention (Vaswani et al. 2017, §3.2.1–3.2.2) with hand-written
 * backprop:
 *
 * <pre>
 * MultiHead(Q, K, V) = Concat(head_1..head_h)·W^O,  head_i = softmax(Q W_i^Q (K W_i^K)ᵀ / √d_k + M) V W_i^V
 * </pre>
 *
 * where M is an additive mask bias (−1e9 at forbidden positions): key padding (any key whose mask
 * is 0) and, for decoder self-attention, the causal mask (query i sees keys ≤ i). The h heads are
 * folded into the batch dimension ([B·h, L, d_k]) so every head is computed by one batched matmul.
 *
 * <p>Why plain INDArray code rather than a SameDiff layer: DL4J 1.0.0-M2.1's {@code SameDiffLayer}
 * doubles its gradients (ExternalErrorsFunction), {@code tensorMmul} backprop fails and the
 * built-in attention layers fail gradient checks (see the spike notes); hand-written backprop needs
 * no workaround, is checked by {@code GradientCheckUtil} in the tests, and lets the decoder reuse
 * the same kernels with a key/value cache.
 *
 * <p>Parameters (names as stored in the graph): Wq, Wk, Wv, Wo [d_model, d_model] (h heads of width
 * d_k side by side) and biases bq, bk, bv, bo [d_model]. Legend: B batch, Tq query length, Tk key
 * length, h heads, d_k = d_model / h.
 */
public final class MultiHeadAttention {
  /** Additive bias at masked positions; exp(−1e9 + s) underflows to exactly 0. */
  public static final double MASK_BIAS = -1e9;

  private MultiHeadAttention() {}

  /** Forward intermediates kept for backward. */
  public static final class Cache {
    INDArray qIn;
    INDArray kvIn;
    INDArray q;
    INDArray k;
    INDArray v;
    INDArray p;
    INDArray pDrop;
    INDArray dropMask;
    INDArray ctx;
    long b;
    long tq;
    long tk;
  }

  /**
   * Additive mask bias [B, 1, Tq, Tk] (broadcast over heads), or null when nothing is masked.
   *
   * @param keyMask [B, Tk], 1 = real token, 0 = padding; null = no padding
   * @param causal forbid key j for query i when j &gt; i + (Tk − Tq) (the offset supports decoding
   *     one query against a cache of earlier keys)
   */
  public static INDArray maskBias(
      INDArray keyMask, long b, long tq, long tk, boolean causal, DataType type) {
    INDArray bias = null;
    if (keyMask != null) {
      bias = keyMask.castTo(type).rsub(1.0).muli(MASK_BIAS).reshape(b, 1, 1, tk);
    }
    if (causal) {
      double[] c = new double[(int) (tq * tk)];
      long offset = tk - tq;
      for (int i = 0; i < tq; i++) {
        for (int j = 0; j < tk; j++) {
          c[(int) (i * tk + j)] = j > i + offset ? MASK_BIAS : 0.0;
        }
      }
      INDArray cb = Nd4j.create(c, new long[] {1, 1, tq, tk}, DataType.DOUBLE).castTo(type);
      bias = bias == null ? cb : Nd4j.zeros(type, b, 1, tq, tk).addi(bias).addi(cb);
    }
    return bias;
  }

  /** Q = x·Wq + bq split into heads: [B·Tq, d] → [B·h, Tq, d_k]. */
  public static INDArray projectQuery(
      Map<String, INDArray> w, INDArray qIn, long b, long tq, int h) {
    return TensorOps.splitHeads(TensorOps.linear(qIn, w.get("Wq"), w.get("bq")), b, tq, h);
  }

  /** K and V split into heads: [B·Tk, d] → two [B·h, Tk, d_k]. */
  public static INDArray[] projectKeyValue(
      Map<String, INDArray> w, INDArray kvIn, long b, long tk, int h) {
    INDArray k = TensorOps.splitHeads(TensorOps.linear(kvIn, w.get("Wk"), w.get("bk")), b, tk, h);
    INDArray v = TensorOps.splitHeads(TensorOps.linear(kvIn, w.get("Wv"), w.get("bv")), b, tk, h);
    return new INDArray[] {k, v};
  }

  /**
   * softmax(Q Kᵀ/√d_k + bias)·V followed by the output projection, for already projected heads.
   *
   * @return [B·Tq, d_model]
   */
  public static INDArray attend(
      Map<String, INDArray> w,
      INDArray q,
      INDArray k,
      INDArray v,
      INDArray bias,
      long b,
      long tq,
      long tk,
      int h,
      double attentionDropout,
      boolean training,
      Cache cache) {
    long dk = q.size(2);
    INDArray s = Nd4j.matmul(q, k, false, true, false).muli(1.0 / Math.sqrt(dk)); // [B·h, Tq, Tk]
    if (bias != null) {
      s.reshape('c', b, h, tq, tk).addi(bias);
    }
    INDArray p = TensorOps.softmaxLastDim(s);
    INDArray dropMask =
        training ? TensorOps.dropoutMask(p.dataType(), attentionDropout, p.shape()) : null;
    INDArray pDrop = TensorOps.applyMask(p, dropMask);
    INDArray ctx = TensorOps.mergeHeads(Nd4j.matmul(pDrop, v), b, tq, h); // [B·Tq, d]
    if (cache != null) {
      cache.q = q;
      cache.k = k;
      cache.v = v;
      cache.p = p;
      cache.pDrop = pDrop;
      cache.dropMask = dropMask;
      cache.ctx = ctx;
      cache.b = b;
      cache.tq = tq;
      cache.tk = tk;
    }
    return TensorOps.linear(ctx, w.get("Wo"), w.get("bo"));
  }

  /**
   * Full forward pass.
   *
   * @param qIn queries' input [B·Tq, d_model]
   * @param kvIn keys'/values' input [B·Tk, d_model] (the same array for self-attention)
   * @param bias from {@link #maskBias}, or null
   * @param cache filled for {@link #backward} when not null
   * @return [B·Tq, d_model]
   */
  public static INDArray forward(
      Map<String, INDArray> w,
      int h,
      INDArray qIn,
      INDArray kvIn,
      long b,
      long tq,
      long tk,
      INDArray bias,
      double attentionDropout,
      boolean training,
      Cache cache) {
    INDArray q = projectQuery(w, qIn, b, tq, h);
    INDArray[] kv = projectKeyValue(w, kvIn, b, tk, h);
    if (cache != null) {
      cache.qIn = qIn;
      cache.kvIn = kvIn;
    }
    return attend(w, q, kv[0], kv[1], bias, b, tq, tk, h, attentionDropout, training, cache);
  }

  /**
   * Backward pass: writes all parameter gradients into {@code g} (same keys as the weights) and
   * returns {dL/dqIn, dL/dkvIn}, each [B·L, d_model].
   */
  public static INDArray[] backward(
      Map<String, INDArray> w, Map<String, INDArray> g, int h, Cache c, INDArray dOut) {
    long dk = c.q.size(2);
    INDArray dCtx =
        TensorOps.linearBackward(c.ctx, dOut, w.get("Wo"), g.get("Wo"), g.get("bo"), false, true);
    INDArray dCtxH = TensorOps.splitHeads(dCtx, c.b, c.tq, h); // [B·h, Tq, d_k]
    INDArray dPDrop = Nd4j.matmul(dCtxH, c.v, false, true, false); // [B·h, Tq, Tk]
    INDArray dV = Nd4j.matmul(c.pDrop, dCtxH, true, false, false); // [B·h, Tk, d_k]
    INDArray dP = TensorOps.applyMask(dPDrop, c.dropMask);
    // softmax backward: dS = P ⊙ (dP − Σ_k dP ⊙ P), then the 1/√d_k scale
    INDArray rowDot = dP.mul(c.p).sum(true, 2);
    INDArray dS = dP.sub(rowDot).muli(c.p).muli(1.0 / Math.sqrt(dk));
    INDArray dQ = Nd4j.matmul(dS, c.k); // [B·h, Tq, d_k]
    INDArray dK = Nd4j.matmul(dS, c.q, true, false, false); // [B·h, Tk, d_k]
    INDArray dQm = TensorOps.mergeHeads(dQ, c.b, c.tq, h);
    INDArray dKm = TensorOps.mergeHeads(dK, c.b, c.tk, h);
    INDArray dVm = TensorOps.mergeHeads(dV, c.b, c.tk, h);
    INDArray dQIn =
        TensorOps.linearBackward(c.qIn, dQm, w.get("Wq"), g.get("Wq"), g.get("bq"), false, true);
    INDArray dKvIn =
        TensorOps.linearBackward(c.kvIn, dKm, w.get("Wk"), g.get("Wk"), g.get("bk"), false, true);
    dKvIn.addi(
        TensorOps.linearBackward(c.kvIn, dVm, w.get("Wv"), g.get("Wv"), g.get("bv"), false, true));
    return new INDArray[] {dQIn, dKvIn};
  }
}
