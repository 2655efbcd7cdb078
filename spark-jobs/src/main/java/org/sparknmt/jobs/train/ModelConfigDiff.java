package org.sparknmt.jobs.train;

import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.sparknmt.model.ModelConfig;

/**
 * Which configuration keys differ between two model configurations, named as a user sets them
 * ({@code sparknmt.train.model.d-model (256 -> 512)}), for the message that refuses a resume.
 */
final class ModelConfigDiff {
  /** Components not set by their own key under {@code sparknmt.train.model}. */
  private static final Map<String, String> KEYS =
      Map.of(
          "vocabSize", "sparknmt.bpe.vocab-size",
          "seed", "sparknmt.train.seed",
          "dFF", "sparknmt.train.model.d-ff",
          "maxLength", "sparknmt.train.preset (maxLength)",
          "adamBeta1", "sparknmt.train.preset (adamBeta1)",
          "adamBeta2", "sparknmt.train.preset (adamBeta2)",
          "adamEpsilon", "sparknmt.train.preset (adamEpsilon)");

  private ModelConfigDiff() {}

  static List<String> changedKeys(ModelConfig before, ModelConfig now) {
    List<String> out = new ArrayList<>();
    for (RecordComponent c : ModelConfig.class.getRecordComponents()) {
      try {
        Object a = c.getAccessor().invoke(before);
        Object b = c.getAccessor().invoke(now);
        if (!Objects.equals(a, b)) {
          out.add(key(c.getName()) + " (" + a + " -> " + b + ")");
        }
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException(e);
      }
    }
    return out;
  }

  /** {@code dModel} → {@code sparknmt.train.model.d-model}. */
  static String key(String component) {
    String special = KEYS.get(component);
    if (special != null) {
      return special;
    }
    return "sparknmt.train.model." + component.replaceAll("([A-Z])", "-$1").toLowerCase();
  }
}
