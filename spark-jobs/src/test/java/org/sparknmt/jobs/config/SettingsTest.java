package org.sparknmt.jobs.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparknmt.jobs.UserError;

class SettingsTest {
  @TempDir Path dir;

  @Test
  void defaultsComeFromReferenceConf() {
    Settings s = Settings.defaults();
    assertEquals("local[2]", s.string("sparknmt.spark.master"));
    assertEquals(1, s.integer("sparknmt.nd4j.executor-omp-threads", 1, 64));
  }

  @Test
  void fileThenSetOverridesWin() throws Exception {
    Path f = dir.resolve("a.conf");
    Files.writeString(
        f, "sparknmt.spark.master = \"local[1]\"\nsparknmt.nd4j.executor-omp-threads = 3\n");
    Settings s =
        Settings.load(
            new ConfigOptions(
                List.of(f.toString()), List.of("sparknmt.nd4j.executor-omp-threads=4")));
    assertEquals("local[1]", s.string("sparknmt.spark.master"));
    assertEquals(4, s.integer("sparknmt.nd4j.executor-omp-threads", 1, 64));
  }

  @Test
  void theLastSetOfAKeyWins() {
    Settings s =
        Settings.load(
            new ConfigOptions(
                List.of(),
                List.of(
                    "sparknmt.train.model.d-model=16",
                    "sparknmt.train.epochs=3",
                    "sparknmt.train.model.d-model=32")));
    assertEquals(32, s.integer("sparknmt.train.model.d-model", 0, 1024));
    assertEquals(3, s.integer("sparknmt.train.epochs", 1, 1000));
  }

  @Test
  void unknownKeyIsRejectedByName() {
    UserError e =
        assertThrows(
            UserError.class,
            () ->
                Settings.load(
                    new ConfigOptions(List.of(), List.of("sparknmt.nd4j.exector-omp-threads=2"))));
    assertTrue(e.getMessage().contains("sparknmt.nd4j.exector-omp-threads"), e.getMessage());
  }

  @Test
  void outOfRangeValueNamesKeyValueAndRange() {
    Settings s =
        Settings.load(
            new ConfigOptions(List.of(), List.of("sparknmt.nd4j.executor-omp-threads=0")));
    UserError e =
        assertThrows(UserError.class, () -> s.integer("sparknmt.nd4j.executor-omp-threads", 1, 64));
    assertTrue(e.getMessage().contains("sparknmt.nd4j.executor-omp-threads"), e.getMessage());
    assertTrue(e.getMessage().contains("= 0"), e.getMessage());
    assertTrue(e.getMessage().contains("1 to 64"), e.getMessage());
  }

  @Test
  void missingConfFileIsAClearError() {
    UserError e =
        assertThrows(
            UserError.class,
            () -> Settings.load(new ConfigOptions(List.of("/nonexistent/x.conf"), List.of())));
    assertTrue(e.getMessage().contains("/nonexistent/x.conf"), e.getMessage());
  }

  @Test
  void malformedSetIsAClearError() {
    UserError e =
        assertThrows(
            UserError.class, () -> Settings.load(new ConfigOptions(List.of(), List.of("novalue"))));
    assertTrue(e.getMessage().contains("KEY=VALUE"), e.getMessage());
  }

  @Test
  void freeFormSparkConfIsAccepted() {
    Settings s =
        Settings.load(
            new ConfigOptions(
                List.of(), List.of("sparknmt.spark.conf.\"spark.sql.shuffle.partitions\"=7")));
    assertEquals(
        7, s.raw().getConfig("sparknmt.spark.conf").getInt("\"spark.sql.shuffle.partitions\""));
  }
}
