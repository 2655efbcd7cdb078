package org.sparknmt.model.layers;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row kernels over the vocabulary written with the Java Vector API ({@code jdk.incubator.vector},
 * JDK 17: SIMD {@code exp} through the JIT's vector math intrinsics). libnd4j's {@code exp} takes ≈
 * 3 ns per element here and every ND4J op streams the whole [n, V] array through memory once; these
 * kernels make each row's passes while the row is in cache (issue 10).
 *
 * <p>Only loaded when the JVM was started with {@code --add-modules=jdk.incubator.vector} (the
 * build's Java options include it); {@link RowKernels} decides and falls back to ND4J ops. This
 * class is compiled by its own compiler execution (model/pom.xml): javac warns about incubator
 * modules in a way no lint option silences, which the build's {@code -Werror} would reject.
 *
 * <p>Rows are float32, row-major, contiguous, in native byte order.
 */
final class VectorKernels {
  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final ByteOrder ORDER = ByteOrder.nativeOrder();

  private VectorKernels() {}

  /**
   * Label-smoothed cross-entropy of one row and its gradient in place: z ← softmax(z) − ε/V − (1 −
   * ε)·onehot(label). Returns the row's loss −(1 − ε)·log p_label − (ε/V)·Σ_v log p_v.
   *
   * @param row the row's bytes (position 0 = the row's first element, limit = its end)
   */
  static double smoothedCrossEntropyRow(ByteBuffer row, int vocab, int label, double epsilon) {
    int bound = SPECIES.loopBound(vocab);
    int step = SPECIES.length();
    FloatVector maxV = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
    FloatVector sumZ = FloatVector.zero(SPECIES);
    int i = 0;
    for (; i < bound; i += step) {
      FloatVector z = FloatVector.fromByteBuffer(SPECIES, row, i * 4, ORDER);
      maxV = maxV.max(z);
      sumZ = sumZ.add(z);
    }
    float max = maxV.reduceLanes(VectorOperators.MAX);
    double zSum = sumZ.reduceLanes(VectorOperators.ADD);
    for (; i < vocab; i++) {
      float z = row.getFloat(i * 4);
      max = Math.max(max, z);
      zSum += z;
    }
    double target = row.getFloat(label * 4) - max;
    FloatVector expSumV = FloatVector.zero(SPECIES);
    for (i = 0; i < bound; i += step) {
      FloatVector e =
          FloatVector.fromByteBuffer(SPECIES, row, i * 4, ORDER)
              .sub(max)
              .lanewise(VectorOperators.EXP);
      e.intoByteBuffer(row, i * 4, ORDER);
      expSumV = expSumV.add(e);
    }
    double expSum = expSumV.reduceLanes(VectorOperators.ADD);
    for (; i < vocab; i++) {
      float e = (float) Math.exp(row.getFloat(i * 4) - max);
      row.putFloat(i * 4, e);
      expSum += e;
    }
    float scale = (float) (1.0 / expSum);
    float smooth = (float) (epsilon / vocab);
    for (i = 0; i < bound; i += step) {
      FloatVector.fromByteBuffer(SPECIES, row, i * 4, ORDER)
          .mul(scale)
          .sub(smooth)
          .intoByteBuffer(row, i * 4, ORDER);
    }
    for (; i < vocab; i++) {
      row.putFloat(i * 4, row.getFloat(i * 4) * scale - smooth);
    }
    row.putFloat(label * 4, row.getFloat(label * 4) - (float) (1 - epsilon));
    double logSum = Math.log(expSum);
    double shiftedSum = zSum - (double) vocab * max;
    return logSum - (1 - epsilon) * target - epsilon / vocab * shiftedSum;
  }

  /** log softmax of one row in place: z ← z − max − log Σ exp(z − max). */
  static void logSoftmaxRow(ByteBuffer row, int vocab) {
    int bound = SPECIES.loopBound(vocab);
    int step = SPECIES.length();
    FloatVector maxV = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
    int i = 0;
    for (; i < bound; i += step) {
      maxV = maxV.max(FloatVector.fromByteBuffer(SPECIES, row, i * 4, ORDER));
    }
    float max = maxV.reduceLanes(VectorOperators.MAX);
    for (; i < vocab; i++) {
      max = Math.max(max, row.getFloat(i * 4));
    }
    FloatVector expSumV = FloatVector.zero(SPECIES);
    for (i = 0; i < bound; i += step) {
      expSumV =
          expSumV.add(
              FloatVector.fromByteBuffer(SPECIES, row, i * 4, ORDER)
                  .sub(max)
                  .lanewise(VectorOperators.EXP));
    }
    double expSum = expSumV.reduceLanes(VectorOperators.ADD);
    for (; i < vocab; i++) {
      expSum += Math.exp(row.getFloat(i * 4) - max);
    }
    float shift = (float) (max + Math.log(expSum));
    for (i = 0; i < bound; i += step) {
      FloatVector.fromByteBuffer(SPECIES, row, i * 4, ORDER)
          .sub(shift)
          .intoByteBuffer(row, i * 4, ORDER);
    }
    for (; i < vocab; i++) {
      row.putFloat(i * 4, row.getFloat(i * 4) - shift);
    }
  }
}
