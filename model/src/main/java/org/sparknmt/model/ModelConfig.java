package org.sparknmt.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.Locale;

/**
 * Hyper-parameters of the Transformer of Vaswani et al. 2017 ("Attention Is All You Need"),
 * immutable and validated on construction. Names follow the paper: {@code dModel} = d_model, {@code
 * heads} = h (so d_k = d_v = d_model / h), {@code dFF} = d_ff, {@code encoderLayers}/{@code
 * decoderLayers} = N.
 *
 * <p>Presets ({@link #preset(String, int)}): {@code tiny} (tests), {@code small} (CPU, d_model 256,
 * h 4, 3+3 layers, d_ff 1024), {@code base} (paper Table 3 "base": N 6, d_model 512, d_ff 2048, h
 * 8, dropout 0.1) and {@code big} (d_model 1024, d_ff 4096, h 16, dropout 0.3). Optimiser defaults
 * are the paper's §5.3 (Adam β1 0.9, β2 0.98, ε 1e-9, warmup 4000) and §5.4 (label smoothing 0.1).
 *
 * @param vocabSize joint (shared) vocabulary size including the reserved ids {@code <pad>}=0,
 *     {@code <s>}=1, {@code </s>}=2, {@code <unk>}=3
 * @param dModel d_model, width of every sub-layer output and of the embeddings
 * @param heads h, number of attention heads; must divide d_model
 * @param encoderLayers N of the encoder stack
 * @param decoderLayers N of the decoder stack
 * @param dFF d_ff, inner width of the position-wise feed-forward network (§3.3)
 * @param dropout P_drop on embeddings + positional encodings and on every sub-layer output (§5.4)
 * @param attentionDropout dropout on the attention weights (not in the paper; 0 disables it;
 *     fairseq's {@code --attention-dropout}, 0.1 in PyTorch's nn.Transformer)
 * @param activationDropout dropout on the feed-forward network's inner ReLU output (not in the
 *     paper; 0 disables it; fairseq's {@code --activation-dropout}, 0.1 in nn.Transformer)
 * @param labelSmoothing ε_ls of the label-smoothed cross-entropy (§5.4)
 * @param preNorm false = the paper's post-norm {@code LayerNorm(x + Sublayer(x))}; true = pre-norm
 *     {@code x + Sublayer(LayerNorm(x))} with a final LayerNorm after each stack
 * @param tiedEmbeddings share one matrix between source embedding, target embedding and the
 *     pre-softmax projection (§3.4)
 * @param maxLength longest sequence (source or target, in tokens) the model is used with
 * @param warmupSteps warmup_steps of the learning-rate schedule (§5.3)
 * @param lrScale factor in front of the schedule d_model^-0.5 · min(step^-0.5, step · warmup^-1.5)
 * @param adamBeta1 Adam β1
 * @param adamBeta2 Adam β2
 * @param adamEpsilon Adam ε
 * @param gradientClipping L2 norm threshold per layer for gradient clipping; 0 disables clipping
 * @param seed seed of the parameter initialisation
 */
public record ModelConfig(
    @JsonProperty("vocabSize") int vocabSize,
    @JsonProperty("dModel") int dModel,
    @JsonProperty("heads") int heads,
    @JsonProperty("encoderLayers") int encoderLayers,
    @JsonProperty("decoderLayers") int decoderLayers,
    @JsonProperty("dFF") int dFF,
    @JsonProperty("dropout") double dropout,
    @JsonProperty("attentionDropout") double attentionDropout,
    @JsonProperty("activationDropout") double activationDropout,
    @JsonProperty("labelSmoothing") double labelSmoothing,
    @JsonProperty("preNorm") boolean preNorm,
    @JsonProperty("tiedEmbeddings") boolean tiedEmbeddings,
    @JsonProperty("maxLength") int maxLength,
    @JsonProperty("warmupSteps") int warmupSteps,
    @JsonProperty("lrScale") double lrScale,
    @JsonProperty("adamBeta1") double adamBeta1,
    @JsonProperty("adamBeta2") double adamBeta2,
    @JsonProperty("adamEpsilon") double adamEpsilon,
    @JsonProperty("gradientClipping") double gradientClipping,
    @JsonProperty("seed") long seed) {

  /** Names accepted by {@link #preset(String, int)}. */
  public static final List<String> PRESETS = List.of("tiny", "small", "base", "big");

  private static final ObjectMapper JSON =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES);

  /** Validates every field; the message names the key, the value and what is allowed. */
  @JsonCreator
  public ModelConfig {
    positive("vocabSize", vocabSize);
    if (vocabSize < 5) {
      fail("vocabSize", vocabSize, "at least 5 (4 reserved ids + 1 token)");
    }
    positive("dModel", dModel);
    positive("heads", heads);
    if (dModel % heads != 0) {
      fail("heads", heads, "a divisor of dModel=" + dModel);
    }
    positive("encoderLayers", encoderLayers);
    positive("decoderLayers", decoderLayers);
    positive("dFF", dFF);
    probability("dropout", dropout);
    probability("attentionDropout", attentionDropout);
    probability("activationDropout", activationDropout);
    probability("labelSmoothing", labelSmoothing);
    positive("maxLength", maxLength);
    positive("warmupSteps", warmupSteps);
    if (!(lrScale > 0) || Double.isInfinite(lrScale)) {
      fail("lrScale", lrScale, "a finite number > 0");
    }
    if (!(adamBeta1 >= 0 && adamBeta1 < 1)) {
      fail("adamBeta1", adamBeta1, "a number in [0, 1)");
    }
    if (!(adamBeta2 >= 0 && adamBeta2 < 1)) {
      fail("adamBeta2", adamBeta2, "a number in [0, 1)");
    }
    if (!(adamEpsilon > 0) || Double.isInfinite(adamEpsilon)) {
      fail("adamEpsilon", adamEpsilon, "a finite number > 0");
    }
    if (!(gradientClipping >= 0) || Double.isInfinite(gradientClipping)) {
      fail("gradientClipping", gradientClipping, "a finite number >= 0 (0 = off)");
    }
  }

  /**
   * A named preset with the given joint vocabulary size.
   *
   * @throws IllegalArgumentException for an unknown name
   */
  public static ModelConfig preset(String name, int vocabSize) {
    Builder b = new Builder().vocabSize(vocabSize);
    switch (name.toLowerCase(Locale.ROOT)) {
      case "tiny" -> b.dModel(64).heads(4).layers(2).dFF(256).dropout(0.1).maxLength(256);
      case "small" -> b.dModel(256).heads(4).layers(3).dFF(1024).dropout(0.1);
      case "base" -> b.dModel(512).heads(8).layers(6).dFF(2048).dropout(0.1);
      case "big" -> b.dModel(1024).heads(16).layers(6).dFF(4096).dropout(0.3);
      default ->
          throw new IllegalArgumentException(
              "model preset '" + name + "' is unknown; allowed: " + String.join(", ", PRESETS));
    }
    return b.build();
  }

  /** d_k = d_v = d_model / h (§3.2.2). */
  public int dK() {
    return dModel / heads;
  }

  /** A builder initialised with this configuration's values. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** The configuration as indented JSON. */
  public String toJson() {
    try {
      return JSON.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise model configuration", e);
    }
  }

  /**
   * Parses JSON written by {@link #toJson()}; all keys are required and unknown keys are rejected,
   * except that configurations written before {@code activationDropout} existed read it as 0 (what
   * those models were trained with).
   *
   * @throws IllegalArgumentException with the parser's message when the JSON is malformed or
   *     invalid
   */
  public static ModelConfig fromJson(String json) {
    try {
      JsonNode tree = JSON.readTree(json);
      if (tree instanceof ObjectNode o && !o.has("activationDropout")) {
        o.put("activationDropout", 0.0);
      }
      return JSON.treeToValue(tree, ModelConfig.class);
    } catch (JsonProcessingException e) {
      Throwable cause = e.getCause() instanceof IllegalArgumentException ? e.getCause() : e;
      throw new IllegalArgumentException(
          "invalid model configuration JSON: " + cause.getMessage(), cause);
    }
  }

  private static void positive(String key, long value) {
    if (value <= 0) {
      fail(key, value, "an integer > 0");
    }
  }

  private static void probability(String key, double value) {
    if (!(value >= 0 && value < 1)) {
      fail(key, value, "a number in [0, 1)");
    }
  }

  private static void fail(String key, Object value, String allowed) {
    throw new IllegalArgumentException(
        "model config '" + key + "' = " + value + " is invalid; allowed: " + allowed);
  }

  /** Mutable builder; defaults are the paper's base model with a vocabulary of 8000. */
  public static final class Builder {
    private int vocabSize = 8000;
    private int dModel = 512;
    private int heads = 8;
    private int encoderLayers = 6;
    private int decoderLayers = 6;
    private int dFF = 2048;
    private double dropout = 0.1;
    private double attentionDropout = 0.0;
    private double activationDropout = 0.0;
    private double labelSmoothing = 0.1;
    private boolean preNorm = false;
    private boolean tiedEmbeddings = true;
    private int maxLength = 1024;
    private int warmupSteps = 4000;
    private double lrScale = 1.0;
    private double adamBeta1 = 0.9;
    private double adamBeta2 = 0.98;
    private double adamEpsilon = 1e-9;
    private double gradientClipping = 0.0;
    private long seed = 12345L;

    /** A builder with the defaults. */
    public Builder() {}

    private Builder(ModelConfig c) {
      vocabSize = c.vocabSize;
      dModel = c.dModel;
      heads = c.heads;
      encoderLayers = c.encoderLayers;
      decoderLayers = c.decoderLayers;
      dFF = c.dFF;
      dropout = c.dropout;
      attentionDropout = c.attentionDropout;
      activationDropout = c.activationDropout;
      labelSmoothing = c.labelSmoothing;
      preNorm = c.preNorm;
      tiedEmbeddings = c.tiedEmbeddings;
      maxLength = c.maxLength;
      warmupSteps = c.warmupSteps;
      lrScale = c.lrScale;
      adamBeta1 = c.adamBeta1;
      adamBeta2 = c.adamBeta2;
      adamEpsilon = c.adamEpsilon;
      gradientClipping = c.gradientClipping;
      seed = c.seed;
    }

    public Builder vocabSize(int v) {
      vocabSize = v;
      return this;
    }

    public Builder dModel(int v) {
      dModel = v;
      return this;
    }

    public Builder heads(int v) {
      heads = v;
      return this;
    }

    /** Sets N for both stacks. */
    public Builder layers(int n) {
      encoderLayers = n;
      decoderLayers = n;
      return this;
    }

    public Builder encoderLayers(int v) {
      encoderLayers = v;
      return this;
    }

    public Builder decoderLayers(int v) {
      decoderLayers = v;
      return this;
    }

    public Builder dFF(int v) {
      dFF = v;
      return this;
    }

    public Builder dropout(double v) {
      dropout = v;
      return this;
    }

    public Builder attentionDropout(double v) {
      attentionDropout = v;
      return this;
    }

    public Builder activationDropout(double v) {
      activationDropout = v;
      return this;
    }

    public Builder labelSmoothing(double v) {
      labelSmoothing = v;
      return this;
    }

    public Builder preNorm(boolean v) {
      preNorm = v;
      return this;
    }

    public Builder tiedEmbeddings(boolean v) {
      tiedEmbeddings = v;
      return this;
    }

    public Builder maxLength(int v) {
      maxLength = v;
      return this;
    }

    public Builder warmupSteps(int v) {
      warmupSteps = v;
      return this;
    }

    public Builder lrScale(double v) {
      lrScale = v;
      return this;
    }

    public Builder adam(double beta1, double beta2, double epsilon) {
      adamBeta1 = beta1;
      adamBeta2 = beta2;
      adamEpsilon = epsilon;
      return this;
    }

    public Builder gradientClipping(double v) {
      gradientClipping = v;
      return this;
    }

    public Builder seed(long v) {
      seed = v;
      return this;
    }

    /** Validates and builds. */
    public ModelConfig build() {
      return new ModelConfig(
          vocabSize,
          dModel,
          heads,
          encoderLayers,
          decoderLayers,
          dFF,
          dropout,
          attentionDropout,
          activationDropout,
          labelSmoothing,
          preNorm,
          tiedEmbeddings,
          maxLength,
          warmupSteps,
          lrScale,
          adamBeta1,
          adamBeta2,
          adamEpsilon,
          gradientClipping,
          seed);
    }
  }
}
