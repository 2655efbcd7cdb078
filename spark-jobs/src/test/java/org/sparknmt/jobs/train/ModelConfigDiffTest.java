package org.sparknmt.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparknmt.model.ModelConfig;

class ModelConfigDiffTest {
  @Test
  void namesEveryChangedKeyAsAUserSetsIt() {
    ModelConfig small = ModelConfig.preset("small", 8000);
    ModelConfig changed = small.toBuilder().dModel(512).dFF(2048).vocabSize(8100).build();
    assertEquals(
        List.of(
            "sparknmt.bpe.vocab-size (8000 -> 8100)",
            "sparknmt.train.model.d-model (256 -> 512)",
            "sparknmt.train.model.d-ff (1024 -> 2048)"),
        ModelConfigDiff.changedKeys(small, changed));
    assertEquals(List.of(), ModelConfigDiff.changedKeys(small, ModelConfig.preset("small", 8000)));
    assertEquals(
        "sparknmt.train.model.activation-dropout", ModelConfigDiff.key("activationDropout"));
  }
}
