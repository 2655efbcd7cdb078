package org.sparknmt.prep.bpe;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Seeded random text for the BPE tests. */
final class Corpus {
  private Corpus() {}

  private static final String[] WORDS = {
    "the", "of", "and", "lord", "said", "unto", "god", "people", "house", "king", "israel",
    "el", "de", "la", "que", "dios", "casa", "rey", "pueblo", "señor", "jehová", "día",
    "3:16", "12,000", "“word”", "(see)", "it's", "naïve", "straße", "mañana"
  };

  /** Sentences of frequent words plus random ASCII/Latin words; normalised. */
  static List<String> sentences(Random rnd, int count) {
    List<String> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      int n = 1 + rnd.nextInt(15);
      StringBuilder sb = new StringBuilder();
      for (int k = 0; k < n; k++) {
        if (k > 0) {
          sb.append(' ');
        }
        if (rnd.nextInt(4) == 0) {
          int len = 1 + rnd.nextInt(9);
          for (int c = 0; c < len; c++) {
            sb.append((char) ('a' + rnd.nextInt(26)));
          }
        } else {
          sb.append(WORDS[rnd.nextInt(WORDS.length)]);
        }
      }
      sb.append(rnd.nextBoolean() ? "." : "!");
      out.add(sb.toString());
    }
    return out;
  }

  /** Code point pools: several scripts, digits, punctuation, symbols, emoji, marks. */
  private static final int[][] POOLS = {
    {'a', 'z'},
    {'A', 'Z'},
    {'0', '9'},
    {'!', '/'},
    {':', '@'},
    {'[', '`'},
    {'{', '~'},
    {0xC0, 0x17F}, // Latin-1 supplement and extended-A
    {0x300, 0x36F}, // combining diacritics (NFC composes some with the preceding letter)
    {0x391, 0x3C9}, // Greek
    {0x410, 0x44F}, // Cyrillic
    {0x5D0, 0x5EA}, // Hebrew
    {0x627, 0x64A}, // Arabic
    {0x915, 0x939}, // Devanagari
    {0x3041, 0x3096}, // Hiragana
    {0x4E00, 0x9FFF}, // CJK ideographs (mostly unseen in training)
    {0xAC00, 0xD7A3}, // Hangul syllables
    {0x2000, 0x206F}, // general punctuation (incl. zero-width and separators)
    {0x2581, 0x2581}, // the word mark itself, as text
    {0x1F300, 0x1F64F}, // emoji
    {0x1F900, 0x1F9FF}, // more emoji
    {0x10000, 0x1007F}, // Linear B
    {0xE000, 0xE0FF}, // private use
  };

  /** A random string of up to {@code maxLen} code points from {@link #POOLS} and spaces. */
  static String randomUnicode(Random rnd, int maxLen) {
    int len = rnd.nextInt(maxLen + 1);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < len; i++) {
      if (rnd.nextInt(6) == 0) {
        sb.append(' ');
        continue;
      }
      int[] pool = POOLS[rnd.nextInt(POOLS.length)];
      sb.appendCodePoint(pool[0] + rnd.nextInt(pool[1] - pool[0] + 1));
    }
    return sb.toString();
  }

  /** What the corpus normaliser guarantees: NFC, single spaces, trimmed. */
  static String normalize(String s) {
    return Normalizer.normalize(s, Normalizer.Form.NFC).replaceAll(" +", " ").trim();
  }
}
