package org.sparknmt.model.metrics;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** BLEU on hand-computed examples (the same ones bleu_ref.py checks itself with). */
class BleuTest {

  private static final Bleu BLEU = Bleu.sacreBleu();
  private static final String HYP = "the cat sat on the mat";
  private static final String REF = "the cat is on the mat";

  private static BleuScore bleu(Bleu b, String hyp, String ref) {
    return b.corpusScoreSingleRef(List.of(hyp), List.of(ref));
  }

  @Test
  void expSmoothingOfAZeroFourGramOrder() {
    // p1 = 5/6, p2 = 3/5, p3 = 1/4, p4 = 0/3 -> 1/(2*3); BP = 1
    BleuScore s = bleu(BLEU, HYP, REF);
    assertEquals(100 * Math.pow(1 / 48.0, 0.25), s.score(), 1e-9);
    assertArrayEquals(new long[] {5, 3, 1, 0}, s.counts());
    assertArrayEquals(new long[] {6, 5, 4, 3}, s.totals());
    assertEquals(100.0 / 6, s.precisions()[3], 1e-12);
    assertEquals("nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0", s.signature());
  }

  @Test
  void otherSmoothingMethods() {
    assertEquals(0.0, bleu(BLEU.withSmoothing(Bleu.Smoothing.NONE), HYP, REF).score());
    BleuScore floor = bleu(BLEU.withSmoothing(Bleu.Smoothing.FLOOR), HYP, REF);
    assertEquals(100 * Math.pow(5 / 6.0 * 3 / 5.0 * 1 / 4.0 * 0.1 / 3, 0.25), floor.score(), 1e-9);
    assertTrue(floor.signature().contains("|smooth:floor[0.10]|"), floor.signature());
    BleuScore addK = bleu(BLEU.withSmoothing(Bleu.Smoothing.ADD_K), HYP, REF);
    assertEquals(100 * Math.pow(5 / 6.0 * 4 / 6.0 * 2 / 5.0 * 1 / 4.0, 0.25), addK.score(), 1e-9);
    assertTrue(addK.signature().contains("|smooth:add-k[1.00]|"), addK.signature());
    assertThrows(IllegalArgumentException.class, () -> BLEU.withSmoothing(Bleu.Smoothing.EXP, 0.5));
  }

  @Test
  void brevityPenalty() {
    BleuScore s = bleu(BLEU, "the cat sat on the", "the cat sat on the mat");
    assertEquals(100 * Math.exp(1 - 6 / 5.0), s.score(), 1e-9);
    assertEquals(Math.exp(1 - 6 / 5.0), s.bp(), 1e-12);
  }

  @Test
  void identicalDisjointAndTooShort() {
    assertEquals(100.0, bleu(BLEU, "a b c d e", "a b c d e").score(), 1e-12);
    assertEquals(0.0, bleu(BLEU, "a b c d", "e f g h").score());
    // no hypothesis trigram: the precision loop stops, p3 = 0 -> BLEU 0 (no effective order)
    assertEquals(0.0, bleu(BLEU, "the cat", "the cat sat").score());
    assertEquals(0.0, bleu(BLEU, "", "the cat sat").score());
    assertEquals(0.0, bleu(BLEU, "", "the cat sat").bp());
  }

  @Test
  void corpusPoolsStatisticsInsteadOfAveragingSentences() {
    BleuScore s = BLEU.corpusScoreSingleRef(List.of(HYP, "a b c d e"), List.of(REF, "a b c d e"));
    double want = 100 * Math.pow(10 / 11.0 * 7 / 9.0 * 4 / 7.0 * 2 / 5.0, 0.25);
    assertEquals(want, s.score(), 1e-9);
  }

  @Test
  void statisticsAreAdditiveAcrossPartitions() {
    List<String> hyps = List.of(HYP, "a b c d e", "x y z", "");
    List<String> refs = List.of(REF, "a b c d e", "x y w", "q");
    BleuStats whole = BLEU.stats(hyps, List.of(refs));
    BleuStats parts =
        BLEU.stats(hyps.subList(0, 2), List.of(refs.subList(0, 2)))
            .plus(BLEU.stats(hyps.subList(2, 4), List.of(refs.subList(2, 4))));
    assertEquals(whole, parts);
    assertEquals(BLEU.score(whole, 1), BLEU.corpusScore(hyps, List.of(refs)));
  }

  @Test
  void multipleReferences() {
    BleuScore s =
        BLEU.corpusScore(
            List.of("the the the the the"),
            List.of(List.of("the cat"), List.of("the the cat sat on mat")));
    assertEquals(2, s.counts()[0], "clipped by the max count over references");
    assertEquals(6, s.refLen(), "closest reference length");
    BleuScore tie = BLEU.corpusScore(List.of("a b c"), List.of(List.of("a b"), List.of("a b c d")));
    assertEquals(2, tie.refLen(), "ties go to the shorter reference");
    assertTrue(tie.signature().startsWith("nrefs:2|"));
  }

  @Test
  void caseAndLowercasing() {
    assertArrayEquals(new long[] {3, 2, 1, 0}, bleu(BLEU, "A b c d", "a b c d").counts());
    BleuScore lc = bleu(BLEU.withLowercase(true), "A b c d", "a b c d");
    assertEquals(100.0, lc.score(), 1e-12);
    assertTrue(lc.signature().contains("|case:lc|"));
  }

  @Test
  void sentenceScoreUsesEffectiveOrder() {
    BleuScore s = BLEU.sentenceScore("the cat", List.of("the cat sat"));
    assertEquals(100 * Math.exp(1 - 3 / 2.0), s.score(), 1e-9);
    assertTrue(s.signature().contains("|eff:yes|"));
  }

  @Test
  void tokenizer13a() {
    assertEquals(
        "Hello , world ! It cost $ 3.50 ( 1,000 items ) in 2019 - 2020 .",
        Tokenizer13a.tokenize("Hello, world! It cost $3.50 (1,000 items) in 2019-2020."));
    assertEquals(
        "\" Don't \" & “curly” ¿Qué ?",
        Tokenizer13a.tokenize("&quot;Don't&quot; &amp; “curly” ¿Qué?"));
    assertEquals("It was 5 . Then 6.7 , ok", Tokenizer13a.tokenize("It was 5. Then 6.7, ok"));
  }

  @Test
  void summaryLineRoundsLikePython() {
    // 27/48 = 0.5625 exactly: Python's '%.3f' gives 0.562 (half-even), Java's %.3f would give 0.563
    BleuScore s =
        BLEU.score(
            new BleuStats(27, 48, new long[] {18, 11, 7, 4}, new long[] {27, 25, 23, 21}), 1);
    assertTrue(s.format().contains("ratio = 0.562 "), s.format());
  }

  @Test
  void rejectsMisalignedInput() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> BLEU.corpusScoreSingleRef(List.of("a", "b"), List.of("a")));
    assertTrue(e.getMessage().contains("1 segments but there are 2 hypotheses"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> BLEU.corpusScore(List.of("a"), List.of()));
  }
}
