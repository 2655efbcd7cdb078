package org.sparknmt.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.sparknmt.jobs.store.ModelBundle;
import org.sparknmt.jobs.store.ModelStore;

/**
 * The README's main command (PipelineJob) end to end in Spark local mode on a slice of the bundled
 * corpus with a tiny model: it prints the bundle's test scores and sample translations, promotes
 * the bundle, and a second run reuses everything instead of training again.
 */
class PipelineJobIT {
  @TempDir Path dir;

  private CapturedRun pipeline(Path corpus, Path work, String... extra) {
    List<String> args = new ArrayList<>();
    for (String set : new String[] {"", "dev-", "test-"}) {
      String file = set.isEmpty() ? "train" : set.substring(0, set.length() - 1);
      args.addAll(
          List.of(
              "--" + set + "source",
              corpus.resolve(file + ".en").toString(),
              "--" + set + "target",
              corpus.resolve(file + ".es").toString()));
    }
    args.addAll(List.of("--work", work.toString(), "--samples", "3"));
    args.addAll(List.of(TrainingPipelineIT.TINY));
    args.addAll(
        List.of(
            "--set", "sparknmt.spark.master=\"local[2]\"",
            "--set", "sparknmt.train.epochs=2"));
    // secrets the job gets but must not write or print (the values are ignored in local mode), and
    // a keytab (Hadoop security is off here: the job warns and does not log in)
    args.addAll(
        List.of(
            "--set", "sparknmt.spark.conf.\"spark.ssl.keyPassword\"=\"" + SECRET + "\"",
            "--set", "sparknmt.spark.conf.\"spark.hadoop.fs.s3a.secret.key\"=\"" + SECRET + "\"",
            "--set", "sparknmt.spark.conf.\"spark.kerberos.principal\"=\"alice@EXAMPLE.COM\"",
            "--set", "sparknmt.spark.conf.\"spark.kerberos.keytab\"=\"" + keytab() + "\""));
    args.addAll(List.of(extra));
    return CapturedRun.of(new PipelineJob(), args);
  }

  private static final String SECRET = "pw-7b1e-not-to-be-written";

  private Path keytab() {
    Path keytab = dir.resolve("alice.keytab");
    try {
      if (!Files.exists(keytab)) {
        Files.writeString(keytab, "not a real keytab");
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return keytab;
  }

  @Test
  void runsTheWholePipelineAndReusesItOnTheSecondRun() throws Exception {
    Path corpus = Files.createDirectories(dir.resolve("corpus"));
    Path data = Path.of(System.getProperty("sparknmt.repo", "..")).resolve("data/bible-en-es");
    TrainingPipelineIT.slice(data, corpus, "train", 0, 240);
    TrainingPipelineIT.slice(data, corpus, "dev", 0, 12);
    TrainingPipelineIT.slice(data, corpus, "test", 0, 12);
    Path work = dir.resolve("work");

    CapturedRun first = pipeline(corpus, work);
    assertEquals(0, first.exit(), first.out());
    ModelStore store = ModelStore.at(work.toUri(), new Configuration());
    ModelBundle bundle = store.champion("default").orElseThrow(); // promoted and verified
    List<String> hyps = bundle.readText(ModelBundle.hypothesesFile("test")).lines().toList();
    assertEquals(12, hyps.size());
    String test =
        String.format("test BLEU  %.2f", bundle.metrics().get("test").get("bleu").asDouble());
    assertTrue(first.out().contains(test), first.out());
    assertTrue(first.out().contains("test chrF  "), first.out());
    assertTrue(first.out().contains("model bundle: " + bundle.uri()), first.out());
    for (String hyp : hyps.subList(0, 3)) {
      assertTrue(first.out().contains("translation: " + hyp + "\n"), first.out());
    }
    // what is written next to the run and the model holds no secret, but says which keytab
    String runConfig = Files.readString(work.resolve("run/run-config.json"));
    for (String written :
        List.of(
            bundle.readText(ModelBundle.CONFIG),
            bundle.readText(ModelBundle.PROVENANCE),
            runConfig,
            first.out())) {
      assertFalse(written.contains(SECRET), written);
    }
    assertTrue(bundle.readText(ModelBundle.CONFIG).contains(keytab().toString()));
    assertTrue(runConfig.contains(org.sparknmt.jobs.config.Settings.REDACTED), runConfig);

    CapturedRun second = pipeline(corpus, work);
    assertEquals(0, second.exit(), second.out());
    assertEquals(List.of(bundle.version()), store.versions("default"));
    assertTrue(second.out().contains(test), second.out());

    // a damaged training batch stops a new training run before it starts, naming the batch
    List<String> index = Files.readAllLines(work.resolve("data/shards/train/index.tsv"));
    String[] row = index.get(4).split("\t"); // batch 3
    Path part = work.resolve("data/shards/train").resolve(row[0]);
    String batch = "batch 3 (" + row[0] + "#" + row[1] + "+" + row[2] + ")";
    byte[] bytes = Files.readAllBytes(part);
    int at = Integer.parseInt(row[1]) + Integer.parseInt(row[2]) / 2;
    bytes[at] ^= 1;
    Files.write(part, bytes);
    List<String> trainJob =
        List.of(
            "--shards", work.resolve("data/shards").toString(),
            "--run", work.resolve("run-2").toString(),
            "--models", work.toString(),
            "--name", "second",
            "--set", "sparknmt.spark.master=\"local[2]\"");
    CapturedRun damaged = CapturedRun.of(new TrainJob(), trainJob);
    assertEquals(Cli.EXIT_USER_ERROR, damaged.exit(), damaged.out());
    assertTrue(damaged.out().contains("damaged shards: 1 of "), damaged.out());
    // the local file system's .crc checksums catch the flipped bit before the SHA-256 does
    assertTrue(damaged.out().contains(batch + " fails its file"), damaged.out());
    assertFalse(Files.exists(work.resolve("run-2")), "nothing written");
    // without the .crc file (a file system without checksums of its own) the SHA-256 finds it;
    // a missing part is named too
    Path crc = part.resolveSibling("." + part.getFileName() + ".crc");
    byte[] crcBytes = Files.readAllBytes(crc);
    Files.delete(crc);
    String otherName = row[0].equals("part-00000.bin") ? "part-00001.bin" : "part-00000.bin";
    Path missing = part.resolveSibling(otherName);
    Path aside = work.resolve("aside.bin");
    Files.move(missing, aside);
    CapturedRun damagedTwice = CapturedRun.of(new TrainJob(), trainJob);
    assertEquals(Cli.EXIT_USER_ERROR, damagedTwice.exit(), damagedTwice.out());
    assertTrue(damagedTwice.out().contains("damaged shards: 2 of "), damagedTwice.out());
    assertTrue(damagedTwice.out().contains(batch + " has sha256 "), damagedTwice.out());
    assertTrue(damagedTwice.out().contains(otherName + ": missing"), damagedTwice.out());
    Files.move(aside, missing);
    bytes[at] ^= 1;
    Files.write(part, bytes);
    Files.write(crc, crcBytes);

    // a run killed after its last checkpoint, resumed with another model shape: refused, naming
    // the keys, instead of the checkpoint silently winning over the settings
    Files.delete(work.resolve("run/bundle.txt"));
    CapturedRun reshaped = pipeline(corpus, work, "--set", "sparknmt.train.model.d-model=32");
    assertEquals(Cli.EXIT_USER_ERROR, reshaped.exit(), reshaped.out());
    assertTrue(
        reshaped.out().contains("changed: sparknmt.train.model.d-model (16 -> 32)"),
        reshaped.out());
    assertEquals(List.of(bundle.version()), store.versions("default"));

    // the same with the data prepared again from other text (a vocabulary of the same size, other
    // merges): refused, the checkpoint's embeddings belong to the old token ids
    for (String step : List.of("corpus", "bpe", "shards")) {
      org.apache.commons.io.FileUtils.deleteDirectory(work.resolve("data").resolve(step).toFile());
    }
    TrainingPipelineIT.slice(data, corpus, "train", 240, 240);
    CapturedRun reencoded = pipeline(corpus, work);
    assertEquals(Cli.EXIT_USER_ERROR, reencoded.exit(), reencoded.out());
    assertTrue(
        reencoded.out().contains("started on shards encoded with another BPE model"),
        reencoded.out());
    assertEquals(List.of(bundle.version()), store.versions("default"));
  }

  /** sparknmt.data.output, when set, is where PipelineJob prepares the data and trains from. */
  @Test
  void preparesIntoAConfiguredDataOutputAndTrainsFromIt() throws Exception {
    Path corpus = Files.createDirectories(dir.resolve("corpus"));
    Path data = Path.of(System.getProperty("sparknmt.repo", "..")).resolve("data/bible-en-es");
    TrainingPipelineIT.slice(data, corpus, "train", 0, 120);
    TrainingPipelineIT.slice(data, corpus, "dev", 0, 6);
    TrainingPipelineIT.slice(data, corpus, "test", 0, 6);
    Path work = dir.resolve("work2");
    Path prepared = dir.resolve("elsewhere");
    CapturedRun run =
        pipeline(
            corpus,
            work,
            "--set",
            "sparknmt.data.output=\"" + prepared + "\"",
            "--set",
            "sparknmt.train.epochs=1");
    assertEquals(0, run.exit(), run.out());
    assertTrue(Files.exists(prepared.resolve("shards/manifest.json")), "prepared where asked");
    assertFalse(Files.exists(work.resolve("data")), "not into WORK/data");
    ModelBundle bundle =
        ModelStore.at(work.toUri(), new Configuration()).champion("default").orElseThrow();
    String shards = bundle.provenance().data().get("shards").replaceAll("/$", "");
    assertTrue(shards.endsWith(prepared.resolve("shards").toString()), "trained from " + shards);
  }
}
