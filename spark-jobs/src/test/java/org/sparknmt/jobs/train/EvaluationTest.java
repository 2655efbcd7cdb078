package org.sparknmt.jobs.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The scores written to every metrics.json. */
class EvaluationTest {
  @Test
  void corpusScoresReportTheLengthRatio() {
    // 13a tokens: hypotheses 3 + 2 = 5, references 4 + 4 = 8
    List<String> hyps = List.of("the cat sat", "a dog");
    List<String> refs = List.of("the cat sat down", "a dog barked loudly");
    Map<String, Object> m = Evaluation.corpusScores(hyps, refs);
    assertEquals(5.0 / 8.0, (Double) m.get("ratio"), 1e-12);
    assertTrue(
        ((String) m.get("bleuDetails")).contains("ratio = 0.625"), (String) m.get("bleuDetails"));
    assertTrue(m.containsKey("bleu") && m.containsKey("chrf"));
  }
}
