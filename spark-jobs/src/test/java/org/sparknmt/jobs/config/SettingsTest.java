package org.sparknmt.jobs.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

  @Test
  void secretsAreRedactedInTheWrittenConfigurationButReachSpark() {
    Settings s =
        Settings.load(
            new ConfigOptions(
                List.of(),
                List.of(
                    "sparknmt.spark.conf.\"spark.ssl.keyPassword\"=pw-1",
                    "sparknmt.spark.conf.\"spark.authenticate.secret\"=pw-2",
                    "sparknmt.spark.conf.\"spark.hadoop.fs.s3a.access.key\"=pw-3",
                    "sparknmt.spark.conf.\"spark.hadoop.fs.s3a.session.token\"=pw-4",
                    "sparknmt.spark.conf.\"spark.kerberos.principal\"=\"alice@EXAMPLE.COM\"",
                    "sparknmt.spark.conf.\"spark.kerberos.keytab\"=/etc/security/alice.keytab")));
    String json = s.toJson();
    for (String secret : List.of("pw-1", "pw-2", "pw-3", "pw-4")) {
      assertFalse(json.contains(secret), json);
    }
    assertEquals(4, json.split(java.util.regex.Pattern.quote(Settings.REDACTED), -1).length - 1);
    // who and which keytab file are not secrets: they stay, for the record
    assertTrue(json.contains("alice@EXAMPLE.COM"), json);
    assertTrue(json.contains("/etc/security/alice.keytab"), json);
    // the job itself still gets the values
    assertEquals("pw-1", s.raw().getString("sparknmt.spark.conf.\"spark.ssl.keyPassword\""));
  }
}
