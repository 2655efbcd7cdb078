package org.sparknmt.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Decoding: cache consistency with the full graph, and a tiny model that learns to reverse. */
class TranslatorTest {
  private static final Logger LOG = LoggerFactory.getLogger(TranslatorTest.class);
  private static final int V = 12;

  @Test
  void incrementalDecodingMatchesTheFullGraph() {
    for (boolean pre : new boolean[] {false, true}) {
      ModelConfig cfg =
          new ModelConfig.Builder()
              .vocabSize(V)
              .dModel(16)
              .heads(2)
              .layers(2)
              .dFF(32)
              .preNorm(pre)
              .build();
      ComputationGraph g = TransformerFactory.build(cfg);
      int[] src = {5, 6, 7, 8, 2};
      int[] dec = {1, 9, 10, 4, 11};
      MultiDataSet m =
          Batches.of(new int[][] {{5, 6, 7, 8}}, new int[][] {{9, 10, 4, 11}}, DataType.FLOAT);
      INDArray probs = g.output(false, m.getFeatures(), m.getFeaturesMaskArrays())[0];
      INDArray graphLogp = Transforms.log(probs.get(NDArrayIndex.point(0)), true);
      INDArray stepLogp = new Translator(g, cfg).forcedLogProbs(src, dec);
      assertEquals(0, graphLogp.sub(stepLogp).amaxNumber().doubleValue(), 1e-5, "preNorm=" + pre);
    }
  }

  @Test
  void tinyModelLearnsToReverseAndBothDecodersReproduceTargets() {
    ModelConfig cfg =
        new ModelConfig.Builder()
            .vocabSize(V)
            .dModel(32)
            .heads(2)
            .layers(2)
            .dFF(64)
            .dropout(0)
            .labelSmoothing(0.1)
            .warmupSteps(100)
            .lrScale(1.0)
            .seed(42)
            .build();
    Random r = new Random(42);
    List<int[]> src = new ArrayList<>();
    List<int[]> ref = new ArrayList<>();
    for (int i = 0; i < 24; i++) {
      int n = 2 + r.nextInt(4);
      int[] x = new int[n];
      int[] y = new int[n];
      for (int j = 0; j < n; j++) {
        x[j] = 4 + r.nextInt(V - 4);
      }
      for (int j = 0; j < n; j++) {
        y[j] = x[n - 1 - j];
      }
      src.add(x);
      ref.add(y);
    }
    MultiDataSet batch =
        Batches.of(src.toArray(new int[0][]), ref.toArray(new int[0][]), DataType.FLOAT);
    ComputationGraph g = TransformerFactory.build(cfg);
    Translator tr = new Translator(g, cfg);
    double first = g.score(batch);
    int steps = 0;
    boolean learned = false;
    while (steps < 1500 && !learned) {
      for (int i = 0; i < 50; i++) {
        g.fit(batch);
      }
      steps += 50;
      learned = same(ref, tr.greedy(src, 10)) && same(ref, tr.beam(src, 4, 0.6, 10));
    }
    LOG.info("reverse task: loss {} -> {} after {} steps", first, g.score(batch), steps);
    assertTrue(
        learned, "greedy/beam decoding did not reproduce the targets in " + steps + " steps");
    List<int[]> greedy = tr.greedy(src, 10);
    List<int[]> beam = tr.beam(src, 4, 0.6, 10);
    for (int i = 0; i < src.size(); i++) {
      assertArrayEquals(ref.get(i), greedy.get(i), "greedy, sentence " + i);
      assertArrayEquals(ref.get(i), beam.get(i), "beam, sentence " + i);
    }
    assertTrue(g.score(batch) < first);
  }

  private static boolean same(List<int[]> a, List<int[]> b) {
    for (int i = 0; i < a.size(); i++) {
      if (!java.util.Arrays.equals(a.get(i), b.get(i))) {
        return false;
      }
    }
    return true;
  }

  @Test
  void respectsTheMaximumLength() {
    ModelConfig cfg =
        new ModelConfig.Builder().vocabSize(V).dModel(16).heads(2).layers(1).dFF(32).build();
    ComputationGraph g = TransformerFactory.build(cfg);
    Translator tr = new Translator(g, cfg);
    List<int[]> src = List.of(new int[] {5, 6, 7}, new int[] {8});
    List<int[]> out = tr.beam(src, 3, 0.6, 2);
    // an untrained model rarely stops by itself; length ≤ source length (with </s>) + 2
    assertTrue(out.get(0).length <= 4 + 2, "length " + out.get(0).length);
    assertTrue(out.get(1).length <= 2 + 2, "length " + out.get(1).length);
    assertEquals(2, tr.greedy(src, 1).size());
  }
}
