package org.sparknmt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ModelConfigTest {
  @Test
  void presetsFollowTheIssue() {
    ModelConfig small = ModelConfig.preset("small", 8000);
    assertEquals(256, small.dModel());
    assertEquals(4, small.heads());
    assertEquals(3, small.encoderLayers());
    assertEquals(3, small.decoderLayers());
    assertEquals(1024, small.dFF());
    ModelConfig base = ModelConfig.preset("base", 37000);
    assertEquals(512, base.dModel());
    assertEquals(8, base.heads());
    assertEquals(6, base.encoderLayers());
    assertEquals(2048, base.dFF());
    assertEquals(0.1, base.dropout());
    assertEquals(64, base.dK());
    ModelConfig big = ModelConfig.preset("BIG", 37000);
    assertEquals(1024, big.dModel());
    assertEquals(16, big.heads());
    assertEquals(4096, big.dFF());
    assertEquals(0.3, big.dropout());
    assertEquals(0.1, big.labelSmoothing());
    assertEquals(0.98, big.adamBeta2());
    assertEquals(1e-9, big.adamEpsilon());
    assertEquals(4000, big.warmupSteps());
    assertTrue(ModelConfig.preset("tiny", 100).dModel() < small.dModel());
  }

  @Test
  void unknownPresetNamesTheAllowedOnes() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> ModelConfig.preset("huge", 10));
    assertTrue(e.getMessage().contains("tiny, small, base, big"), e.getMessage());
  }

  @Test
  void jsonRoundTrip() {
    ModelConfig c =
        ModelConfig.preset("small", 8000).toBuilder().preNorm(true).gradientClipping(1.5).build();
    assertEquals(c, ModelConfig.fromJson(c.toJson()));
  }

  @Test
  void invalidValuesFailWithKeyValueAndAllowedRange() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> new ModelConfig.Builder().dModel(10).heads(4).build());
    assertTrue(e.getMessage().contains("'heads' = 4"), e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> new ModelConfig.Builder().dropout(1.0).build());
    assertTrue(e.getMessage().contains("'dropout' = 1.0") && e.getMessage().contains("[0, 1)"));
    String json =
        ModelConfig.preset("tiny", 50).toJson().replace("\"vocabSize\" : 50", "\"vocabSize\" : 2");
    e = assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromJson(json));
    assertTrue(e.getMessage().contains("'vocabSize' = 2"), e.getMessage());
    String unknown = ModelConfig.preset("tiny", 50).toJson().replace("{", "{\"colour\" : 1,");
    assertThrows(IllegalArgumentException.class, () -> ModelConfig.fromJson(unknown));
  }

  @Test
  void configsWrittenBeforeActivationDropoutReadItAsZero() {
    ModelConfig c = ModelConfig.preset("small", 8000).toBuilder().activationDropout(0.1).build();
    assertEquals(c, ModelConfig.fromJson(c.toJson()));
    String old = c.toJson().replaceAll("\\s*\"activationDropout\" : 0.1,", "");
    assertTrue(!old.contains("activationDropout"), old);
    assertEquals(0.0, ModelConfig.fromJson(old).activationDropout());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> c.toBuilder().activationDropout(1.0).build());
    assertTrue(e.getMessage().contains("activationDropout"), e.getMessage());
  }
}
