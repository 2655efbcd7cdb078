package org.sparknmt.prep.clean;

import java.io.Serializable;
import java.text.Normalizer.Form;

/**
 * Text normalisation applied to every sentence before filtering and BPE, each step switchable:
 *
 * <ol>
 *   <li>{@code removeControl}: control characters (Unicode category Cc) other than whitespace and
 *       the zero-width characters U+200B, U+200C, U+200D, U+2060, U+FEFF (BOM) are deleted; control
 *       characters that are whitespace (tab, CR, LF, VT, FF, FS–US) become a space;
 *   <li>{@code nfc}: Unicode canonical composition (NFC), after the deletion so that a removed
 *       zero-width character cannot block a composition;
 *   <li>{@code whitespace}: every run of whitespace ({@link Character#isWhitespace}, no-break
 *       spaces and the other Unicode space separators) becomes one U+0020; leading and trailing
 *       whitespace is removed.
 * </ol>
 *
 * With all three on, the result is what {@code org.sparknmt.prep.bpe.PreTokenizer} expects: NFC,
 * single spaces, trimmed.
 */
public record Normalizer(boolean nfc, boolean whitespace, boolean removeControl)
    implements Serializable {

  /** All steps on (the default). */
  public static Normalizer standard() {
    return new Normalizer(true, true, true);
  }

  /** Whether {@code c} is one of the zero-width characters removed by {@code removeControl}. */
  public static boolean isZeroWidth(int c) {
    return c == 0x200B || c == 0x200C || c == 0x200D || c == 0x2060 || c == 0xFEFF;
  }

  private static boolean isSpace(int c) {
    return Character.isWhitespace(c) || Character.isSpaceChar(c);
  }

  public String normalize(String s) {
    String t = s;
    if (removeControl) {
      t = removeControl(t);
    }
    if (nfc && !java.text.Normalizer.isNormalized(t, Form.NFC)) {
      t = java.text.Normalizer.normalize(t, Form.NFC);
    }
    if (whitespace) {
      t = collapseWhitespace(t);
    }
    return t;
  }

  static String removeControl(String s) {
    StringBuilder sb = null;
    for (int i = 0; i < s.length(); ) {
      int c = s.codePointAt(i);
      int n = Character.charCount(c);
      boolean control = Character.getType(c) == Character.CONTROL;
      if (control || isZeroWidth(c)) {
        if (sb == null) {
          sb = new StringBuilder(s.length()).append(s, 0, i);
        }
        if (control && (isSpace(c) || c == 0x85)) { // NEL is a line break too
          sb.append(' ');
        }
      } else if (sb != null) {
        sb.appendCodePoint(c);
      }
      i += n;
    }
    return sb == null ? s : sb.toString();
  }

  static String collapseWhitespace(String s) {
    StringBuilder sb = new StringBuilder(s.length());
    boolean pendingSpace = false;
    for (int i = 0; i < s.length(); ) {
      int c = s.codePointAt(i);
      i += Character.charCount(c);
      if (isSpace(c)) {
        pendingSpace = sb.length() > 0;
      } else {
        if (pendingSpace) {
          sb.append(' ');
          pendingSpace = false;
        }
        sb.appendCodePoint(c);
      }
    }
    return sb.toString();
  }
}
