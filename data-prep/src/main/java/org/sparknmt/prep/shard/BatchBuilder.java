package org.sparknmt.prep.shard;

import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Builds the training {@link MultiDataSet} of a batch of encoded pairs, in the layout agreed with
 * the model (B = batch, S = longest source in the batch incl. {@code </s>}, T = longest target
 * incl. {@code <s>}/{@code </s>}; all float32, padding id 0 with mask 0):
 *
 * <pre>
 * features[0]      [B,S]    source ids      x1..xm &lt;/s&gt; 0..
 * features[1]      [B,T]    decoder input   &lt;s&gt; y1..yn 0..
 * featuresMasks[0] [B,S]    1 real, 0 pad
 * featuresMasks[1] [B,T]
 * labels[0]        [B,1,T]  decoder output  y1..yn &lt;/s&gt; 0..
 * labelsMasks[0]   [B,T]
 * </pre>
 *
 * The batch is padded only to its own longest pair, never to a global maximum.
 */
public final class BatchBuilder {
  /** Padding id (= {@code Vocabulary.PAD}). */
  public static final int PAD = 0;

  /** Begin-of-sentence id (= {@code Vocabulary.BOS}). */
  public static final int BOS = 1;

  /** End-of-sentence id (= {@code Vocabulary.EOS}). */
  public static final int EOS = 2;

  private BatchBuilder() {}

  /** Bytes of {@code save()} for the smallest batch (1 pair, S = T = 1): headers + 6 floats. */
  private static volatile long smallestBatchBytes = -1;

  /**
   * The exact length of {@code build(pairs).save(out)} for a batch of {@code b} pairs padded to
   * {@code S, T}: a fixed header (shape and buffer descriptions of the six arrays, whose ranks
   * never change) plus 4 bytes per float, {@code 2·B·S + 4·B·T} of them (see the table above). Lets
   * the driver plan part files before any batch is built; {@code BatchBuilderTest} checks it
   * against real batches.
   */
  public static long serializedBytes(int b, int s, int t) {
    long smallest = smallestBatchBytes;
    if (smallest < 0) {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      try {
        build(List.of(new EncodedPair(0, new int[0], new int[0]))).save(out);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
      smallest = out.size();
      smallestBatchBytes = smallest;
    }
    return smallest + 4L * (2L * b * s + 4L * b * t - 6);
  }

  public static MultiDataSet build(List<EncodedPair> pairs) {
    if (pairs.isEmpty()) {
      throw new IllegalArgumentException("empty batch");
    }
    int b = pairs.size();
    int s = 0;
    int t = 0;
    for (EncodedPair p : pairs) {
      s = Math.max(s, p.sourceLength());
      t = Math.max(t, p.targetLength());
    }
    float[] src = new float[b * s];
    float[] srcMask = new float[b * s];
    float[] dec = new float[b * t];
    float[] lab = new float[b * t];
    float[] tgtMask = new float[b * t];
    for (int i = 0; i < b; i++) {
      EncodedPair p = pairs.get(i);
      int[] x = p.source();
      int row = i * s;
      for (int j = 0; j < x.length; j++) {
        src[row + j] = x[j];
      }
      src[row + x.length] = EOS;
      java.util.Arrays.fill(srcMask, row, row + x.length + 1, 1f);

      int[] y = p.target();
      row = i * t;
      dec[row] = BOS;
      for (int j = 0; j < y.length; j++) {
        dec[row + j + 1] = y[j];
        lab[row + j] = y[j];
      }
      lab[row + y.length] = EOS;
      java.util.Arrays.fill(tgtMask, row, row + y.length + 1, 1f);
    }
    INDArray[] features = {matrix(src, b, s), matrix(dec, b, t)};
    INDArray[] featureMasks = {matrix(srcMask, b, s), matrix(tgtMask, b, t)};
    INDArray[] labels = {Nd4j.create(lab, new long[] {b, 1, t}, DataType.FLOAT)};
    INDArray[] labelMasks = {matrix(tgtMask.clone(), b, t)};
    return new MultiDataSet(features, labels, featureMasks, labelMasks);
  }

  private static INDArray matrix(float[] data, int rows, int cols) {
    return Nd4j.create(data, new long[] {rows, cols}, DataType.FLOAT);
  }
}
