package org.sparknmt.jobs.train;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PromotionTest {
  @Test
  void aChallengerMustBeatTheChampionByMoreThanTheMargin() {
    assertTrue(Promotion.beats(25.1, 25.0, 0.0));
    assertFalse(Promotion.beats(25.0, 25.0, 0.0), "equal is not better (a copy of the champion)");
    assertFalse(Promotion.beats(25.4, 25.0, 0.5), "within the margin");
    assertTrue(Promotion.beats(25.6, 25.0, 0.5));
    assertTrue(Promotion.beats(24.8, 25.0, -0.5), "a negative margin accepts a small loss");
    assertFalse(Promotion.beats(Double.NaN, 25.0, 0.0), "no score never wins");
  }
}
