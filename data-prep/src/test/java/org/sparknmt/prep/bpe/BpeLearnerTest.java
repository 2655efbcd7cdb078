package org.sparknmt.prep.bpe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class BpeLearnerTest {
  /** Sennrich et al.'s example, with ▁ word-start marks instead of </w> word ends. */
  private static Map<String, Long> classic() {
    return Map.of("▁low", 5L, "▁lower", 2L, "▁newest", 6L, "▁widest", 3L);
  }

  private static List<String> merges(BpeModel m) {
    List<String> out = new ArrayList<>();
    for (int r = 0; r < m.numMerges(); r++) {
      out.add(String.join(" ", m.merge(r)));
    }
    return out;
  }

  @Test
  void learnsTheHandWorkedMerges() {
    // 261 = reserved + bytes + ▁; alphabet e w s t l o n d i r (10, by frequency) = 271
    BpeModel m = BpeLearner.learn(classic(), 276);
    // (e,s)=9 ties (s,t)=9: e has the smaller id (more frequent). Then (es,t)=9. Then a 3-way
    // tie at 7: (▁,l), (l,o), (o,w): ▁ has the smallest id; then (o,w) beats (▁l,o) since the
    // new token ▁l has a larger id than o; then (▁l,ow)=7.
    assertEquals(List.of("e s", "es t", "▁ l", "o w", "▁l ow"), merges(m));
    assertEquals(276, m.vocabulary().size());
    assertEquals("e", m.vocabulary().token(261));
    assertEquals("r", m.vocabulary().token(270));
    assertEquals(List.of("▁low", "est"), m.pieces("lowest"));
    assertEquals(List.of("▁low", "e", "r", "▁", "n", "e", "w", "est"), m.pieces("lower newest"));
  }

  /**
   * The incremental learner must pick exactly the merges of the textbook algorithm that recounts
   * every pair after every merge (same tie-break), on random corpora with many repeats and
   * overlapping pairs ("aaaa").
   */
  @Test
  void matchesTheRecountEveryMergeReference() {
    Random rnd = new Random(99);
    for (int trial = 0; trial < 20; trial++) {
      Map<String, Long> counts = new HashMap<>();
      for (int i = 0; i < 60; i++) {
        StringBuilder w = new StringBuilder("▁");
        int len = 1 + rnd.nextInt(8);
        for (int k = 0; k < len; k++) {
          w.append((char) ('a' + rnd.nextInt(trial % 2 == 0 ? 3 : 6)));
        }
        counts.merge(w.toString(), 1L + rnd.nextInt(20), Long::sum);
      }
      BpeModel m = BpeLearner.learn(counts, 330);
      assertEquals(reference(counts, m.vocabulary(), 330), merges(m), "trial " + trial);
    }
  }

  /** Naive BPE: recount all pairs each step; alphabet ids taken from {@code base}. */
  private static List<String> reference(Map<String, Long> counts, Vocabulary base, int vocabSize) {
    List<String> tokens = new ArrayList<>();
    int alphabetEnd = Vocabulary.FIRST_PIECE;
    while (alphabetEnd < base.size() && base.token(alphabetEnd).length() == 1) {
      alphabetEnd++;
    }
    tokens.addAll(base.tokens().subList(0, alphabetEnd));
    List<List<Integer>> words = new ArrayList<>();
    List<Long> freq = new ArrayList<>();
    for (Map.Entry<String, Long> e : new TreeMap<>(counts).entrySet()) {
      List<Integer> w = new ArrayList<>();
      for (char c : e.getKey().toCharArray()) {
        w.add(tokens.indexOf(String.valueOf(c)));
      }
      words.add(w);
      freq.add(e.getValue());
    }
    List<String> merges = new ArrayList<>();
    while (tokens.size() < vocabSize) {
      Map<List<Integer>, Long> pairs = new HashMap<>();
      for (int k = 0; k < words.size(); k++) {
        List<Integer> w = words.get(k);
        for (int i = 0; i + 1 < w.size(); i++) {
          pairs.merge(List.of(w.get(i), w.get(i + 1)), freq.get(k), Long::sum);
        }
      }
      List<Integer> best = null;
      long bestCount = 0;
      for (Map.Entry<List<Integer>, Long> e : pairs.entrySet()) {
        List<Integer> p = e.getKey();
        long c = e.getValue();
        if (c > bestCount
            || (c == bestCount
                && (p.get(0) < best.get(0)
                    || (p.get(0).equals(best.get(0)) && p.get(1) < best.get(1))))) {
          best = p;
          bestCount = c;
        }
      }
      if (best == null || bestCount < 2) {
        break;
      }
      String joined = tokens.get(best.get(0)) + tokens.get(best.get(1));
      int result = tokens.indexOf(joined);
      if (result < 0) {
        result = tokens.size();
        tokens.add(joined);
      }
      merges.add(tokens.get(best.get(0)) + " " + tokens.get(best.get(1)));
      for (List<Integer> w : words) {
        for (int i = 0; i + 1 < w.size(); i++) {
          if (w.get(i).equals(best.get(0)) && w.get(i + 1).equals(best.get(1))) {
            w.set(i, result);
            w.remove(i + 1);
          }
        }
      }
    }
    return merges;
  }

  /**
   * SentencePiece's split_by_unicode_script: letters never merge with punctuation or digits (both
   * script Common, so they may merge with each other, as in SentencePiece).
   */
  @Test
  void neverMergesAcrossScriptsUnlessAskedTo() {
    Map<String, Long> counts =
        Map.of("▁Israel,", 50L, "▁Israel.", 40L, "▁Israel", 30L, "▁“Tú", 20L, "▁A1", 10L);
    BpeModel split = BpeLearner.learn(counts, 400);
    for (int id = Vocabulary.FIRST_PIECE; id < split.vocabulary().size(); id++) {
      String t = split.vocabulary().token(id).replace("▁", "");
      boolean letters = t.codePoints().anyMatch(Character::isLetter);
      boolean others = t.codePoints().anyMatch(c -> !Character.isLetter(c));
      assertFalse(letters && others, "token mixes scripts: " + t);
    }
    assertEquals(List.of("▁Israel", ","), split.pieces("Israel,"));
    assertEquals(List.of("▁“", "Tú"), split.pieces("“Tú"));
    assertEquals(List.of("▁A", "1"), split.pieces("A1"));

    BpeModel fused = BpeLearner.learn(counts, BpeLearner.Config.of(400).withSplitByScript(false));
    assertEquals(List.of("▁Israel,"), fused.pieces("Israel,"));
  }

  @Test
  void respectsTheVocabularySize() {
    Map<String, Long> counts = BpeLearner.countWords(Corpus.sentences(new Random(1), 400));
    for (int size : new int[] {261, 300, 450}) {
      assertEquals(size, BpeLearner.learn(counts, size).vocabulary().size());
    }
    // a tiny corpus runs out of pairs before a large vocabulary is reached
    BpeModel small = BpeLearner.learn(Map.of("▁ab", 3L), 8000);
    assertEquals(Vocabulary.FIRST_PIECE + 5, small.vocabulary().size());
    assertTrue(small.vocabulary().contains("▁ab"));
  }

  @Test
  void stopsAtTheMinimumPairFrequency() {
    BpeModel m =
        BpeLearner.learn(Map.of("▁aa", 2L, "▁bc", 1L), new BpeLearner.Config(300, 2, 1, true));
    assertEquals(List.of("▁ a", "▁a a"), merges(m));
  }

  @Test
  void isDeterministicWhateverTheMapOrder() {
    Map<String, Long> counts = BpeLearner.countWords(Corpus.sentences(new Random(7), 300));
    List<String> keys = new ArrayList<>(counts.keySet());
    Collections.shuffle(keys, new Random(3));
    Map<String, Long> shuffled = new LinkedHashMap<>();
    keys.forEach(k -> shuffled.put(k, counts.get(k)));
    TreeMap<String, Long> sorted = new TreeMap<>(Collections.reverseOrder());
    sorted.putAll(counts);
    BpeModel a = BpeLearner.learn(new HashMap<>(counts), 600);
    assertEquals(a.toFiles(), BpeLearner.learn(shuffled, 600).toFiles());
    assertEquals(a.toFiles(), BpeLearner.learn(sorted, 600).toFiles());
    assertEquals(a.sha256(), BpeLearner.learn(sorted, 600).sha256());
    assertNotEquals(a.sha256(), BpeLearner.learn(counts, 601).sha256());
  }

  @Test
  void reservedIdsAndByteTokens() {
    Vocabulary v = BpeLearner.learn(classic(), 280).vocabulary();
    assertEquals("<pad>", v.token(Vocabulary.PAD));
    assertEquals("<s>", v.token(Vocabulary.BOS));
    assertEquals("</s>", v.token(Vocabulary.EOS));
    assertEquals("<unk>", v.token(Vocabulary.UNK));
    assertEquals(
        List.of(0, 1, 2, 3), List.of(v.id("<pad>"), v.id("<s>"), v.id("</s>"), v.id("<unk>")));
    assertEquals("<0x00>", v.token(4));
    assertEquals("<0xFF>", v.token(259));
    assertEquals("▁", v.token(260));
    assertEquals(Vocabulary.UNK, v.id("no-such-token"));
  }

  @Test
  void neverLearnsTokensSpelledLikeReservedOrByteTokens() {
    BpeModel m = BpeLearner.learn(Map.of("▁<s>", 50L, "▁<0x41>", 40L, "▁x<unk>", 30L), 400);
    Vocabulary v = m.vocabulary();
    assertFalse(merges(m).isEmpty());
    // the vocabulary constructor rejects duplicates, so reaching here proves no clash; and the
    // text "<s>" encodes as ordinary pieces, not as the BOS id
    for (String s : List.of("<s>", "<0x41>", "x<unk>")) {
      int[] ids = m.encode(s);
      for (int id : ids) {
        assertTrue(id >= Vocabulary.FIRST_PIECE, s + " -> " + v.token(id));
      }
      assertEquals(s, m.decode(ids));
    }
  }

  @Test
  void rareAndControlCharactersFallBackToBytes() {
    Map<String, Long> counts = new HashMap<>(Map.of("▁aaaa", 1000L, "▁bbbb", 1000L, "▁é", 1L));
    counts.put("▁a\tb", 500L);
    BpeModel m = BpeLearner.learn(counts, new BpeLearner.Config(300, 2, 0.99, true));
    assertFalse(m.vocabulary().contains("é"));
    assertFalse(m.vocabulary().contains("\t"));
    assertArrayEquals(new int[] {260, 4 + 0xC3, 4 + 0xA9}, m.encode("é"));
    assertEquals("a\tb é", m.decode(m.encode("a\tb é")));
  }

  @Test
  void rejectsBadInput() {
    assertThrows(IllegalArgumentException.class, () -> BpeLearner.learn(Map.of("low", 1L), 300));
    assertThrows(IllegalArgumentException.class, () -> BpeLearner.learn(Map.of("▁a", -1L), 300));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> BpeLearner.learn(classic(), 100));
    assertTrue(e.getMessage().contains("vocabSize must be at least 261"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new BpeLearner.Config(300, 0, 1, true));
    assertThrows(IllegalArgumentException.class, () -> new BpeLearner.Config(300, 1, 0, true));
  }
}
