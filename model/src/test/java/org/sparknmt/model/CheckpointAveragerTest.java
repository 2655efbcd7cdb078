package org.sparknmt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

class CheckpointAveragerTest {
  private static ComputationGraph model(long seed) {
    return TransformerFactory.build(
        ModelConfig.preset("tiny", 12).toBuilder()
            .dModel(8)
            .heads(2)
            .layers(1)
            .dFF(16)
            .seed(seed)
            .build());
  }

  @Test
  void averageIsTheElementwiseMean() {
    ComputationGraph a = model(1);
    ComputationGraph b = model(2);
    ComputationGraph c = model(3);
    ComputationGraph avg = CheckpointAverager.average(List.of(a, b, c));
    INDArray expected = a.params().add(b.params()).add(c.params()).div(3);
    assertEquals(0.0, avg.params().sub(expected).amaxNumber().doubleValue(), 1e-6);
    // inputs untouched
    assertEquals(0.0, a.params().sub(model(1).params()).amaxNumber().doubleValue(), 0.0);
  }

  @Test
  void mismatchedGraphsAreRefused() {
    ComputationGraph small = model(1);
    ComputationGraph other =
        TransformerFactory.build(
            ModelConfig.preset("tiny", 12).toBuilder()
                .dModel(8)
                .heads(2)
                .layers(2)
                .dFF(16)
                .build());
    assertThrows(
        IllegalArgumentException.class, () -> CheckpointAverager.average(List.of(small, other)));
  }
}
