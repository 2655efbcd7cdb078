package org.sparknmt.prep.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
    Map<String, Long> counts = WordCounts.count(jsc.parallelize(sentences, 3));
    assertEquals(3L, counts.get("\u2581the"));
    assertEquals(3L, counts.get("\u2581cat"));
    assertEquals(3L, counts.get("\u2581gato"));
    assertEquals(BpeLearner.countWords(sentences), counts);
  }
}
