package org.sparknmt.prep.bpe;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.GZIPInputStream;

/**
 * Benchmark main for {@code bench/bpe_bench.sh} (not a test): prepares the corpus, times BPE
 * learning and single-thread encoding, and prints one JSON object per measurement on stdout.
 *
 * <pre>
 * BpeBench prepare OUT.txt IN.gz...          NFC + whitespace-collapsed lines of all inputs
 * BpeBench learn CORPUS VOCAB MODEL_DIR RUNS  count words + learn, RUNS times; writes the model
 * BpeBench encode MODEL_DIR CORPUS RUNS       encode the file on one thread, RUNS passes
 * BpeBench roundtrip MODEL_DIR CORPUS         count lines where decode(encode(line)) differs
 * BpeBench memory CORPUS WORDS VOCAB          driver heap of WORDS distinct pre-tokens: the count
 *                                             map, and the peak while learning VOCAB from it
 * </pre>
 *
 * Every encode pass re-reads the model files (so the word cache starts empty, as on a fresh
 * executor), reads the corpus from disk and writes the ids as decimal text to a discarding stream,
 * like {@code spm_encode --output_format=id > /dev/null}. Times: wall seconds, CPU seconds of the
 * working thread ({@code cpu_s}) and of the whole JVM incl. JIT and GC ({@code proc_cpu_s}).
 */
public final class BpeBench {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
  private static final com.sun.management.OperatingSystemMXBean OS =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

  private BpeBench() {}

  public static void main(String[] args) throws IOException {
    switch (args[0]) {
      case "prepare" -> prepare(Path.of(args[1]), args);
      case "learn" ->
          learn(
              Path.of(args[1]),
              Integer.parseInt(args[2]),
              Path.of(args[3]),
              Integer.parseInt(args[4]));
      case "encode" -> encode(Path.of(args[1]), Path.of(args[2]), Integer.parseInt(args[3]));
      case "roundtrip" -> roundtrip(Path.of(args[1]), Path.of(args[2]));
      case "memory" ->
          memory(Path.of(args[1]), Integer.parseInt(args[2]), Integer.parseInt(args[3]));
      default -> throw new IllegalArgumentException("unknown mode " + args[0]);
    }
  }

  /** NFC, control characters dropped, whitespace runs to one space, trimmed. */
  static String normalize(String s) {
    String t = java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFC);
    StringBuilder sb = new StringBuilder(t.length());
    boolean space = false;
    for (int i = 0; i < t.length(); ) {
      int c = t.codePointAt(i);
      i += Character.charCount(c);
      if (Character.isWhitespace(c) || Character.isSpaceChar(c)) {
        space = sb.length() > 0;
      } else if (Character.getType(c) != Character.CONTROL) {
        if (space) {
          sb.append(' ');
          space = false;
        }
        sb.appendCodePoint(c);
      }
    }
    return sb.toString();
  }

  private static void prepare(Path out, String[] args) throws IOException {
    long lines = 0;
    try (Writer w = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
      for (int i = 2; i < args.length; i++) {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(Path.of(args[i])));
            BufferedReader r =
                new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
          for (String line; (line = r.readLine()) != null; lines++) {
            w.write(normalize(line));
            w.write('\n');
          }
        }
      }
    }
    System.out.printf(Locale.ROOT, "{\"prepared_lines\": %d}%n", lines);
  }

  private static void learn(Path corpus, int vocab, Path modelDir, int runs) throws IOException {
    BpeModel model = null;
    for (int run = 1; run <= runs; run++) {
      long w0 = System.nanoTime();
      long c0 = THREADS.getCurrentThreadCpuTime();
      long p0 = OS.getProcessCpuTime();
      List<String> lines = Files.readAllLines(corpus, StandardCharsets.UTF_8);
      Map<String, Long> counts = BpeLearner.countWords(lines);
      long w1 = System.nanoTime();
      model = BpeLearner.learn(counts, vocab);
      long w2 = System.nanoTime();
      long c2 = THREADS.getCurrentThreadCpuTime();
      long p2 = OS.getProcessCpuTime();
      System.out.printf(
          Locale.ROOT,
          "{\"label\": \"java_bpe_learn\", \"run\": %d, \"count_s\": %.3f, \"learn_s\": %.3f,"
              + " \"total_s\": %.3f, \"cpu_s\": %.3f, \"proc_cpu_s\": %.3f, \"words\": %d,"
              + " \"vocab\": %d}%n",
          run,
          (w1 - w0) / 1e9,
          (w2 - w1) / 1e9,
          (w2 - w0) / 1e9,
          (c2 - c0) / 1e9,
          (p2 - p0) / 1e9,
          counts.size(),
          model.vocabulary().size());
    }
    Files.createDirectories(modelDir);
    for (Map.Entry<String, String> f : model.toFiles().entrySet()) {
      Files.writeString(modelDir.resolve(f.getKey()), f.getValue(), StandardCharsets.UTF_8);
    }
    System.out.printf(
        Locale.ROOT, "{\"label\": \"java_bpe_model\", \"sha256\": \"%s\"}%n", model.sha256());
  }

  /**
   * Heap held by {@code words} distinct pre-tokens on the driver: the corpus's own words, then
   * variants of them (a frequent word plus 1-4 random letters, so lengths stay realistic) with
   * Zipf-like counts, until there are {@code words}. Reports the heap retained by the count map
   * (after a full GC) and the peak heap while learning from it (heap pools' peaks, summed).
   */
  private static void memory(Path corpus, int words, int vocab) throws IOException {
    List<String> base =
        new java.util.ArrayList<>(
            BpeLearner.countWords(Files.readAllLines(corpus, StandardCharsets.UTF_8)).keySet());
    java.util.Collections.sort(base);
    long before = usedAfterGc();
    java.util.HashMap<String, Long> counts = new java.util.HashMap<>();
    java.util.Random rnd = new java.util.Random(7);
    for (int rank = 1; counts.size() < words; rank++) {
      String w =
          rank <= base.size()
              ? base.get(rank - 1)
              : base.get((int) Math.min(base.size() - 1, Math.abs(rnd.nextGaussian()) * 2000))
                  + randomLetters(rnd, 1 + rnd.nextInt(4));
      counts.merge(w, Math.max(1L, 1_000_000L / rank), Long::sum);
    }
    long mapBytes = usedAfterGc() - before;
    for (java.lang.management.MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      pool.resetPeakUsage();
    }
    long w0 = System.nanoTime();
    BpeModel model = BpeLearner.learn(counts, vocab);
    double learnSeconds = (System.nanoTime() - w0) / 1e9;
    long peak = 0;
    for (java.lang.management.MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == java.lang.management.MemoryType.HEAP) {
        peak += pool.getPeakUsage().getUsed();
      }
    }
    System.out.printf(
        Locale.ROOT,
        "{\"label\": \"java_bpe_memory\", \"words\": %d, \"vocab\": %d, \"map_mb\": %.1f,"
            + " \"map_bytes_per_word\": %.0f, \"learn_peak_heap_mb\": %.1f, \"learn_s\": %.2f,"
            + " \"max_heap_mb\": %d}%n",
        counts.size(),
        model.vocabulary().size(),
        mapBytes / 1e6,
        (double) mapBytes / counts.size(),
        peak / 1e6,
        learnSeconds,
        Runtime.getRuntime().maxMemory() >> 20);
  }

  private static String randomLetters(java.util.Random rnd, int n) {
    StringBuilder sb = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      sb.append((char) ('a' + rnd.nextInt(26)));
    }
    return sb.toString();
  }

  private static long usedAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    Runtime rt = Runtime.getRuntime();
    return rt.totalMemory() - rt.freeMemory();
  }

  private static BpeModel load(Path modelDir) throws IOException {
    Map<String, String> files = new TreeMap<>();
    for (String name : List.of(BpeModel.VOCAB_FILE, BpeModel.MERGES_FILE)) {
      files.put(name, Files.readString(modelDir.resolve(name), StandardCharsets.UTF_8));
    }
    return BpeModel.fromFiles(files);
  }

  private static void roundtrip(Path modelDir, Path corpus) throws IOException {
    BpeModel model = load(modelDir);
    long lines = 0;
    long mismatches = 0;
    for (String line : Files.readAllLines(corpus, StandardCharsets.UTF_8)) {
      lines++;
      if (!line.equals(model.decode(model.encode(line)))) {
        mismatches++;
      }
    }
    System.out.printf(
        Locale.ROOT,
        "{\"label\": \"java_bpe_roundtrip\", \"lines\": %d, \"mismatches\": %d}%n",
        lines,
        mismatches);
  }

  private static void encode(Path modelDir, Path corpus, int runs) throws IOException {
    for (int run = 1; run <= runs; run++) {
      long w0 = System.nanoTime();
      long c0 = THREADS.getCurrentThreadCpuTime();
      long p0 = OS.getProcessCpuTime();
      BpeModel model = load(modelDir);
      long lines = 0;
      long tokens = 0;
      try (BufferedReader r = Files.newBufferedReader(corpus, StandardCharsets.UTF_8);
          Writer w =
              new BufferedWriter(
                  new OutputStreamWriter(OutputStream.nullOutputStream(), StandardCharsets.UTF_8),
                  1 << 16)) {
        for (String line; (line = r.readLine()) != null; lines++) {
          int[] ids = model.encode(line);
          tokens += ids.length;
          for (int i = 0; i < ids.length; i++) {
            if (i > 0) {
              w.write(' ');
            }
            w.write(Integer.toString(ids[i]));
          }
          w.write('\n');
        }
      }
      long w1 = System.nanoTime();
      long c1 = THREADS.getCurrentThreadCpuTime();
      long p1 = OS.getProcessCpuTime();
      System.out.printf(
          Locale.ROOT,
          "{\"label\": \"java_bpe_encode\", \"run\": %d, \"seconds\": %.3f, \"cpu_s\": %.3f,"
              + " \"proc_cpu_s\": %.3f,"
              + " \"lines_per_s\": %.1f, \"lines_per_cpu_s\": %.1f, \"lines\": %d,"
              + " \"tokens_per_line\": %.3f}%n",
          run,
          (w1 - w0) / 1e9,
          (c1 - c0) / 1e9,
          (p1 - p0) / 1e9,
          lines / ((w1 - w0) / 1e9),
          lines / ((c1 - c0) / 1e9),
          lines,
          (double) tokens / lines);
    }
  }
}
