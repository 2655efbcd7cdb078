package org.sparknmt.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.sparknmt.model.layers.AttentionSublayer;
import org.sparknmt.model.layers.FeedForwardSublayer;
import org.sparknmt.model.layers.LayerNormVertex;
import org.sparknmt.model.layers.SequenceLossLayer;
import org.sparknmt.model.layers.TokenEmbedding;
import org.sparknmt.model.layers.TransformerVertex;

/**
 * DL4J gradient checks (double precision, central differences) of every custom vertex and of tiny
 * full models. Shapes: d_model 8, h 2, d_ff 16, V 10, S ≤ 4, T ≤ 5, padded batches.
 */
class GradientCheckTest {
  private static final int V = 10;
  private static final int D = 8;

  @BeforeAll
  static void doubles() {
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
  }

  private static MultiDataSet batch() {
    return Batches.random(7, V, new int[] {4, 2}, new int[] {5, 3}, DataType.DOUBLE);
  }

  private static boolean check(ComputationGraph g, MultiDataSet mds) {
    return check(g, mds, 0);
  }

  /** maxPerParam &gt; 0 checks that many entries of each parameter array (full models). */
  private static boolean check(ComputationGraph g, MultiDataSet mds, int maxPerParam) {
    return GradientCheckUtil.checkGradients(
        new GradientCheckUtil.GraphConfig()
            .subset(maxPerParam > 0)
            .maxPerParam(maxPerParam)
            .net(g)
            .inputs(mds.getFeatures())
            .labels(mds.getLabels())
            .inputMask(mds.getFeaturesMaskArrays())
            .labelMask(mds.getLabelsMaskArrays())
            .epsilon(1e-6)
            .maxRelError(1e-4)
            .minAbsoluteError(1e-9)
            .print(GradientCheckUtil.PrintMode.FAILURES_ONLY));
  }

  /** src, tgt → own embeddings → vertex under test (on tgt, or tgt + src) → output layer. */
  private static ComputationGraph harness(TransformerVertex v, boolean twoInputs) {
    ComputationGraphConfiguration.GraphBuilder b =
        new NeuralNetConfiguration.Builder()
            .seed(3)
            .dataType(DataType.DOUBLE)
            .updater(new NoOp())
            .trainingWorkspaceMode(WorkspaceMode.NONE)
            .inferenceWorkspaceMode(WorkspaceMode.NONE)
            .graphBuilder()
            .addInputs("src", "tgt")
            .addVertex("srcEmb", new TokenEmbedding(V, D, 0, null), "src")
            .addVertex("tgtEmb", new TokenEmbedding(V, D, 0, null), "tgt");
    if (twoInputs) {
      b.addVertex("test", v, "tgtEmb", "srcEmb");
      b.addLayer("out", SequenceLossLayer.of(D, V, 0.1), "test");
    } else {
      // the source branch joins through a cross-attention so that every input is used
      b.addVertex("test", v, "tgtEmb");
      b.addVertex("join", new AttentionSublayer(D, 2, false, true, false, 0, 0), "test", "srcEmb");
      b.addLayer("out", SequenceLossLayer.of(D, V, 0.1), "join");
    }
    b.setOutputs("out");
    ComputationGraph g = new ComputationGraph(b.build());
    g.init();
    return g;
  }

  @Test
  void encoderSelfAttentionPostNorm() {
    assertTrue(
        check(harness(new AttentionSublayer(D, 2, false, false, false, 0, 0), false), batch()));
  }

  @Test
  void causalSelfAttentionPreNorm() {
    assertTrue(
        check(harness(new AttentionSublayer(D, 2, true, false, true, 0, 0), false), batch()));
  }

  @Test
  void crossAttentionPostAndPreNorm() {
    assertTrue(
        check(harness(new AttentionSublayer(D, 2, false, true, false, 0, 0), true), batch()));
    assertTrue(check(harness(new AttentionSublayer(D, 2, false, true, true, 0, 0), true), batch()));
  }

  @Test
  void feedForwardPostAndPreNorm() {
    assertTrue(check(harness(new FeedForwardSublayer(D, 16, false, 0), false), batch()));
    assertTrue(check(harness(new FeedForwardSublayer(D, 16, true, 0), false), batch()));
  }

  @Test
  void finalLayerNorm() {
    assertTrue(check(harness(new LayerNormVertex(D), false), batch()));
  }

  private static ModelConfig tiny(boolean preNorm, boolean tied) {
    return new ModelConfig.Builder()
        .vocabSize(V)
        .dModel(D)
        .heads(2)
        .layers(1)
        .dFF(16)
        .dropout(0)
        .labelSmoothing(0.1)
        .preNorm(preNorm)
        .tiedEmbeddings(tied)
        .build();
  }

  @Test
  void fullModelPostNormTiedEmbeddings() {
    ComputationGraph g = TransformerFactory.build(tiny(false, true), DataType.DOUBLE, new NoOp());
    assertTrue(check(g, batch(), 12));
  }

  @Test
  void fullModelPreNormUntiedTwoLayers() {
    ModelConfig cfg = tiny(true, false).toBuilder().layers(2).build();
    ComputationGraph g = TransformerFactory.build(cfg, DataType.DOUBLE, new NoOp());
    assertTrue(check(g, batch(), 6));
  }

  /**
   * Dropout (embedding, residual, attention weights, FFN activation) with every mask fixed: the RNG
   * is reseeded before each forward pass, so the analytic gradient is compared with central
   * differences of the same masked function. (DL4J's checker cannot reseed between its passes.)
   */
  @Test
  void fullModelWithEveryDropoutUnderFixedMasks() {
    ModelConfig cfg =
        tiny(false, true).toBuilder()
            .dropout(0.2)
            .attentionDropout(0.3)
            .activationDropout(0.3)
            .build();
    ComputationGraph g = TransformerFactory.build(cfg, DataType.DOUBLE, new NoOp());
    MultiDataSet mds = batch();
    g.setInputs(mds.getFeatures());
    g.setLabels(mds.getLabels());
    g.setLayerMaskArrays(mds.getFeaturesMaskArrays(), mds.getLabelsMaskArrays());
    long seed = 42;
    Nd4j.getRandom().setSeed(seed);
    g.computeGradientAndScore();
    INDArray analytic = g.getFlattenedGradients().dup();
    INDArray params = g.params();
    double eps = 1e-6;
    int checked = 0;
    int nonZero = 0;
    for (long i = 0; i < params.length(); i += 7) {
      double old = params.getDouble(i);
      params.putScalar(i, old + eps);
      Nd4j.getRandom().setSeed(seed);
      g.computeGradientAndScore();
      double plus = g.score();
      params.putScalar(i, old - eps);
      Nd4j.getRandom().setSeed(seed);
      g.computeGradientAndScore();
      double minus = g.score();
      params.putScalar(i, old);
      double numeric = (plus - minus) / (2 * eps);
      double a = analytic.getDouble(i);
      double scale = Math.max(Math.abs(a) + Math.abs(numeric), 1e-7);
      assertTrue(
          Math.abs(a - numeric) / scale < 1e-4 || Math.abs(a - numeric) < 1e-8,
          "parameter " + i + ": analytic " + a + ", numeric " + numeric);
      checked++;
      nonZero += Math.abs(a) > 1e-8 ? 1 : 0;
    }
    assertTrue(nonZero > checked / 2, "most checked gradients are non-zero: " + nonZero);
  }
}
