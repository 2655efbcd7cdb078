package org.sparknmt.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Path;
import java.util.Map;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.config.NoOp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparknmt.model.layers.MultiHeadAttention;
import org.sparknmt.model.layers.TensorOps;

/** Masks, hand-computed attention and encodings, parameter counts and round trips. */
class TransformerModelTest {
  private static final Logger LOG = LoggerFactory.getLogger(TransformerModelTest.class);
  private static final int V = 12;

  private static ModelConfig small(boolean preNorm) {
    return new ModelConfig.Builder()
        .vocabSize(V)
        .dModel(16)
        .heads(2)
        .layers(2)
        .dFF(32)
        .dropout(0.1)
        .preNorm(preNorm)
        .build();
  }

  private static INDArray out(ComputationGraph g, MultiDataSet m) {
    return g.output(false, m.getFeatures(), m.getFeaturesMaskArrays())[0];
  }

  @Test
  void causalMaskFutureTargetTokenDoesNotChangeEarlierOutputs() {
    for (boolean pre : new boolean[] {false, true}) {
      ComputationGraph g = TransformerFactory.build(small(pre));
      MultiDataSet m = Batches.random(1, V, new int[] {5, 4}, new int[] {6, 6}, DataType.FLOAT);
      INDArray before = out(g, m).dup();
      m.getFeatures(1).putScalar(0, 3, 7 == m.getFeatures(1).getInt(0, 3) ? 8 : 7);
      INDArray after = out(g, m);
      for (int t = 0; t < 3; t++) {
        assertEquals(
            before.get(NDArrayIndex.point(0), NDArrayIndex.point(t), NDArrayIndex.all()),
            after.get(NDArrayIndex.point(0), NDArrayIndex.point(t), NDArrayIndex.all()),
            "position " + t + " changed (preNorm=" + pre + ")");
      }
      assertNotEquals(
          before.get(NDArrayIndex.point(0), NDArrayIndex.point(3), NDArrayIndex.all()),
          after.get(NDArrayIndex.point(0), NDArrayIndex.point(3), NDArrayIndex.all()));
      // the other sentence is untouched
      assertEquals(before.get(NDArrayIndex.point(1)), after.get(NDArrayIndex.point(1)));
    }
  }

  @Test
  void paddedTokensChangeNothing() {
    ComputationGraph g = TransformerFactory.build(small(false));
    MultiDataSet m = Batches.random(2, V, new int[] {6, 3}, new int[] {5, 2}, DataType.FLOAT);
    INDArray before = out(g, m).dup();
    double score = g.score(m);
    m.getFeatures(0).putScalar(1, 4, 9); // padded source position of sentence 1
    m.getFeatures(1).putScalar(1, 3, 9); // padded target position of sentence 1
    m.getLabels(0).putScalar(1, 0, 3, 9); // padded label
    INDArray after = out(g, m);
    for (int t = 0; t < 2; t++) {
      assertEquals(
          before.get(NDArrayIndex.point(1), NDArrayIndex.point(t), NDArrayIndex.all()),
          after.get(NDArrayIndex.point(1), NDArrayIndex.point(t), NDArrayIndex.all()));
    }
    assertEquals(before.get(NDArrayIndex.point(0)), after.get(NDArrayIndex.point(0)));
    assertEquals(score, g.score(m), 0.0);
  }

  /** x = [[1,0],[0,1]], all projections identity, h = 2 heads of d_k = 1. */
  private static Map<String, INDArray> identityWeights() {
    INDArray eye = Nd4j.eye(2).castTo(DataType.DOUBLE);
    INDArray zero = Nd4j.zeros(DataType.DOUBLE, 2);
    return Map.of(
        "Wq", eye, "Wk", eye, "Wv", eye, "Wo", eye, "bq", zero, "bk", zero, "bv", zero, "bo", zero);
  }

  @Test
  void attentionOnHandComputedExample() {
    INDArray x = Nd4j.createFromArray(new double[][] {{1, 0}, {0, 1}});
    // head 0 sees feature 0: scores [[1,0],[0,0]] → softmax rows [e/(e+1), 1/(e+1)], [1/2, 1/2]
    // head 1 sees feature 1: scores [[0,0],[0,1]] → rows [1/2, 1/2], [1/(e+1), e/(e+1)]
    double a = Math.E / (Math.E + 1); // 0.7310585786
    INDArray y =
        MultiHeadAttention.forward(identityWeights(), 2, x, x, 1, 2, 2, null, 0, false, null);
    assertArrayEquals(new double[] {0.7310585786, 0.5, 0.5, 0.7310585786}, flat(y), 1e-9);
    assertEquals(a, y.getDouble(0, 0), 1e-12);
    // causal: position 0 only sees itself → [1, 0]; position 1 unchanged
    INDArray bias = MultiHeadAttention.maskBias(null, 1, 2, 2, true, DataType.DOUBLE);
    INDArray yc =
        MultiHeadAttention.forward(identityWeights(), 2, x, x, 1, 2, 2, bias, 0, false, null);
    assertArrayEquals(new double[] {1, 0, 0.5, 0.7310585786}, flat(yc), 1e-9);
    // key padding: key 1 masked → every query copies value 0 = [1, 0]
    INDArray km = Nd4j.createFromArray(new double[][] {{1, 0}});
    INDArray kb = MultiHeadAttention.maskBias(km, 1, 2, 2, false, DataType.DOUBLE);
    INDArray yk =
        MultiHeadAttention.forward(identityWeights(), 2, x, x, 1, 2, 2, kb, 0, false, null);
    assertArrayEquals(new double[] {1, 0, 1, 0}, flat(yk), 1e-12);
  }

  private static double[] flat(INDArray a) {
    return a.dup().reshape(a.length()).toDoubleVector();
  }

  @Test
  void positionalEncodingMatchesFormula() {
    INDArray pe = TensorOps.positionalEncoding(3, 4, DataType.DOUBLE);
    // PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(pos / 10000^(2i/d)), d = 4
    assertArrayEquals(new double[] {0, 1, 0, 1}, pe.getRow(0).toDoubleVector(), 0);
    assertArrayEquals(
        new double[] {0.8414709848, 0.5403023059, 0.0099998333, 0.9999500004},
        pe.getRow(1).toDoubleVector(),
        1e-9);
    assertArrayEquals(
        new double[] {0.9092974268, -0.4161468365, 0.0199986667, 0.9998000067},
        pe.getRow(2).toDoubleVector(),
        1e-9);
  }

  @Test
  void baseModelHasAboutSixtyFiveMillionParameters() {
    ModelConfig base = ModelConfig.preset("base", 37000);
    ComputationGraphConfiguration conf =
        TransformerFactory.configuration(base, DataType.FLOAT, new NoOp());
    long n = conf.getVertices().values().stream().mapToLong(v -> v.numParams(true)).sum();
    LOG.info("base model with a 37k shared vocabulary: {} parameters", n);
    assertEquals(63_082_496L, n); // 18.94M embeddings + 6 × 3.15M encoder + 6 × 4.20M decoder
    assertTrue(Math.abs(n - 65e6) / 65e6 < 0.05);
    // the count from the configuration is what a built graph allocates
    ComputationGraph g = TransformerFactory.build(small(true));
    long fromConf =
        TransformerFactory.configuration(small(true), DataType.FLOAT, new NoOp())
            .getVertices()
            .values()
            .stream()
            .mapToLong(v -> v.numParams(true))
            .sum();
    assertEquals(
        fromConf, g.params().length()); // (ComputationGraph.numParams() counts layers only)
  }

  @Test
  void graphConfigurationJsonRoundTrip() {
    ComputationGraphConfiguration conf =
        TransformerFactory.configuration(
            small(true), DataType.FLOAT, TransformerFactory.adam(small(true)));
    ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(conf.toJson());
    assertEquals(conf, back);
  }

  @Test
  void saveLoadGivesIdenticalOutputsAndUpdaterState(@TempDir Path dir) throws Exception {
    ComputationGraph g = TransformerFactory.build(small(false));
    MultiDataSet m = Batches.random(3, V, new int[] {5, 4}, new int[] {4, 6}, DataType.FLOAT);
    g.fit(m);
    g.fit(m);
    File f = dir.resolve("model.zip").toFile();
    ModelSerializer.writeModel(g, f, true);
    ComputationGraph r = ModelSerializer.restoreComputationGraph(f, true);
    assertEquals(g.params(), r.params());
    assertEquals(g.getUpdater().getStateViewArray(), r.getUpdater().getStateViewArray());
    assertEquals(out(g, m), out(r, m));
    assertEquals(g.score(m), r.score(m), 0.0);
    // training continues identically from the restored state (dropout off for determinism)
    assertEquals(g.getConfiguration(), r.getConfiguration());
  }

  @Test
  void scheduleMatchesHandComputedValues() {
    NoamSchedule s = new NoamSchedule(512, 4000, 1.0);
    // 512^-0.5 = 0.0441941738; 4000^-1.5 = 3.9528471e-6; 4000^-0.5 = 0.0158113883
    assertEquals(1.7469281e-7, s.valueAt(0, 0), 1e-13); // step 1 = 512^-0.5 · 1 · 4000^-1.5
    assertEquals(6.9877124e-4, s.rateAtStep(4000), 1e-10); // peak: 512^-0.5 · 4000^-0.5
    assertEquals(3.4938562e-4, s.rateAtStep(16000), 1e-10); // 512^-0.5 · 16000^-0.5
    assertEquals(2 * s.rateAtStep(100), new NoamSchedule(512, 4000, 2.0).rateAtStep(100), 1e-15);
    assertEquals(s.rateAtStep(2000) * 2, s.rateAtStep(4000), 1e-12); // linear warmup
  }

  @Test
  void labelSmoothedLossOnHandComputedExample() {
    LabelSmoothedCrossEntropy l = new LabelSmoothedCrossEntropy(0.1);
    INDArray logits =
        Nd4j.createFromArray(new double[][] {{2, 0, 0, 0}, {0, 0, 0, 0}, {5, 1, 2, 3}});
    INDArray labels = Nd4j.createFromArray(new double[][] {{0}, {3}, {1}});
    INDArray mask = Nd4j.createFromArray(new double[][] {{1}, {1}, {0}});
    // row 0: log Z = log(e^2 + 3) = 2.3407530; q = (0.925, 0.025, 0.025, 0.025)
    //        loss = 0.925 · 0.3407530 + 3 · 0.025 · 2.3407530 = 0.4907530
    // row 1: uniform logits → loss = log 4 = 1.3862944 whatever ε; row 2 is masked
    INDArray rows = l.computeScoreArray(labels, logits, null, mask);
    assertArrayEquals(new double[] {0.4907530, 1.3862944, 0}, flat(rows), 1e-6);
    assertEquals(0.4907530 + 1.3862944, l.computeScore(labels, logits, null, mask, false), 1e-6);
    INDArray grad = l.computeGradient(labels, logits, null, mask);
    // d/dz = softmax(z) − q; masked row is 0
    double p0 = Math.exp(2) / (Math.exp(2) + 3);
    assertEquals(p0 - 0.925, grad.getDouble(0, 0), 1e-9);
    assertArrayEquals(new double[] {0, 0, 0, 0}, grad.getRow(2).toDoubleVector(), 0);
    // the fused in-place path of the output layer gives the same loss and gradient
    INDArray real = logits.get(NDArrayIndex.interval(0, 2), NDArrayIndex.all()).dup();
    double fused = l.lossAndGradientInPlace(real, new int[] {0, 3});
    assertEquals(0.4907530 + 1.3862944, fused, 1e-6);
    assertEquals(
        0,
        real.sub(grad.get(NDArrayIndex.interval(0, 2), NDArrayIndex.all()))
            .amaxNumber()
            .doubleValue(),
        1e-12);
  }

  @Test
  void rejectsOutOfVocabularyIds() {
    ComputationGraph g = TransformerFactory.build(small(false));
    MultiDataSet m = Batches.random(4, V, new int[] {3}, new int[] {3}, DataType.FLOAT);
    m.getFeatures(0).putScalar(0, 0, V);
    Exception e = assertThrows(IllegalArgumentException.class, () -> out(g, m));
    assertTrue(e.getMessage().contains("outside the vocabulary"), e.getMessage());
  }
}
