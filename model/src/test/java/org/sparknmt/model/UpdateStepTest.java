package org.sparknmt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.learning.config.Sgd;

/** Gradient accumulation is exact; global-norm clipping bounds the step. */
class UpdateStepTest {
  private static final int V = 30;

  private static ModelConfig config() {
    // no dropout: the comparison must see the same forward passes
    return new ModelConfig.Builder()
        .vocabSize(V)
        .dModel(16)
        .heads(2)
        .layers(2)
        .dFF(32)
        .dropout(0)
        .warmupSteps(4)
        .build();
  }

  private static ComputationGraph adamGraph() {
    ModelConfig cfg = config();
    return TransformerFactory.build(cfg, DataType.DOUBLE, TransformerFactory.adam(cfg));
  }

  // two minibatches of one padded shape, different real lengths (different token counts)
  private static final MultiDataSet A =
      Batches.random(3, V, new int[] {7, 5, 3}, new int[] {6, 2, 4}, DataType.DOUBLE);
  private static final MultiDataSet B =
      Batches.random(4, V, new int[] {7, 7, 2}, new int[] {6, 6, 6}, DataType.DOUBLE);

  private static double maxAbsDiff(INDArray a, INDArray b) {
    return a.sub(b).amaxNumber().doubleValue();
  }

  @Test
  void twoAccumulatedMinibatchesEqualOneBatchHoldingBoth() {
    ComputationGraph accumulated = adamGraph();
    ComputationGraph merged = accumulated.clone();
    MultiDataSet both = MultiDataSet.merge(List.of(A, B));
    assertEquals(6, both.getFeatures(0).size(0));
    for (int update = 0; update < 3; update++) { // Adam state and schedule carry over too
      UpdateStep step = new UpdateStep(accumulated, 2, 0);
      assertFalse(step.fit(A));
      assertTrue(step.fit(B));
      merged.fit(both);
    }
    assertEquals(3, accumulated.getIterationCount());
    assertEquals(merged.getIterationCount(), accumulated.getIterationCount());
    double diff = maxAbsDiff(merged.params(), accumulated.params());
    assertTrue(diff < 1e-8, "max |Δ param| = " + diff); // double: rounding, amplified by Adam
    assertTrue(maxAbsDiff(adamGraph().params(), accumulated.params()) > 1e-4, "parameters moved");
  }

  @Test
  void oneMinibatchPerUpdateEqualsPlainFit() {
    ComputationGraph stepped = adamGraph();
    ComputationGraph plain = stepped.clone();
    UpdateStep step = new UpdateStep(stepped, 1, 0);
    assertTrue(step.isPlainFit());
    for (MultiDataSet m : List.of(A, B, A)) {
      assertTrue(step.fit(m));
      plain.fit(m);
    }
    double diff = maxAbsDiff(plain.params(), stepped.params());
    assertTrue(diff < 1e-8, "max |Δ param| = " + diff); // double: rounding, amplified by Adam
  }

  @Test
  void flushAppliesAPartialGroup() {
    ComputationGraph accumulated = adamGraph();
    ComputationGraph merged = accumulated.clone();
    UpdateStep step = new UpdateStep(accumulated, 3, 0);
    assertFalse(step.fit(A));
    assertFalse(step.fit(B));
    assertTrue(step.flush());
    assertFalse(step.flush(), "nothing pending");
    merged.fit(MultiDataSet.merge(List.of(A, B)));
    double diff = maxAbsDiff(merged.params(), accumulated.params());
    assertTrue(diff < 1e-8, "max |Δ param| = " + diff); // double: rounding, amplified by Adam
  }

  @Test
  void globalNormClippingBoundsTheWholeStep() {
    ComputationGraph g =
        TransformerFactory.build(config(), DataType.DOUBLE, new Sgd(1.0)); // step = gradient
    INDArray before = g.params().dup();
    ComputationGraph unclipped = g.clone();
    new UpdateStep(unclipped, 1, 0).fit(A);
    double rawNorm = unclipped.params().sub(before).norm2Number().doubleValue();
    double clip = rawNorm / 4;
    new UpdateStep(g, 1, clip).fit(A);
    double clippedNorm = g.params().sub(before).norm2Number().doubleValue();
    assertEquals(clip, clippedNorm, 1e-9 * clip);
    // the same direction: clipping scales the whole gradient, not each layer
    INDArray rawStep = unclipped.params().sub(before);
    INDArray clippedStep = g.params().sub(before);
    assertTrue(maxAbsDiff(rawStep.mul(0.25), clippedStep) < 1e-12);
  }

  @Test
  void rejectsBadSettings() {
    ComputationGraph g = adamGraph();
    assertThrows(IllegalArgumentException.class, () -> new UpdateStep(g, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> new UpdateStep(g, 1, -1));
  }
}
