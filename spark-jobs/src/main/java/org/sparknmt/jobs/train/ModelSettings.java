package org.sparknmt.jobs.train;

import org.sparknmt.jobs.UserError;
import org.sparknmt.jobs.config.Settings;
import org.sparknmt.model.ModelConfig;

/**
 * The model of a run, resolved once at job start: {@code sparknmt.train.preset} (the presets live
 * in {@link ModelConfig#preset}) with the overrides under {@code sparknmt.train.model} ({@code
 * null} keeps the preset's value), checked as a whole. Only the vocabulary size is open until the
 * vocab step has run: {@link #forVocabulary} binds it.
 *
 * @param preset the preset's name
 * @param shape the model configuration with a placeholder vocabulary size
 */
public record ModelSettings(String preset, ModelConfig shape) {
  /** The vocabulary size {@link #shape} is validated with until the real one is known. */
  static final int PLACEHOLDER_VOCABULARY = 8000;

  public static ModelSettings from(Settings s) {
    String preset = s.string("sparknmt.train.preset");
    ModelConfig.Builder b;
    try {
      b = ModelConfig.preset(preset, PLACEHOLDER_VOCABULARY).toBuilder();
    } catch (IllegalArgumentException e) {
      throw new UserError("configuration key 'sparknmt.train.preset': " + e.getMessage(), e);
    }
    String p = "sparknmt.train.model.";
    s.optionalInteger(p + "d-model", 1, 65_536).ifPresent(b::dModel);
    s.optionalInteger(p + "heads", 1, 1024).ifPresent(b::heads);
    s.optionalInteger(p + "encoder-layers", 1, 1024).ifPresent(b::encoderLayers);
    s.optionalInteger(p + "decoder-layers", 1, 1024).ifPresent(b::decoderLayers);
    s.optionalInteger(p + "d-ff", 1, 1 << 20).ifPresent(b::dFF);
    s.optionalReal(p + "dropout", 0, 0.99).ifPresent(b::dropout);
    b.attentionDropout(s.real(p + "attention-dropout", 0, 0.99));
    b.activationDropout(s.real(p + "activation-dropout", 0, 0.99));
    b.labelSmoothing(s.real(p + "label-smoothing", 0, 0.99));
    b.preNorm(s.bool(p + "pre-norm"));
    b.tiedEmbeddings(s.bool(p + "tied-embeddings"));
    b.warmupSteps(s.integer(p + "warmup-steps", 1, 10_000_000));
    b.lrScale(s.real(p + "lr-scale", 1e-6, 1e6));
    b.gradientClipping(s.real(p + "gradient-clipping", 0, 1e9));
    b.seed(s.longValue("sparknmt.train.seed", Long.MIN_VALUE, Long.MAX_VALUE));
    return new ModelSettings(preset, build(b));
  }

  /** The run's model configuration for the vocabulary the shards were encoded with. */
  public ModelConfig forVocabulary(int vocabSize) {
    return build(shape.toBuilder().vocabSize(vocabSize));
  }

  private static ModelConfig build(ModelConfig.Builder b) {
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      throw new UserError("model configuration: " + e.getMessage(), e);
    }
  }
}
