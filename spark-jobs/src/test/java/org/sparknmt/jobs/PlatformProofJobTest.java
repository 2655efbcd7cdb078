package org.sparknmt.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The platform proof in local[2] mode on file:// (the real thing: PlatformProofIT). */
class PlatformProofJobTest {
  @TempDir Path tmp;

  @Test
  void trainsSavesAndReloadsOnTheLocalFileSystem() throws Exception {
    Path work = tmp.resolve("proof");
    int rc =
        Cli.execute(
            new PlatformProofJob(),
            "--work",
            work.toUri().toString(),
            "--set",
            "sparknmt.spark.master=local[2]",
            "--set",
            "sparknmt.proof.epochs=2");
    assertEquals(0, rc);
    JsonNode r = new ObjectMapper().readTree(Files.readString(work.resolve("result.json")));
    assertTrue(r.get("scoreAfter").asDouble() < r.get("scoreBefore").asDouble(), r.toString());
    assertTrue(r.get("paramChangeL2").asDouble() > 0, r.toString());
    assertEquals(0.0, r.get("reloadedOutputMaxAbsDiff").asDouble(), r.toString());
    assertTrue(r.get("reloadedParamsEqual").asBoolean(), r.toString());
    assertTrue(r.get("reloadedUpdaterEqual").asBoolean(), r.toString());
    assertEquals(8, r.get("trainingFiles").asInt());
    assertTrue(Files.size(work.resolve("model.zip")) > 0);
  }

  @Test
  void aResultThatDidNotLearnIsAFailure() {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("scoreBefore", 1.0);
    r.put("scoreAfter", 1.0);
    r.put("paramChangeL2", 0.0);
    r.put("reloadedParamsEqual", true);
    r.put("reloadedUpdaterEqual", true);
    r.put("reloadedOutputMaxAbsDiff", 1e-7);
    r.put("model", "m.zip");
    assertEquals(3, PlatformProofJob.failures(r).size(), PlatformProofJob.failures(r).toString());
  }
}
