package org.sparknmt.jobs;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.sparknmt.jobs.prep.PrepareJob;

/**
 * The job of the Kerberos tests: a {@link PrepareJob} in Spark local mode (like spark-submit runs
 * it) that reads a small parallel corpus from a {@link SecureHdfs} and writes its shards there.
 */
final class KerberizedPrepare {
  private KerberizedPrepare() {}

  /** Writes 120 sentence pairs to {@code dir}/train.src and train.tgt as {@code fs}'s user. */
  static void writeCorpus(FileSystem fs, String dir) throws IOException {
    StringBuilder src = new StringBuilder();
    StringBuilder tgt = new StringBuilder();
    String[] w = {"in", "the", "beginning", "God", "created", "heaven", "earth", "light"};
    for (int i = 0; i < 120; i++) {
      List<String> s = new ArrayList<>();
      List<String> t = new ArrayList<>();
      for (int k = 0; k < 3 + i % 7; k++) {
        s.add(w[(i * 7 + k * 3) % w.length]);
        t.add("es_" + w[(i * 7 + k * 3) % w.length]);
      }
      src.append(String.join(" ", s)).append(' ').append(i).append('\n');
      tgt.append(String.join(" ", t)).append(' ').append(i).append('\n');
    }
    write(fs, dir + "/train.src", src.toString());
    write(fs, dir + "/train.tgt", tgt.toString());
  }

  private static void write(FileSystem fs, String path, String content) throws IOException {
    try (OutputStream out = fs.create(new Path(path), true)) {
      out.write(content.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** The job's arguments for the corpus in {@code in} (small BPE, 16-pair batches). */
  static List<String> arguments(String in, String out) {
    return new ArrayList<>(
        List.of(
            "--source",
            in + "/train.src",
            "--target",
            in + "/train.tgt",
            "--out",
            out,
            "--set",
            "sparknmt.bpe.vocab-size=300",
            "--set",
            "sparknmt.shard.batch-tokens=0",
            "--set",
            "sparknmt.shard.batch-size-per-worker=16"));
  }

  /**
   * Runs the job on the corpus in {@code in} with the cluster's client configuration and {@code
   * extra} arguments, its output kept next to the HDFS log for whoever debugs a test.
   */
  static CapturedRun run(SecureHdfs hdfs, String in, String out, String... extra) {
    List<String> args = arguments(in, out);
    args.addAll(List.of("--set", "sparknmt.spark.master=\"local[1]\""));
    // the cluster's client configuration (core-site.xml/hdfs-site.xml on a real cluster)
    for (Map.Entry<String, String> e : hdfs.clientSparkConf().entrySet()) {
      args.add("--set");
      args.add("sparknmt.spark.conf.\"" + e.getKey() + "\"=\"" + e.getValue() + "\"");
    }
    args.addAll(List.of(extra));
    CapturedRun run = CapturedRun.of(new PrepareJob(), args);
    try {
      Files.writeString(hdfs.dir().toPath().resolve(new Path(out).getName() + ".out"), run.out());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return run;
  }
}
