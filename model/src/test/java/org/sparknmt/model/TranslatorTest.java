package org.sparknmt.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
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

  /**
   * A pre-norm model with N(0, 1) weights (seeded): it loops (26 29 26 29 ...), as small ones do.
   */
  private static Translator loopingModel() {
    ModelConfig cfg =
        new ModelConfig.Builder()
            .vocabSize(40)
            .dModel(32)
            .heads(4)
            .layers(2)
            .dFF(64)
            .preNorm(true)
            .seed(7)
            .build();
    ComputationGraph g = TransformerFactory.build(cfg);
    Nd4j.getRandom().setSeed(11);
    g.setParams(Nd4j.randn(g.params().dataType(), g.params().shape()));
    return new Translator(g, cfg);
  }

  private static final List<int[]> LOOP_SOURCES =
      List.of(
          new int[] {6, 5, 22, 7, 3, 30},
          new int[] {37, 12, 33, 14},
          new int[] {35, 7, 8, 38, 21},
          new int[] {25, 13, 31, 37, 6, 5},
          new int[] {35},
          new int[] {20, 27, 39, 23, 5, 20});

  /**
   * Outputs recorded with the decoder before the speed changes (concatenated caches, the whole
   * batch decoded until its last sentence finished, double[][] bookkeeping): the preallocated
   * caches, step workspace, shrinking batch and primitive bookkeeping must not change any result.
   */
  @Test
  void beamResultsAreThoseOfTheDecoderBeforeTheSpeedChanges() {
    Translator tr = loopingModel();
    int[][] beam4 = {
      {29, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26},
      {26, 29, 26, 29, 26, 29, 26, 29, 26},
      {26, 26, 26, 26, 26, 26, 26, 26, 26, 26},
      {29, 23, 26, 29, 29, 29, 29, 29, 29, 29, 29},
      {29, 26, 29, 26, 29, 29},
      {26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26}
    };
    int[][] beam2 = {
      {29, 26, 26, 26, 26, 26, 26, 26, 26, 26},
      {26, 29, 26, 29, 26, 29, 26, 29},
      {26, 26, 26, 26, 26, 26, 26, 26, 26},
      {29, 26, 29, 29, 29, 29, 29, 29, 29, 29},
      {29, 26, 29, 26, 29},
      {26, 26, 26, 26, 26, 26, 26, 26, 26, 26}
    };
    int[][] greedy = {
      {29, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26},
      {26, 29, 26, 29, 26, 29, 26, 29, 26},
      {26, 26, 26, 26, 26, 26, 26, 26, 26, 26},
      {29, 26, 29, 29, 29, 29, 29, 29, 29, 29, 29},
      {29, 26, 29, 29, 29, 29},
      {26, 26, 26, 26, 26, 26, 26, 26, 26, 26, 26}
    };
    assertArrayEquals(beam4, tr.beam(LOOP_SOURCES, 4, 0.6, 4).toArray(new int[0][]));
    assertArrayEquals(beam2, tr.beam(LOOP_SOURCES, 2, 0.0, 3).toArray(new int[0][]));
    assertArrayEquals(greedy, tr.greedy(LOOP_SOURCES, 4).toArray(new int[0][]));
  }

  @Test
  void noRepeatNgramSizeStopsTheLoop() {
    Translator tr = loopingModel();
    for (int k : new int[] {1, 4}) {
      for (int[] y : tr.translate(LOOP_SOURCES, new SearchOptions(k, 0.6, 1.0, 4, 2))) {
        Set<List<Integer>> seen = new HashSet<>();
        for (int i = 0; i + 1 < y.length; i++) {
          assertTrue(seen.add(List.of(y[i], y[i + 1])), "repeated bigram in " + Arrays.toString(y));
        }
      }
    }
  }

  @Test
  void blockRepeatedNgramsOnHandComputedCases() {
    int[] seq = {5, 6, 7, 5, 6, 0, 0};
    // n = 3: the last two tokens (5 6) were followed by 7 → 7 is blocked
    assertEquals(Set.of(7), blocked(seq, 5, 3));
    // n = 2: the last token 6 was followed by 7
    assertEquals(Set.of(7), blocked(seq, 5, 2));
    // n = 1: every token already produced
    assertEquals(Set.of(5, 6, 7), blocked(seq, 5, 1));
    // n = 4: the last three (7 5 6) never occurred before; n = 6 needs 5 earlier tokens
    assertEquals(Set.of(), blocked(seq, 5, 4));
    assertEquals(Set.of(), blocked(seq, 5, 6));
    assertEquals(Set.of(), blocked(seq, 5, 0));
    // (5 6 7) repeated once the prefix is 5 6 7 5 6 7 5 6: 7 blocked by n = 3 twice, still 7 only
    assertEquals(Set.of(7), blocked(new int[] {5, 6, 7, 5, 6, 7, 5, 6}, 8, 3));
  }

  private static Set<Integer> blocked(int[] seq, int len, int n) {
    float[] logp = new float[2 * 10];
    Arrays.fill(logp, -1f);
    Translator.blockRepeatedNgrams(seq, len, n, logp, 10);
    Set<Integer> out = new HashSet<>();
    for (int w = 0; w < 10; w++) {
      assertEquals(-1f, logp[w], "row before the offset untouched");
      if (logp[10 + w] == Float.NEGATIVE_INFINITY) {
        out.add(w);
      } else {
        assertEquals(-1f, logp[10 + w]);
      }
    }
    return out;
  }

  /**
   * With the output row of </s> zeroed its logit is 0 while about half of 200 random logits are
   * positive: it never ranks among the top 2k, so every output has exactly the limit's length.
   */
  @Test
  void theLengthLimitIsAppliedExactly() {
    ModelConfig cfg =
        new ModelConfig.Builder()
            .vocabSize(200)
            .dModel(16)
            .heads(2)
            .layers(1)
            .dFF(32)
            .maxLength(12)
            .seed(3)
            .build();
    ComputationGraph g = TransformerFactory.build(cfg);
    g.getLayer(TransformerFactory.OUTPUT).getParam("E").getRow(Translator.EOS).assign(0);
    Translator tr = new Translator(g, cfg);
    List<int[]> src = List.of(new int[] {5, 6, 7}, new int[] {8}, new int[] {9, 10, 11, 12, 13});
    // |x| with </s> = 4, 2, 6
    SearchOptions a12b1 = new SearchOptions(3, 0.6, 1.2, 1, 0);
    assertArrayEquals(new int[] {5, 3, 8}, lengths(tr.translate(src, a12b1))); // ⌊1.2|x| + 1⌋
    assertArrayEquals(
        new int[] {3, 3, 3}, lengths(tr.translate(src, new SearchOptions(1, 0, 0, 3, 0))));
    // capped at maxLength − 1 = 11
    assertArrayEquals(
        new int[] {11, 9, 11}, lengths(tr.translate(src, new SearchOptions(2, 0, 2, 5, 0))));
    assertEquals(5, a12b1.maxLength(4, 11));
  }

  private static int[] lengths(List<int[]> out) {
    return out.stream().mapToInt(y -> y.length).toArray();
  }

  @Test
  void searchOptionsRejectBadValues() {
    assertThrows(IllegalArgumentException.class, () -> new SearchOptions(0, 0.6, 1, 10, 0));
    assertThrows(IllegalArgumentException.class, () -> new SearchOptions(4, 0.6, -1, 10, 0));
    assertThrows(IllegalArgumentException.class, () -> new SearchOptions(4, 0.6, 0, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> new SearchOptions(4, 0.6, 1, 10, -1));
  }
}
