package org.sparknmt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.LogSoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.sparknmt.model.layers.RowKernels;

/** The Vector API row kernels against ND4J's ops (rows whose length is not a multiple of 16). */
class RowKernelsTest {
  private static final int ROWS = 7;
  private static final int VOCAB = 1003;

  private static INDArray logits() {
    Nd4j.getRandom().setSeed(42);
    return Nd4j.randn(DataType.FLOAT, ROWS, VOCAB).muli(4);
  }

  @Test
  void theBuildsJvmOptionsEnableTheVectorKernels() {
    // surefire runs with the build's Java options (--add-modules=jdk.incubator.vector), as every
    // JVM the project starts: without it training falls back to the slower ND4J ops
    assertTrue(RowKernels.vectorised());
    assertTrue(RowKernels.applies(logits()));
    assertFalse(RowKernels.applies(logits().castTo(DataType.DOUBLE)));
    assertFalse(
        RowKernels.applies(logits().get(org.nd4j.linalg.indexing.NDArrayIndex.interval(1, 3))));
  }

  @Test
  void smoothedCrossEntropyMatchesTheLossFunction() {
    int[] labels = {0, 5, 1002, 17, 999, 3, 500};
    INDArray z = logits();
    INDArray labelColumn = Nd4j.createFromArray(labels).castTo(DataType.FLOAT).reshape(ROWS, 1);
    LabelSmoothedCrossEntropy loss = new LabelSmoothedCrossEntropy(0.1);
    double expectedLoss = loss.computeScore(labelColumn, z.dup(), null, null, false);
    INDArray expectedGradient = loss.computeGradient(labelColumn, z.dup(), null, null);
    INDArray inPlace = z.dup();
    double got = RowKernels.smoothedCrossEntropyInPlace(inPlace, labels, 0.1);
    assertEquals(expectedLoss, got, 1e-5 * Math.abs(expectedLoss));
    double maxDiff = inPlace.sub(expectedGradient).amaxNumber().doubleValue();
    assertTrue(maxDiff < 1e-5, "max |Δ gradient| = " + maxDiff); // float, SIMD exp
  }

  @Test
  void logSoftmaxMatchesNd4j() {
    INDArray z = logits();
    INDArray expected = Nd4j.exec(new LogSoftMax(z.dup(), z.ulike()))[0];
    INDArray inPlace = z.dup();
    RowKernels.logSoftmaxInPlace(inPlace);
    double maxDiff = inPlace.sub(expected).amaxNumber().doubleValue();
    assertTrue(maxDiff < 1e-5, "max |Δ log p| = " + maxDiff);
  }
}
