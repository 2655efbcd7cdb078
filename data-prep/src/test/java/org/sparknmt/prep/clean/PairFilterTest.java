package org.sparknmt.prep.clean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PairFilterTest {
  /** fairseq's prepare-iwslt14 setting: ratio 1.5 at every length. */
  private final PairFilter defaults = new PairFilter(true, 250, 1.5, 0, false);

  /** The defaults of reference.conf: ratio 3, only when the longer side has more than 10 words. */
  private final PairFilter shortPairsExempt = new PairFilter(true, 250, 3, 10, false);

  @Test
  void emptySide() {
    assertEquals(RejectReason.EMPTY, defaults.check("", "hola"));
    assertEquals(RejectReason.EMPTY, defaults.check("hello", ""));
    assertNull(new PairFilter(false, 250, 1.5, 0, false).check("", "hola"));
  }

  @Test
  void tooManyWords() {
    PairFilter f = new PairFilter(true, 3, 0, 0, false);
    assertNull(f.check("a b c", "x y z"));
    assertEquals(RejectReason.TOO_LONG, f.check("a b c d", "x y z"));
    assertEquals(RejectReason.TOO_LONG, f.check("a", "w x y z"));
    assertNull(new PairFilter(true, 0, 0, 0, false).check("a b c d e f", "x y z u v w"));
  }

  @Test
  void lengthRatioOnWords() {
    // 3 vs 2 words: ratio 1.5 is allowed, 4 vs 2 = 2.0 is not
    assertNull(defaults.check("a b c", "x y"));
    assertEquals(RejectReason.LENGTH_RATIO, defaults.check("a b c d", "x y"));
    assertEquals(RejectReason.LENGTH_RATIO, defaults.check("x y", "a b c d"));
    assertNull(new PairFilter(true, 250, 0, 0, false).check("a b c d", "x y"));
  }

  @Test
  void shortCorrectTranslationIsKept() {
    // 3 vs 5 words: the old default (1.5 at any length) rejected it
    assertEquals(
        RejectReason.LENGTH_RATIO,
        defaults.check("Memory buffer error", "Error de buffer de memoria"));
    assertNull(shortPairsExempt.check("Memory buffer error", "Error de buffer de memoria"));
    assertNull(shortPairsExempt.check("Run", "Ejecutar el programa ahora mismo por favor"));
  }

  @Test
  void misalignedLongPairIsRejected() {
    String forty = "w ".repeat(40).trim();
    assertEquals(40, PairFilter.words(forty));
    assertEquals(RejectReason.LENGTH_RATIO, shortPairsExempt.check("Memory buffer error", forty));
    assertEquals(RejectReason.LENGTH_RATIO, shortPairsExempt.check(forty, "Error de memoria"));
  }

  @Test
  void ratioAppliesOnlyAboveTheMinimum() {
    String ten = "w ".repeat(10).trim();
    String eleven = ten + " w";
    // longer side 10 words: not judged; 11 words vs 3 (ratio 3.67 > 3): rejected
    assertNull(shortPairsExempt.check(ten, "a"));
    assertNull(shortPairsExempt.check("a b c", ten));
    assertEquals(RejectReason.LENGTH_RATIO, shortPairsExempt.check("a b c", eleven));
    // 11 vs 4 words (2.75 <= 3): kept
    assertNull(shortPairsExempt.check("a b c d", eleven));
  }

  @Test
  void identicalOnlyWhenAsked() {
    assertNull(defaults.check("Amen.", "Amen."));
    assertEquals(
        RejectReason.IDENTICAL, new PairFilter(true, 250, 1.5, 0, true).check("Amen.", "Amen."));
  }

  @Test
  void firstFailingFilterWins() {
    PairFilter f = new PairFilter(true, 2, 1.5, 0, true);
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
    assertThrows(IllegalArgumentException.class, () -> new PairFilter(true, -1, 1.5, 0, false));
    assertThrows(IllegalArgumentException.class, () -> new PairFilter(true, 10, 0.5, 0, false));
    assertThrows(IllegalArgumentException.class, () -> new PairFilter(true, 10, 3, -1, false));
  }
}
