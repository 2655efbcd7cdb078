package org.sparknmt.model;

import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.WorkspaceMode;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.config.IUpdater;
import org.sparknmt.model.layers.AttentionSublayer;
import org.sparknmt.model.layers.FeedForwardSublayer;
import org.sparknmt.model.layers.LayerNormVertex;
import org.sparknmt.model.layers.SequenceLossLayer;
import org.sparknmt.model.layers.TokenEmbedding;
import org.sparknmt.model.layers.TransformerVertex;

/**
 * Builds the Transformer of Vaswani et al. 2017 (Figure 1) as a DL4J {@link ComputationGraph}, the
 * only model type dl4j-spark can train.
 *
 * <pre>
 * src [B, S] ─ src_embed ─ enc0_self ─ enc0_ffn ─ … ─ enc{N-1}_ffn ─ (enc_norm) ────────┐ memory
 * tgt [B, T] ─ tgt_embed ─ dec0_self ─ dec0_cross(·, memory) ─ dec0_ffn ─ … ─ (dec_norm)┘
 *            ─ output (logits x·Eᵀ, softmax; label-smoothed cross-entropy)
 * </pre>
 *
 * Inputs: {@value #SOURCE} = source ids [B, S], {@value #TARGET} = decoder input ids [B, T], with
 * feature masks [B, S] and [B, T]. Output {@value #OUTPUT}: probabilities [B, T, V]; labels are the
 * decoder output ids [B, 1, T] with labels mask [B, T]. Legend: B batch, S source length, T target
 * length, V vocabulary, d_model model width. Parameters are float32; the updater is Adam(β1, β2, ε)
 * with the {@link NoamSchedule} on every parameter.
 */
public final class TransformerFactory {
  public static final String SOURCE = "src";
  public static final String TARGET = "tgt";
  public static final String SOURCE_EMBEDDING = "src_embed";
  public static final String TARGET_EMBEDDING = "tgt_embed";
  public static final String ENCODER_NORM = "enc_norm";
  public static final String DECODER_NORM = "dec_norm";
  public static final String OUTPUT = "output";

  private TransformerFactory() {}

  /** Name of encoder layer i's self-attention ("self") or feed-forward ("ffn") sub-layer. */
  public static String encoder(int i, String sublayer) {
    return "enc" + i + "_" + sublayer;
  }

  /** Name of decoder layer i's "self", "cross" or "ffn" sub-layer. */
  public static String decoder(int i, String sublayer) {
    return "dec" + i + "_" + sublayer;
  }

  /** Name of the vertex whose output [B, T, d_model] feeds the output layer. */
  public static String decoderOutput(ModelConfig cfg) {
    return cfg.preNorm() ? DECODER_NORM : decoder(cfg.decoderLayers() - 1, "ffn");
  }

  /** The Transformer for training: float32, Adam with the Noam schedule. */
  public static ComputationGraph build(ModelConfig cfg) {
    return build(cfg, DataType.FLOAT, adam(cfg));
  }

  /** Adam(β1, β2, ε) with the learning-rate schedule of §5.3. */
  public static IUpdater adam(ModelConfig cfg) {
    return new Adam.Builder()
        .learningRateSchedule(NoamSchedule.of(cfg))
        .beta1(cfg.adamBeta1())
        .beta2(cfg.adamBeta2())
        .epsilon(cfg.adamEpsilon())
        .build();
  }

  /** The initialised graph with the given data type and updater (tests use DOUBLE and NoOp). */
  public static ComputationGraph build(ModelConfig cfg, DataType dataType, IUpdater updater) {
    ComputationGraph g = new ComputationGraph(configuration(cfg, dataType, updater));
    g.init();
    return g;
  }

  /** The graph configuration (JSON-serialisable; custom vertices are stored by class name). */
  public static ComputationGraphConfiguration configuration(
      ModelConfig cfg, DataType dataType, IUpdater updater) {
    int d = cfg.dModel();
    ComputationGraphConfiguration.GraphBuilder g =
        new NeuralNetConfiguration.Builder()
            .seed(cfg.seed())
            .dataType(dataType)
            .updater(updater)
            .gradientNormalization(
                cfg.gradientClipping() > 0
                    ? GradientNormalization.ClipL2PerLayer
                    : GradientNormalization.None)
            .gradientNormalizationThreshold(
                cfg.gradientClipping() > 0 ? cfg.gradientClipping() : 1.0)
            .trainingWorkspaceMode(WorkspaceMode.NONE)
            .inferenceWorkspaceMode(WorkspaceMode.NONE)
            .graphBuilder()
            .addInputs(SOURCE, TARGET);

    String shared = cfg.tiedEmbeddings() ? OUTPUT : null; // E lives in the output layer
    add(g, cfg, updater, SOURCE_EMBEDDING, embedding(cfg, shared), SOURCE);
    String x = SOURCE_EMBEDDING;
    for (int i = 0; i < cfg.encoderLayers(); i++) {
      add(g, cfg, updater, encoder(i, "self"), attention(cfg, false, false), x);
      add(g, cfg, updater, encoder(i, "ffn"), feedForward(cfg), encoder(i, "self"));
      x = encoder(i, "ffn");
    }
    if (cfg.preNorm()) {
      add(g, cfg, updater, ENCODER_NORM, new LayerNormVertex(d), x);
      x = ENCODER_NORM;
    }
    String memory = x;

    add(g, cfg, updater, TARGET_EMBEDDING, embedding(cfg, shared), TARGET);
    String y = TARGET_EMBEDDING;
    for (int i = 0; i < cfg.decoderLayers(); i++) {
      add(g, cfg, updater, decoder(i, "self"), attention(cfg, true, false), y);
      add(
          g,
          cfg,
          updater,
          decoder(i, "cross"),
          attention(cfg, false, true),
          decoder(i, "self"),
          memory);
      add(g, cfg, updater, decoder(i, "ffn"), feedForward(cfg), decoder(i, "cross"));
      y = decoder(i, "ffn");
    }
    if (cfg.preNorm()) {
      add(g, cfg, updater, DECODER_NORM, new LayerNormVertex(d), y);
      y = DECODER_NORM;
    }
    g.addLayer(OUTPUT, SequenceLossLayer.of(d, cfg.vocabSize(), cfg.labelSmoothing()), y);
    g.setOutputs(OUTPUT);
    return g.build();
  }

  private static TokenEmbedding embedding(ModelConfig cfg, String shared) {
    return new TokenEmbedding(cfg.vocabSize(), cfg.dModel(), cfg.dropout(), shared);
  }

  private static AttentionSublayer attention(ModelConfig cfg, boolean causal, boolean cross) {
    return new AttentionSublayer(
        cfg.dModel(),
        cfg.heads(),
        causal,
        cross,
        cfg.preNorm(),
        cfg.dropout(),
        cfg.attentionDropout());
  }

  private static FeedForwardSublayer feedForward(ModelConfig cfg) {
    return new FeedForwardSublayer(
        cfg.dModel(), cfg.dFF(), cfg.preNorm(), cfg.dropout(), cfg.activationDropout());
  }

  private static void add(
      ComputationGraphConfiguration.GraphBuilder g,
      ModelConfig cfg,
      IUpdater updater,
      String name,
      TransformerVertex v,
      String... inputs) {
    v.setUpdater(updater.clone());
    if (cfg.gradientClipping() > 0) {
      v.setGradientNormalization(GradientNormalization.ClipL2PerLayer);
      v.setGradientNormalizationThreshold(cfg.gradientClipping());
    }
    g.addVertex(name, v, inputs);
  }
}
