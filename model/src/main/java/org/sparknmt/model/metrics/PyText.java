package org.sparknmt.model.metrics;

import java.util.ArrayList;
import java.util.List;

/**
 * The few Python {@code str} operations sacreBLEU relies on, reproduced exactly: whitespace as
 * {@code str.isspace()} defines it (which is not {@link Character#isWhitespace}: it includes
 * U+00A0, U+2007, U+202F and U+0085), {@code str.split()}, {@code str.rstrip()}, and indexing by
 * code point rather than UTF-16 unit (emoji and other supplementary characters count as one).
 */
final class PyText {

  private PyText() {}

  /** {@code chr(cp).isspace()} in Python 3. */
  static boolean isSpace(int cp) {
    return (cp >= 0x09 && cp <= 0x0D)
        || (cp >= 0x1C && cp <= 0x20)
        || cp == 0x85
        || cp == 0xA0
        || cp == 0x1680
        || (cp >= 0x2000 && cp <= 0x200A)
        || cp == 0x2028
        || cp == 0x2029
        || cp == 0x202F
        || cp == 0x205F
        || cp == 0x3000;
  }

  /** {@code s.split()}: maximal runs of non-whitespace. */
  static List<String> split(String s) {
    List<String> out = new ArrayList<>();
    int i = 0;
    int n = s.length();
    while (i < n) {
      while (i < n && isSpace(s.codePointAt(i))) {
        i += Character.charCount(s.codePointAt(i));
      }
      int start = i;
      while (i < n && !isSpace(s.codePointAt(i))) {
        i += Character.charCount(s.codePointAt(i));
      }
      if (i > start) {
        out.add(s.substring(start, i));
      }
    }
    return out;
  }

  /** {@code s.rstrip()}. */
  static String rstrip(String s) {
    int end = s.length();
    while (end > 0) {
      int cp = s.codePointBefore(end);
      if (!isSpace(cp)) {
        break;
      }
      end -= Character.charCount(cp);
    }
    return s.substring(0, end);
  }

  /** {@code ''.join(s.split())}: the string with all whitespace deleted. */
  static String removeSpace(String s) {
    StringBuilder b = new StringBuilder(s.length());
    s.codePoints().filter(cp -> !isSpace(cp)).forEach(b::appendCodePoint);
    return b.toString();
  }

  /** {@code s.lower()}: Java's locale-independent lowercasing (same mapping for practical text). */
  static String lower(String s) {
    return s.toLowerCase(java.util.Locale.ROOT);
  }

  /**
   * Python's {@code '%.Nf' % x}: the exact binary value rounded half-to-even (Java's {@code %.Nf}
   * rounds ties such as 0.5625 up, Python keeps 0.562).
   */
  static String fixed(double x, int decimals) {
    return new java.math.BigDecimal(x)
        .setScale(decimals, java.math.RoundingMode.HALF_EVEN)
        .toPlainString();
  }
}
