package org.sparknmt.prep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparknmt.prep.bpe.BpeLearner;

class WordCountsTest {
  private static JavaSparkContext jsc;

  @BeforeAll
  static void start() {
    jsc =
        new JavaSparkContext(
            new SparkConf()
                .setMaster("local[2]")
                .setAppName("WordCountsTest")
                .set("spark.ui.enabled", "false")
                .set("spark.serializer", "org.apache.spark.serializer.KryoSerializer"));
  }

  @AfterAll
  static void stop() {
    jsc.close();
  }

  @Test
  void countsPreTokensAcrossPartitionsLikeTheLocalCounter() {
    List<String> sentences =
        List.of("the cat", "the dog", "a cat sat", "the cat", "el gato", "", "gato gato");
    WordCounts.Counted counted = WordCounts.count(jsc.parallelize(sentences, 3), 0);
    Map<String, Long> counts = counted.counts();
    assertEquals(3L, counts.get("\u2581the"));
    assertEquals(3L, counts.get("\u2581cat"));
    assertEquals(3L, counts.get("\u2581gato"));
    assertEquals(BpeLearner.countWords(sentences), counts);
    assertEquals(counts.size(), counted.distinct());
    assertFalse(counted.pruned());
  }

  /** The bound keeps the most frequent words, ties broken by the word, whatever the partitions. */
  @Test
  void theBoundKeepsTheMostFrequentWords() {
    List<String> sentences =
        List.of("the cat", "the dog", "a cat sat", "the cat", "el gato", "", "gato gato");
    for (int partitions : new int[] {1, 3, 7}) {
      WordCounts.Counted counted = WordCounts.count(jsc.parallelize(sentences, partitions), 4);
      // the, cat, gato: 3 each; then a, dog, el, sat: 1 each -> "▁a" is the smallest word
      assertEquals(
          Map.of("\u2581the", 3L, "\u2581cat", 3L, "\u2581gato", 3L, "\u2581a", 1L),
          counted.counts());
      assertEquals(7, counted.distinct());
      assertEquals(1, counted.minCountKept());
      assertTrue(counted.pruned());
    }
  }
}
