package org.sparknmt.prep.bpe;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits a normalised sentence into the pre-tokens ("words") whose frequencies the BPE learner
 * counts, SentencePiece-style: the sentence is split at every U+0020 space and each piece is
 * prefixed with the word-boundary mark {@code ▁} (U+2581), so {@code "Hello, world!"} becomes
 * {@code ["▁Hello,", "▁world!"]}.
 *
 * <p>The scheme is lossless for every string, not only normalised ones: splitting keeps empty
 * pieces, so runs of spaces and leading or trailing spaces survive as words that are just {@code
 * "▁"}; {@link #join} is the exact inverse of {@link #words}. A literal {@code ▁} in the text is
 * never confused with the mark: the mark is only ever the first character of a pre-token, and the
 * BPE model spells literal {@code ▁} characters with byte-fallback tokens.
 */
public final class PreTokenizer {
  /** The word-boundary mark, U+2581 LOWER ONE EIGHTH BLOCK, as in SentencePiece. */
  public static final char MARK = '\u2581';

  /** {@link #MARK} as a string. */
  public static final String MARK_STRING = String.valueOf(MARK);

  private PreTokenizer() {}

  /**
   * The pre-tokens of a sentence, in order; an empty sentence has none.
   *
   * @param normalizedSentence a normalised sentence (NFC, single spaces, trimmed); any other string
   *     is accepted too and still round-trips through {@link #join}
   */
  public static List<String> words(String normalizedSentence) {
    if (normalizedSentence.isEmpty()) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    int start = 0;
    while (true) {
      int space = normalizedSentence.indexOf(' ', start);
      int end = space < 0 ? normalizedSentence.length() : space;
      out.add(MARK_STRING.concat(normalizedSentence.substring(start, end)));
      if (space < 0) {
        return out;
      }
      start = space + 1;
    }
  }

  /** The inverse of {@link #words}: strips each word's leading mark and joins with spaces. */
  public static String join(List<String> words) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < words.size(); i++) {
      String w = words.get(i);
      if (w.isEmpty() || w.charAt(0) != MARK) {
        throw new IllegalArgumentException("not a pre-token (must start with ▁): '" + w + "'");
      }
      if (i > 0) {
        sb.append(' ');
      }
      sb.append(w, 1, w.length());
    }
    return sb.toString();
  }
}
