package org.sparknmt.model.layers;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Row-wise kernels over [n, V] logits (the output layer's loss and the decoder's log-softmax): the
 * Java Vector API versions ({@link VectorKernels}) when this JVM has {@code jdk.incubator.vector}
 * (started with {@code --add-modules=jdk.incubator.vector}, as the build's Java options do) and the
 * array is a plain float32 row-major buffer in host memory (the CPU backend); callers use ND4J ops
 * otherwise. {@code -Dsparknmt.vector-kernels=false} turns them off (for comparisons).
 */
public final class RowKernels {
  private static final boolean VECTOR_API =
      ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
          && Boolean.parseBoolean(System.getProperty("sparknmt.vector-kernels", "true"))
          && Nd4j.getEnvironment().isCPU(); // CUDA arrays live on the device: ND4J ops there

  private RowKernels() {}

  /** Whether the Vector API kernels are in use in this JVM. */
  public static boolean vectorised() {
    return VECTOR_API;
  }

  /** Whether the Vector API kernels can work on this array in place. */
  public static boolean applies(INDArray a) {
    return VECTOR_API
        && a.dataType() == DataType.FLOAT
        && a.rank() == 2
        && a.ordering() == 'c'
        && a.elementWiseStride() == 1
        && a.offset() == 0
        && a.data().originalDataBuffer() == null
        && a.length() == a.data().length()
        && a.length() * 4L <= Integer.MAX_VALUE;
  }

  /**
   * Label-smoothed cross-entropy and its gradient in place (see {@code
   * LabelSmoothedCrossEntropy#lossAndGradientInPlace}); only where {@link #applies}.
   *
   * @return the summed loss of the rows
   */
  public static double smoothedCrossEntropyInPlace(INDArray logits, int[] labels, double epsilon) {
    int vocab = (int) logits.size(1);
    ByteBuffer all = logits.data().asNio();
    double loss = 0;
    for (int i = 0; i < labels.length; i++) {
      loss += VectorKernels.smoothedCrossEntropyRow(row(all, i, vocab), vocab, labels[i], epsilon);
    }
    return loss;
  }

  /** Row i of a [n, vocab] float buffer, in native byte order (slices start big-endian). */
  private static ByteBuffer row(ByteBuffer all, int i, int vocab) {
    return all.slice(i * vocab * 4, vocab * 4).order(ByteOrder.nativeOrder());
  }

  /** log softmax over the last dimension in place; only where {@link #applies}. */
  public static void logSoftmaxInPlace(INDArray x) {
    int vocab = (int) x.size(1);
    int rows = (int) x.size(0);
    ByteBuffer all = x.data().asNio();
    for (int i = 0; i < rows; i++) {
      VectorKernels.logSoftmaxRow(row(all, i, vocab), vocab);
    }
  }
}
