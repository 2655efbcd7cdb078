package org.sparknmt.prep.bpe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class PreTokenizerTest {
  @Test
  void marksEveryWordStart() {
    assertEquals(List.of("▁Hello,", "▁world!"), PreTokenizer.words("Hello, world!"));
    assertEquals(List.of("▁¿Qué?", "▁3.14"), PreTokenizer.words("¿Qué? 3.14"));
  }

  @Test
  void emptySentenceHasNoWords() {
    assertEquals(List.of(), PreTokenizer.words(""));
    assertEquals("", PreTokenizer.join(List.of()));
  }

  @Test
  void joinInvertsWordsEvenForUnnormalisedSpacing() {
    for (String s : List.of("a", " a", "a ", "a  b", "   ", " ", "▁x ▁", "tab\there", "日本語 テキスト")) {
      assertEquals(s, PreTokenizer.join(PreTokenizer.words(s)), s);
    }
    assertEquals(List.of("▁", "▁a", "▁", "▁b", "▁"), PreTokenizer.words(" a  b "));
  }

  @Test
  void joinRejectsUnmarkedWords() {
    assertThrows(IllegalArgumentException.class, () -> PreTokenizer.join(List.of("abc")));
  }
}
