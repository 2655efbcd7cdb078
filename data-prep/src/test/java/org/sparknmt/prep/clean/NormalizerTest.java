package org.sparknmt.prep.clean;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class NormalizerTest {
  private final Normalizer all = Normalizer.standard();

  @Test
  void composesToNfc() {
    // e + COMBINING ACUTE ACCENT -> é (U+00E9)
    assertEquals("caf\u00e9", all.normalize("cafe\u0301"));
    assertEquals("cafe\u0301", new Normalizer(false, true, true).normalize("cafe\u0301"));
  }

  @Test
  void collapsesAndTrimsAllKindsOfWhitespace() {
    assertEquals("a b c", all.normalize("  a \t\u00a0 b\u2003\u3000c \n"));
    assertEquals("  a  b ", new Normalizer(true, false, false).normalize("  a  b "));
  }

  @Test
  void whitespaceOnlyBecomesEmpty() {
    assertEquals("", all.normalize(" \t \u00a0 "));
  }

  @Test
  void removesControlAndZeroWidthCharacters() {
    assertEquals("abcd", all.normalize("a\u0000b\u200bc\u0007d\ufeff"));
    assertEquals("ab", all.normalize("\ufeffa\u200c\u200d\u2060b"));
    // control characters that are whitespace separate words instead of joining them
    assertEquals("a b c d", Normalizer.removeControl("a\tb\u0085c\u001fd"));
    assertEquals("a b", all.normalize("a\u2028b"));
  }

  @Test
  void removingControlLetsNfcCompose() {
    // the zero-width space between e and the combining accent is gone, so they compose
    assertEquals("\u00e9", all.normalize("e\u200b\u0301"));
  }

  @Test
  void controlRemovalCanBeSwitchedOff() {
    Normalizer keep = new Normalizer(true, true, false);
    assertEquals("a\u200bb", keep.normalize("a\u200bb"));
  }

  @Test
  void leavesOrdinaryTextAlone() {
    String s = "Y dijo Dios: Sea la luz: y fué la luz. “Quotes” ‘and’ 123 — 日本語 🙂";
    assertEquals(s, all.normalize(s));
  }
}
