import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.reflect.Method;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.core.loader.impl.SerializedMultiDataSetLoader;
import org.deeplearning4j.spark.iterator.PathSparkMultiDataSetIterator;
import org.nd4j.linalg.dataset.api.MultiDataSet;

/**
 * Training-read throughput of a shard's training batches on any Hadoop file system, through the
 * loader the trainer of the shard's version uses, in one JVM: the batches in a shuffled epoch order,
 * cut into "tasks" of {@code perTask} batches (a worker's round: averaging frequency × update
 * frequency), each task opening its own reader as a worker's task does.
 *
 * <ul>
 *   <li>{@code sparknmt-shards/1} (one file per batch): dl4j-spark's {@code
 *       PathSparkMultiDataSetIterator} with {@code SerializedMultiDataSetLoader}, as {@code
 *       WholeBatchPathFlatMap} read them until commit b700926 — one open per batch;
 *   <li>{@code sparknmt-shards/2} (packed): {@code org.sparknmt.prep.spark.PackedBatchReader}, as
 *       {@code BatchRefIterator} reads them — each part opened once per task, one positional read
 *       per batch. Called by reflection, so that this file compiles against either version's jar.
 * </ul>
 *
 * <p>Run with the version's application jar and Spark's jars on the class path: {@code java -cp
 * APP_JAR:SPARK_HOME/jars/* ShardReadBench.java SHARDS_URI PER_TASK REPS}. Prints one JSON line per
 * repetition.
 */
public class ShardReadBench {
  public static void main(String[] args) throws Exception {
    URI shards = URI.create(args[0].endsWith("/") ? args[0] : args[0] + "/");
    int perTask = Integer.parseInt(args[1]);
    int reps = Integer.parseInt(args[2]);
    Configuration conf = new Configuration();
    FileSystem fs = FileSystem.get(shards, conf);
    String manifest = text(fs, new Path(shards.resolve("manifest.json")));
    String format = manifest.replaceAll("(?s).*\"format\"\\s*:\\s*\"([^\"]+)\".*", "$1");
    List<String> batches = new ArrayList<>();
    long bytes = 0;
    if (format.equals("sparknmt-shards/1")) {
      List<FileStatus> files = new ArrayList<>();
      for (FileStatus f : fs.listStatus(new Path(shards.resolve("train/")))) {
        if (f.getPath().getName().startsWith("batch-")) {
          files.add(f);
        }
      }
      files.sort((a, b) -> a.getPath().getName().compareTo(b.getPath().getName()));
      for (FileStatus f : files) {
        batches.add(f.getPath().toString());
        bytes += f.getLen();
      }
    } else if (format.equals("sparknmt-shards/2")) {
      String[] rows = text(fs, new Path(shards.resolve("train/index.tsv"))).split("\n");
      for (int i = 1; i < rows.length; i++) {
        String[] f = rows[i].split("\t");
        batches.add(new Path(new Path(shards.resolve("train/")), f[0]) + "#" + f[1] + "+" + f[2]);
        bytes += Long.parseLong(f[2]);
      }
    } else {
      throw new IllegalArgumentException("unknown shard format " + format);
    }
    Collections.shuffle(batches, new Random(1));
    for (int rep = 1; rep <= reps; rep++) {
      long t0 = System.nanoTime();
      long examples = 0;
      for (int from = 0; from < batches.size(); from += perTask) {
        List<String> task = batches.subList(from, Math.min(batches.size(), from + perTask));
        examples += format.endsWith("/1") ? readFiles(task) : readPacked(task, conf);
      }
      double s = (System.nanoTime() - t0) / 1e9;
      System.out.printf(
          "{\"format\":\"%s\",\"rep\":%d,\"batches\":%d,\"pairs\":%d,\"bytes\":%d,\"seconds\":%.3f,"
              + "\"batchesPerSec\":%.1f,\"mbPerSec\":%.2f}%n",
          format, rep, batches.size(), examples, bytes, s, batches.size() / s, bytes / 1e6 / s);
    }
  }

  private static long readFiles(List<String> task) {
    long pairs = 0;
    var it = new PathSparkMultiDataSetIterator(task.iterator(), new SerializedMultiDataSetLoader(), null);
    while (it.hasNext()) {
      pairs += it.next().getFeatures(0).size(0);
    }
    return pairs;
  }

  private static long readPacked(List<String> task, Configuration conf) throws Exception {
    Class<?> c = Class.forName("org.sparknmt.prep.spark.PackedBatchReader");
    Object reader = c.getConstructor(Configuration.class).newInstance(conf);
    Method load = c.getMethod("load", String.class);
    long pairs = 0;
    try {
      for (String ref : task) {
        pairs += ((MultiDataSet) load.invoke(reader, ref)).getFeatures(0).size(0);
      }
    } finally {
      ((AutoCloseable) reader).close();
    }
    return pairs;
  }

  private static String text(FileSystem fs, Path p) throws Exception {
    try (var in = new BufferedReader(new InputStreamReader(fs.open(p), StandardCharsets.UTF_8))) {
      return String.join("\n", in.lines().toList());
    }
  }
}
