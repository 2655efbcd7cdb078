package org.sparknmt.model.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** chrF on hand-computed examples (the same ones bleu_ref.py checks itself with). */
class ChrfTest {

  private static final Chrf CHRF = Chrf.sacreBleu();

  private static double chrf(String hyp, String ref) {
    return CHRF.corpusScoreSingleRef(List.of(hyp), List.of(ref)).score();
  }

  @Test
  void effectiveOrderAveraging() {
    // n1 P=R=2/3, n2 P=R=1/2, n3 P=R=0; orders 4-6 have no n-grams -> P=R=7/18 -> F=7/18
    assertEquals(100 * 7 / 18.0, chrf("abc", "abd"), 1e-9);
  }

  @Test
  void recallWeightedByBetaTwo() {
    // n1 P=1 R=1/2, n2 P=1 R=1/3 -> P=1, R=5/12 -> F2 = 5PR/(4P+R) = 25/53
    assertEquals(100 * 25 / 53.0, chrf("ab", "abcd"), 1e-9);
    // the reverse: n3 hypothesis count is zeroed because the reference has no trigram
    double p = 5 / 12.0;
    assertEquals(100 * 5 * p / (4 * p + 1), chrf("abcd", "ab"), 1e-9);
  }

  @Test
  void whitespaceIsIgnoredAndEdgeCases() {
    assertEquals(100.0, chrf("a b c", "abc"), 1e-12);
    assertEquals(100.0, chrf("a\u00a0b\u3000c", "abc"), 1e-12, "Python whitespace incl. NBSP");
    assertEquals(100.0, chrf("hello world", "hello world"), 1e-12);
    assertEquals(0.0, chrf("xyz", "abc"));
    assertEquals(0.0, chrf("", "abc"));
    assertEquals(0.0, chrf("", ""));
  }

  @Test
  void supplementaryCharactersCountAsOneCharacter() {
    // "😀a" vs "😀b": n1 P=R=1/2 (emoji matches); n2 P=R=0 -> P=R=1/4 -> F=1/4.
    // Counting UTF-16 units instead would give 3 unigrams and a matching surrogate bigram.
    assertEquals(25.0, chrf("😀a", "😀b"), 1e-9);
  }

  @Test
  void corpusPoolsPerOrderCounts() {
    double score = CHRF.corpusScoreSingleRef(List.of("abc", "ab"), List.of("abd", "abcd")).score();
    double p = (4 / 5.0 + 2 / 3.0 + 0) / 3;
    double r = (4 / 7.0 + 2 / 5.0 + 0) / 3;
    assertEquals(100 * 5 * p * r / (4 * p + r), score, 1e-9);
  }

  @Test
  void multiReferencePicksBestSegmentF() {
    ChrfScore s = CHRF.corpusScore(List.of("abc"), List.of(List.of("xyz"), List.of("abd")));
    assertEquals(100 * 7 / 18.0, s.score(), 1e-9);
    assertTrue(s.signature().startsWith("nrefs:2|"));
  }

  @Test
  void statisticsAreAdditive() {
    List<String> hyps = List.of("abc", "ab", "Él dijo 🍕");
    List<String> refs = List.of("abd", "abcd", "él dijo pizza");
    ChrfStats whole = CHRF.stats(hyps, List.of(refs));
    ChrfStats parts =
        CHRF.stats(hyps.subList(0, 1), List.of(refs.subList(0, 1)))
            .plus(CHRF.stats(hyps.subList(1, 3), List.of(refs.subList(1, 3))));
    assertEquals(whole, parts);
    assertEquals(CHRF.corpusScore(hyps, List.of(refs)).score(), CHRF.score(parts, 1).score());
  }

  @Test
  void signaturesAndNames() {
    ChrfScore s = CHRF.corpusScoreSingleRef(List.of("a"), List.of("a"));
    assertEquals("nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0", s.signature());
    assertEquals("chrF2 = 100.00", s.format());
    ChrfScore pp = CHRF.withWordOrder(2).corpusScoreSingleRef(List.of("a"), List.of("a"));
    assertEquals("chrF2++", pp.name());
    assertTrue(pp.signature().contains("|nw:2|"));
  }
}
