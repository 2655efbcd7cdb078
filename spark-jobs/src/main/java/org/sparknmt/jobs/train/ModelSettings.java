package org.sparknmt.jobs.train;

import org.sparknmt.jobs.UserError;
import org.sparknmt.jobs.config.Settings;
import org.sparknmt.model.ModelConfig;

/**
 * Builds the {@link ModelConfig} of a run from {@code sparknmt.train.preset} and the overrides
 * under {@code sparknmt.train.model} (0, -1 or "" keep the preset's value); the vocabulary size
 * comes from the shard manifest, the seed from {@code sparknmt.train.seed}.
 */
public final class ModelSettings {
  private ModelSettings() {}

  public static ModelConfig from(Settings s, int vocabSize) {
    String preset = s.string("sparknmt.train.preset");
    ModelConfig.Builder b;
    try {
      b = ModelConfig.preset(preset, vocabSize).toBuilder();
    } catch (IllegalArgumentException e) {
      throw new UserError("configuration key 'sparknmt.train.preset': " + e.getMessage(), e);
    }
    String p = "sparknmt.train.model.";
    int dModel = s.integer(p + "d-model", 0, 65_536);
    if (dModel > 0) {
      b.dModel(dModel);
    }
    int heads = s.integer(p + "heads", 0, 1024);
    if (heads > 0) {
      b.heads(heads);
    }
    int enc = s.integer(p + "encoder-layers", 0, 1024);
    if (enc > 0) {
      b.encoderLayers(enc);
    }
    int dec = s.integer(p + "decoder-layers", 0, 1024);
    if (dec > 0) {
      b.decoderLayers(dec);
    }
    int dff = s.integer(p + "d-ff", 0, 1 << 20);
    if (dff > 0) {
      b.dFF(dff);
    }
    double dropout = s.real(p + "dropout", -1, 0.99);
    if (dropout >= 0) {
      b.dropout(dropout);
    }
    b.attentionDropout(s.real(p + "attention-dropout", 0, 0.99));
    b.activationDropout(s.real(p + "activation-dropout", 0, 0.99));
    b.labelSmoothing(s.real(p + "label-smoothing", 0, 0.99));
    b.preNorm(s.bool(p + "pre-norm"));
    b.tiedEmbeddings(s.bool(p + "tied-embeddings"));
    b.warmupSteps(s.integer(p + "warmup-steps", 1, 10_000_000));
    b.lrScale(s.real(p + "lr-scale", 1e-6, 1e6));
    b.gradientClipping(s.real(p + "gradient-clipping", 0, 1e9));
    b.seed(s.longValue("sparknmt.train.seed", Long.MIN_VALUE, Long.MAX_VALUE));
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      throw new UserError("model configuration: " + e.getMessage(), e);
    }
  }
}
