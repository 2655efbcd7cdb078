package org.sparknmt.model.metrics;

import java.util.List;

/** Argument checks shared by the corpus metrics. */
final class MetricInputs {

  private MetricInputs() {}

  /** At least one reference stream, every stream as long as the hypotheses, no null segment. */
  static void check(List<String> hyps, List<List<String>> refStreams) {
    if (refStreams.isEmpty()) {
      throw new IllegalArgumentException("no reference stream given");
    }
    for (int k = 0; k < refStreams.size(); k++) {
      if (refStreams.get(k).size() != hyps.size()) {
        throw new IllegalArgumentException(
            String.format(
                "reference stream %d has %d segments but there are %d hypotheses",
                k, refStreams.get(k).size(), hyps.size()));
      }
      if (containsNull(refStreams.get(k))) {
        throw new IllegalArgumentException("reference stream " + k + " contains a null segment");
      }
    }
    if (containsNull(hyps)) {
      throw new IllegalArgumentException("hypotheses contain a null segment (use \"\")");
    }
  }

  /** {@code List.contains(null)} throws for immutable lists, so look ourselves. */
  private static boolean containsNull(List<String> segments) {
    for (String s : segments) {
      if (s == null) {
        return true;
      }
    }
    return false;
  }
}
