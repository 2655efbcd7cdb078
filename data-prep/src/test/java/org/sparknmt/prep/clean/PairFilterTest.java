package org.sparknmt.prep.clean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PairFilterTest {
  private final PairFilter defaults = new PairFilter(true, 250, 1.5, false);

  @Test
  void emptySide() {
    assertEquals(RejectReason.EMPTY, defaults.check("", "hola"));
    assertEquals(RejectReason.EMPTY, defaults.check("hello", ""));
    assertNull(new PairFilter(false, 250, 1.5, false).check("", "hola"));
  }

  @Test
  void tooManyWords() {
    PairFilter f = new PairFilter(true, 3, 0, false);
    assertNull(f.check("a b c", "x y z"));
    assertEquals(RejectReason.TOO_LONG, f.check("a b c d", "x y z"));
    assertEquals(RejectReason.TOO_LONG, f.check("a", "w x y z"));
    assertNull(new PairFilter(true, 0, 0, false).check("a b c d e f", "x y z u v w"));
  }

  @Test
  void lengthRatioOnWords() {
    // 3 vs 2 words: ratio 1.5 is allowed, 4 vs 2 = 2.0 is not
    assertNull(defaults.check("a b c", "x y"));
    assertEquals(RejectReason.LENGTH_RATIO, defaults.check("a b c d", "x y"));
    assertEquals(RejectReason.LENGTH_RATIO, defaults.check("x y", "a b c d"));
    assertNull(new PairFilter(true, 250, 0, false).check("a b c d", "x y"));
  }

  @Test
  void identicalOnlyWhenAsked() {
    assertNull(defaults.check("Amen.", "Amen."));
    assertEquals(
        RejectReason.IDENTICAL, new PairFilter(true, 250, 1.5, true).check("Amen.", "Amen."));
  }

  @Test
  void firstFailingFilterWins() {
    PairFilter f = new PairFilter(true, 2, 1.5, true);
    assertEquals(RejectReason.TOO_LONG, f.check("a b c d", "a b c d"));
  }

  @Test
  void countsWords() {
    assertEquals(0, PairFilter.words(""));
    assertEquals(1, PairFilter.words("a"));
    assertEquals(3, PairFilter.words(" a  b\tc "));
  }

  @Test
  void rejectsBadSettings() {
    assertThrows(IllegalArgumentException.class, () -> new PairFilter(true, -1, 1.5, false));
    assertThrows(IllegalArgumentException.class, () -> new PairFilter(true, 10, 0.5, false));
  }
}
