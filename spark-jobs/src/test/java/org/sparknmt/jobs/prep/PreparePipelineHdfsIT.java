package org.sparknmt.jobs.prep;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.sparknmt.jobs.Cli;
import org.sparknmt.jobs.Sessions;
import org.sparknmt.jobs.UserError;
import org.sparknmt.jobs.config.Settings;

/** The corpus pipeline reading from and writing to a real {@code hdfs://} (MiniDFSCluster). */
class PreparePipelineHdfsIT {
  private static MiniDFSCluster cluster;
  private static FileSystem fs;
  private static String root;
  private static SparkSession spark;

  @BeforeAll
  static void start() throws IOException {
    File base =
        new File("target/minidfs-" + PreparePipelineHdfsIT.class.getSimpleName()).getAbsoluteFile();
    cluster =
        new MiniDFSCluster.Builder(new Configuration(), base).numDataNodes(1).format(true).build();
    cluster.waitActive();
    fs = cluster.getFileSystem();
    root = fs.getUri() + "/nmt";
    spark = Sessions.create(Settings.defaults(), "PreparePipelineHdfsIT");
    spark.sparkContext().setLogLevel("WARN");
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.close();
    }
    if (cluster != null) {
      cluster.shutdown(true);
    }
  }

  private static void write(String path, String content) throws IOException {
    try (OutputStream raw = fs.create(new Path(path), true);
        OutputStream out = path.endsWith(".gz") ? new GZIPOutputStream(raw) : raw) {
      out.write(content.getBytes(StandardCharsets.UTF_8));
    }
  }

  @Test
  void prepareVocabShardOnHdfs() throws Exception {
    StringBuilder src = new StringBuilder();
    StringBuilder tgt = new StringBuilder();
    String[] w = {"in", "the", "beginning", "God", "created", "heaven", "earth", "light"};
    for (int i = 0; i < 200; i++) {
      List<String> s = new ArrayList<>();
      List<String> t = new ArrayList<>();
      for (int k = 0; k < 3 + i % 9; k++) {
        s.add(w[(i * 7 + k * 3) % w.length]);
        t.add("es_" + w[(i * 7 + k * 3) % w.length]);
      }
      src.append(String.join(" ", s)).append(" ").append(i).append('\n');
      tgt.append(String.join(" ", t)).append(" ").append(i).append('\n');
    }
    // the source side as a directory of two part files, the target gzipped
    String[] lines = src.toString().split("\n", -1);
    write(root + "/in/src/part-00000", String.join("\n", List.of(lines).subList(0, 120)) + "\n");
    write(root + "/in/src/part-00001", String.join("\n", List.of(lines).subList(120, 200)) + "\n");
    write(root + "/in/train.tgt.gz", tgt.toString());
    String out = root + "/out";
    int code =
        Cli.execute(
            new PrepareJob(spark),
            "--source",
            root + "/in/src",
            "--target",
            root + "/in/train.tgt.gz",
            "--out",
            out,
            "--set",
            "sparknmt.bpe.vocab-size=300",
            "--set",
            "sparknmt.shard.batch-tokens=0",
            "--set",
            "sparknmt.shard.batch-size-per-worker=16");
    assertEquals(0, code);

    ObjectMapper json = new ObjectMapper();
    JsonNode m;
    try (InputStream in = fs.open(new Path(out + "/shards/manifest.json"))) {
      m = json.readTree(in);
    }
    JsonNode report = m.get("corpusReport");
    assertEquals(200, report.get("pairs").get("input").asLong());
    assertEquals(
        200,
        report.get("pairs").get("kept").asLong() + report.get("pairs").get("rejected").asLong());
    assertTrue(report.get("inputs").get("files").get(0).get("path").asText().startsWith("hdfs://"));
    JsonNode pairs = m.get("train").get("pairs");
    assertEquals(
        pairs.get("input").asLong(),
        pairs.get("batched").asLong()
            + pairs.get("batch-leftover").asLong()
            + pairs.get("too-long-subwords").asLong());
    long batches = m.get("train").get("batches").asLong();
    assertEquals(pairs.get("batched").asLong() / 16, batches);
    org.sparknmt.jobs.train.ShardSet shards =
        org.sparknmt.jobs.train.ShardSet.open(java.net.URI.create(out + "/shards"), fs.getConf());
    List<org.nd4j.linalg.dataset.api.MultiDataSet> loaded = shards.loadBatches("train");
    assertEquals(batches, loaded.size());
    for (org.nd4j.linalg.dataset.api.MultiDataSet mds : loaded) {
      assertEquals(16, mds.getFeatures(0).size(0));
    }
    // packed: a few part files on HDFS, each as the manifest describes it
    long partBytes = 0;
    for (JsonNode part : m.get("train").get("parts")) {
      Path file = new Path(out + "/shards/train/" + part.get("file").asText());
      assertEquals(part.get("bytes").asLong(), fs.getFileStatus(file).getLen());
      partBytes += part.get("bytes").asLong();
    }
    assertTrue(partBytes > 0);

    List<String> top = new ArrayList<>();
    for (FileStatus s : fs.listStatus(new Path(out))) {
      top.add(s.getPath().getName());
    }
    top.sort(null);
    assertEquals(List.of("bpe", "corpus", "shards"), top, "no temporary directories left");

    // a failing run on HDFS leaves no output directory behind
    write(root + "/in/short.tgt", "only one line\n");
    String failed = root + "/failed";
    UserError e =
        org.junit.jupiter.api.Assertions.assertThrows(
            UserError.class,
            () ->
                new PreparePipeline(
                        PrepConfig.from(
                            Settings.load(
                                new org.sparknmt.jobs.config.ConfigOptions(
                                    List.of(),
                                    List.of(
                                        "sparknmt.data.source=\"" + root + "/in/src\"",
                                        "sparknmt.data.target=\"" + root + "/in/short.tgt\"",
                                        "sparknmt.data.output=\"" + failed + "\"")))))
                    .run(spark, PreparePipeline.STEPS));
    assertTrue(e.getMessage().contains("has 200 lines"), e.getMessage());
    assertFalse(fs.exists(new Path(failed)));
  }
}
