package org.sparknmt.prep.bpe;

import java.io.Serializable;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;

/**
 * The id ↔ token table of a BPE model. Layout (fixed, so ids are stable and easy to check):
 *
 * <ul>
 *   <li>0–3: the reserved tokens {@code <pad>}, {@code <s>}, {@code </s>}, {@code <unk>};
 *   <li>4–259: the 256 byte-fallback tokens {@code <0x00>} … {@code <0xFF>} (SentencePiece's
 *       spelling), used for characters outside the learned alphabet;
 *   <li>260 onwards: the word mark {@code ▁}, the learned characters, then merged subwords in the
 *       order they were learned.
 * </ul>
 *
 * Tokens are unique and never contain a space, CR or LF, so the vocabulary file is one token per
 * line.
 */
public final class Vocabulary implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Padding id. */
  public static final int PAD = 0;

  /** Begin-of-sentence id. */
  public static final int BOS = 1;

  /** End-of-sentence id. */
  public static final int EOS = 2;

  /** Unknown-token id (never produced by {@link BpeModel#encode}, which falls back to bytes). */
  public static final int UNK = 3;

  /** Spellings of the reserved ids 0–3. */
  public static final List<String> RESERVED = List.of("<pad>", "<s>", "</s>", "<unk>");

  /** Id of the byte token {@code <0x00>}; byte b has id {@code FIRST_BYTE + b}. */
  public static final int FIRST_BYTE = 4;

  /** First id after the reserved and byte tokens. */
  public static final int FIRST_PIECE = FIRST_BYTE + 256;

  private final String[] tokens;
  private final HashMap<String, Integer> ids;

  /**
   * Builds a vocabulary from tokens in id order.
   *
   * @throws IllegalArgumentException if the reserved/byte layout is wrong, a token repeats, or a
   *     token is empty or contains a space or line break
   */
  public Vocabulary(List<String> tokensInIdOrder) {
    this.tokens = tokensInIdOrder.toArray(new String[0]);
    if (tokens.length < FIRST_PIECE) {
      throw new IllegalArgumentException(
          "a vocabulary needs at least the " + FIRST_PIECE + " reserved and byte tokens");
    }
    this.ids = new HashMap<>(tokens.length * 2);
    for (int i = 0; i < tokens.length; i++) {
      String t = tokens[i];
      String expected = i < FIRST_BYTE ? RESERVED.get(i) : i < FIRST_PIECE ? byteToken(i) : null;
      if (expected != null && !expected.equals(t)) {
        throw new IllegalArgumentException(
            "vocabulary id " + i + " must be '" + expected + "' but is '" + t + "'");
      }
      if (t == null
          || t.isEmpty()
          || t.indexOf(' ') >= 0
          || t.indexOf('\n') >= 0
          || t.indexOf('\r') >= 0) {
        throw new IllegalArgumentException("invalid token at id " + i + ": '" + t + "'");
      }
      if (ids.put(t, i) != null) {
        throw new IllegalArgumentException("duplicate token '" + t + "' at id " + i);
      }
    }
  }

  /** The spelling of the byte-fallback token with the given id, e.g. {@code <0x41>}. */
  static String byteToken(int id) {
    return String.format("<0x%02X>", id - FIRST_BYTE);
  }

  /** The id of {@code token}, or {@link #UNK} if it is not in the vocabulary. */
  public int id(String token) {
    Integer id = ids.get(token);
    return id == null ? UNK : id;
  }

  /** Whether {@code token} is in the vocabulary. */
  public boolean contains(String token) {
    return ids.containsKey(token);
  }

  /**
   * The token with the given id.
   *
   * @throws IndexOutOfBoundsException if {@code id} is not in {@code [0, size())}
   */
  public String token(int id) {
    return tokens[id];
  }

  /** Number of tokens, reserved and byte tokens included. */
  public int size() {
    return tokens.length;
  }

  /** Whether {@code id} is one of the 256 byte-fallback tokens. */
  public static boolean isByte(int id) {
    return id >= FIRST_BYTE && id < FIRST_PIECE;
  }

  /** All tokens in id order (unmodifiable). */
  public List<String> tokens() {
    return Collections.unmodifiableList(Arrays.asList(tokens));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Vocabulary v && Arrays.equals(tokens, v.tokens);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(tokens);
  }

  @Override
  public String toString() {
    return "Vocabulary[size=" + tokens.length + "]";
  }
}
