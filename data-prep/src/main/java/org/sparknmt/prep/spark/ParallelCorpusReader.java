package org.sparknmt.prep.spark;

import java.io.IOException;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.io.LongWritable;
import org.apache.hadoop.io.Text;
import org.apache.hadoop.mapreduce.InputSplit;
import org.apache.hadoop.mapreduce.lib.input.FileSplit;
import org.apache.hadoop.mapreduce.lib.input.TextInputFormat;
import org.apache.hadoop.util.StringUtils;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaNewHadoopRDD;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.storage.StorageLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparknmt.prep.InputError;
import org.sparknmt.prep.clean.PairRecord;
import org.sparknmt.prep.clean.RejectReason;
import scala.Tuple2;

/**
 * Reads a parallel corpus — two line-aligned inputs, or one TSV of {@code source<TAB>target} — from
 * any Hadoop URI into {@link PairRecord}s that carry their 1-based line number.
 *
 * <p>Alignment never depends on partitioning: each side's lines are numbered globally with {@code
 * zipWithIndex} (files in name order, splits in offset order) and the two sides are joined on that
 * number. Lines end at {@code \n} only (a trailing {@code \r} is dropped), so numbering agrees with
 * {@code wc -l}; plain and compressed (e.g. {@code .gz}) files both work.
 *
 * <p>Bytes are decoded here with a strict UTF-8 decoder. All validation (existence, emptiness,
 * equal line counts, UTF-8, TSV shape) happens before anything is returned, so callers write no
 * output for bad input. Invalid lines are either an {@link InputError} naming the file and line, or
 * — with {@link InvalidLines#REJECT} — pairs rejected with {@link RejectReason#INVALID_UTF8} /
 * {@link RejectReason#MALFORMED_TSV} (their text decoded with U+FFFD replacements).
 */
public final class ParallelCorpusReader {
  private static final Logger LOG = LoggerFactory.getLogger(ParallelCorpusReader.class);

  /** At most this many pairs per partition of a read corpus (see {@link #partitions}). */
  static final long PAIRS_PER_PARTITION = 250_000;

  /** What to do with a line that is not valid UTF-8 (or, in a TSV, has no single tab). */
  public enum InvalidLines {
    ERROR,
    REJECT
  }

  /**
   * A read corpus: the pairs (not yet cached) and what the input was.
   *
   * @param pairs one record per input line, rejected only for invalid lines
   * @param lines number of lines (pairs)
   * @param files the data files read, source side first
   * @param fileLines line count of each of {@code files}
   * @param cached the cached per-side RDDs {@code pairs} is computed from
   */
  public record Corpus(
      JavaRDD<PairRecord> pairs,
      long lines,
      List<String> files,
      List<Long> fileLines,
      List<JavaPairRDD<Long, SideLine>> cached) {
    /** Drops the cached input lines (call once {@code pairs} has been materialised). */
    public void release() {
      cached.forEach(r -> r.unpersist(false));
    }
  }

  private final JavaSparkContext jsc;
  private final InvalidLines invalidLines;

  public ParallelCorpusReader(JavaSparkContext jsc, InvalidLines invalidLines) {
    this.jsc = jsc;
    this.invalidLines = invalidLines;
  }

  /** Reads two line-aligned inputs (files or directories of part files). */
  public Corpus read(String source, String target) {
    List<String> srcFiles = InputFiles.resolve(source, jsc.hadoopConfiguration());
    List<String> tgtFiles = InputFiles.resolve(target, jsc.hadoopConfiguration());
    Side src = readSide(source, srcFiles, false);
    Side tgt = readSide(target, tgtFiles, false);
    try {
      if (src.stats.lines != tgt.stats.lines) {
        throw new InputError(
            "line counts differ: "
                + source
                + " has "
                + src.stats.lines
                + " lines, "
                + target
                + " has "
                + tgt.stats.lines
                + " lines");
      }
      if (src.stats.lines == 0) {
        throw new InputError("input is empty: " + source + " and " + target + " have no lines");
      }
      if (invalidLines == InvalidLines.ERROR) {
        src.failOnInvalid();
        tgt.failOnInvalid();
      }
    } catch (RuntimeException e) {
      src.lines.unpersist(false);
      tgt.lines.unpersist(false);
      throw e;
    }
    JavaRDD<PairRecord> pairs =
        src.lines
            .join(tgt.lines, partitions(src.lines.getNumPartitions(), src.stats.lines))
            .map(
                e -> {
                  SideLine s = e._2._1;
                  SideLine t = e._2._2;
                  RejectReason r = s.reason != null ? s.reason : t.reason;
                  return new PairRecord(e._1 + 1, s.text, t.text, r);
                });
    List<String> files = new ArrayList<>(srcFiles);
    files.addAll(tgtFiles);
    List<Long> fileLines = new ArrayList<>(src.stats.fileLines(srcFiles.size()));
    fileLines.addAll(tgt.stats.fileLines(tgtFiles.size()));
    return new Corpus(pairs, src.stats.lines, files, fileLines, List.of(src.lines, tgt.lines));
  }

  /**
   * The lines of one monolingual input (e.g. text to translate), keyed by 0-based line number in
   * input order.
   *
   * @param lines line number → text; an invalid line (only with {@link InvalidLines#REJECT}) is the
   *     empty string, so that line numbers and the output stay aligned with the input
   * @param count number of lines
   * @param invalid number of lines that were not valid UTF-8
   * @param cached the cached RDD {@code lines} is computed from
   */
  public record TextLines(
      JavaPairRDD<Long, String> lines,
      long count,
      long invalid,
      JavaPairRDD<Long, SideLine> cached) {
    /** Drops the cached input lines (call once {@code lines} has been materialised). */
    public void release() {
      cached.unpersist(false);
    }
  }

  /**
   * Reads one text input (a file or a directory of part files) with the same strict UTF-8 check as
   * a corpus side: an invalid line is an {@link InputError} naming the file and line, or, with
   * {@link InvalidLines#REJECT}, an empty line. An empty input is allowed (no lines).
   */
  public TextLines readText(String input) {
    List<String> files = InputFiles.resolve(input, jsc.hadoopConfiguration());
    Side side = readSide(input, files, false);
    try {
      if (invalidLines == InvalidLines.ERROR) {
        side.failOnInvalid();
      }
    } catch (RuntimeException e) {
      side.lines.unpersist(false);
      throw e;
    }
    JavaPairRDD<Long, String> lines = side.lines.mapValues(l -> l.reason == null ? l.text : "");
    return new TextLines(lines, side.stats.lines, side.stats.invalid, side.lines);
  }

  /** Reads one TSV input whose lines are {@code source<TAB>target}. */
  public Corpus readTsv(String tsv) {
    List<String> files = InputFiles.resolve(tsv, jsc.hadoopConfiguration());
    Side side = readSide(tsv, files, true);
    try {
      if (side.stats.lines == 0) {
        throw new InputError("input is empty: " + tsv + " has no lines");
      }
      if (invalidLines == InvalidLines.ERROR) {
        side.failOnInvalid();
      }
    } catch (RuntimeException e) {
      side.lines.unpersist(false);
      throw e;
    }
    int partitions = partitions(side.lines.getNumPartitions(), side.stats.lines);
    JavaPairRDD<Long, SideLine> spread =
        partitions > side.lines.getNumPartitions()
            ? side.lines.partitionBy(new HashPartitioner(partitions))
            : side.lines;
    JavaRDD<PairRecord> pairs =
        spread.map(
            e -> {
              SideLine l = e._2;
              if (l.reason != null) {
                return new PairRecord(e._1 + 1, l.text, "", l.reason);
              }
              int tab = l.text.indexOf('\t');
              return new PairRecord(
                  e._1 + 1, l.text.substring(0, tab), l.text.substring(tab + 1), null);
            });
    return new Corpus(
        pairs, side.stats.lines, files, side.stats.fileLines(files.size()), List.of(side.lines));
  }

  /**
   * Partitions of the pairs read: at least the input's splits and the default parallelism, and at
   * most {@link #PAIRS_PER_PARTITION} pairs in each, so that a corpus in one large compressed file
   * is cleaned in parallel and the duplicate filter, which groups the pairs in as many partitions,
   * holds a bounded number of them per task.
   */
  private int partitions(int inputPartitions, long lines) {
    long bySize = (lines + PAIRS_PER_PARTITION - 1) / PAIRS_PER_PARTITION;
    return (int) Math.max(Math.max(jsc.defaultParallelism(), inputPartitions), bySize);
  }

  /** One side: its lines keyed by 0-based global line number (cached) and their statistics. */
  private final class Side {
    final String input;
    final List<String> files;
    final JavaPairRDD<Long, SideLine> lines;
    final Stats stats;

    Side(String input, List<String> files, JavaPairRDD<Long, SideLine> lines, Stats stats) {
      this.input = input;
      this.files = files;
      this.lines = lines;
      this.stats = stats;
    }

    void failOnInvalid() {
      if (stats.invalid == 0) {
        return;
      }
      long global = stats.firstInvalid;
      int file = stats.firstInvalidFile;
      long before = 0;
      for (int f = 0; f < file; f++) {
        before += stats.fileLines.getOrDefault(f, 0L);
      }
      throw new InputError(
          files.get(file)
              + " line "
              + (global - before + 1)
              + (stats.firstInvalidReason == RejectReason.MALFORMED_TSV
                  ? " is not 'source<TAB>target' (needs exactly one tab)"
                  : " is not valid UTF-8")
              + " ("
              + stats.invalid
              + " such line(s) in "
              + input
              + "; configure invalid lines to be rejected to skip them)");
    }
  }

  private Side readSide(String input, List<String> files, boolean tsv) {
    Configuration conf = new Configuration(jsc.hadoopConfiguration());
    conf.set("textinputformat.record.delimiter", "\n");
    List<String> escaped = new ArrayList<>();
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < files.size(); i++) {
      escaped.add(StringUtils.escapeString(files.get(i)));
      index.put(files.get(i), i);
    }
    @SuppressWarnings("unchecked")
    JavaNewHadoopRDD<LongWritable, Text> raw =
        (JavaNewHadoopRDD<LongWritable, Text>)
            jsc.newAPIHadoopFile(
                String.join(",", escaped),
                TextInputFormat.class,
                LongWritable.class,
                Text.class,
                conf);
    JavaRDD<SideLine> decoded =
        raw.mapPartitionsWithInputSplit((split, it) -> decode(split, it, index, tsv), true);
    JavaPairRDD<Long, SideLine> lines =
        decoded.zipWithIndex().mapToPair(Tuple2::swap).persist(StorageLevel.MEMORY_AND_DISK());
    Stats stats;
    try {
      stats =
          lines.mapPartitions(ParallelCorpusReader::partitionStats).fold(new Stats(), Stats::merge);
    } catch (Exception e) { // Spark rethrows task failures as the checked SparkException
      lines.unpersist(false);
      IOException io = ioCause(e);
      if (io != null) {
        throw new InputError("cannot read input " + input + ": " + io.getMessage(), e);
      }
      if (e instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException("reading " + input + " failed", e);
    }
    LOG.info(
        "read {}: {} file(s), {} lines, {} invalid, {} partitions",
        input,
        files.size(),
        stats.lines,
        stats.invalid,
        lines.getNumPartitions());
    return new Side(input, files, lines, stats);
  }

  private static IOException ioCause(Throwable e) {
    for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
      if (t instanceof IOException io) {
        return io;
      }
    }
    return null;
  }

  private static Iterator<SideLine> decode(
      InputSplit split,
      Iterator<Tuple2<LongWritable, Text>> it,
      Map<String, Integer> index,
      boolean tsv) {
    String path = ((FileSplit) split).getPath().toString();
    Integer f = index.get(path);
    if (f == null) {
      throw new IllegalStateException(
          "split of unexpected file " + path + " (known: " + index.keySet() + ")");
    }
    int file = f;
    CharsetDecoder strict =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return it.hasNext();
      }

      @Override
      public SideLine next() {
        Text t = it.next()._2;
        int len = t.getLength();
        byte[] b = t.getBytes();
        if (len > 0 && b[len - 1] == '\r') {
          len--;
        }
        ByteBuffer buf = ByteBuffer.wrap(b, 0, len);
        String text;
        try {
          text = strict.reset().decode(buf).toString();
        } catch (CharacterCodingException e) {
          return new SideLine(
              file, new String(b, 0, len, StandardCharsets.UTF_8), RejectReason.INVALID_UTF8);
        }
        if (tsv) {
          int tab = text.indexOf('\t');
          if (tab < 0 || text.indexOf('\t', tab + 1) >= 0) {
            return new SideLine(file, text, RejectReason.MALFORMED_TSV);
          }
        }
        return new SideLine(file, text, null);
      }
    };
  }

  private static Iterator<Stats> partitionStats(Iterator<Tuple2<Long, SideLine>> it) {
    Stats s = new Stats();
    while (it.hasNext()) {
      Tuple2<Long, SideLine> e = it.next();
      s.lines++;
      s.fileLines.merge(e._2.file, 1L, Long::sum);
      if (e._2.reason != null && (s.invalid++ == 0 || e._1 < s.firstInvalid)) {
        s.firstInvalid = e._1;
        s.firstInvalidFile = e._2.file;
        s.firstInvalidReason = e._2.reason;
      }
    }
    return List.of(s).iterator();
  }

  /** One decoded line: the index of its file, its text, and why it is invalid (null = valid). */
  public static final class SideLine implements Serializable {
    private static final long serialVersionUID = 1L;
    int file;
    String text;
    RejectReason reason;

    SideLine(int file, String text, RejectReason reason) {
      this.file = file;
      this.text = text;
      this.reason = reason;
    }
  }

  /** Line counts per file and the first invalid line of one side. */
  static final class Stats implements Serializable {
    private static final long serialVersionUID = 1L;
    long lines;
    long invalid;
    long firstInvalid = Long.MAX_VALUE;
    int firstInvalidFile = -1;
    RejectReason firstInvalidReason;
    HashMap<Integer, Long> fileLines = new HashMap<>();

    Stats merge(Stats o) {
      Stats m = new Stats();
      m.lines = lines + o.lines;
      m.invalid = invalid + o.invalid;
      boolean mine = invalid > 0 && (o.invalid == 0 || firstInvalid <= o.firstInvalid);
      Stats first = mine ? this : o;
      m.firstInvalid = first.firstInvalid;
      m.firstInvalidFile = first.firstInvalidFile;
      m.firstInvalidReason = first.firstInvalidReason;
      m.fileLines.putAll(fileLines);
      o.fileLines.forEach((k, v) -> m.fileLines.merge(k, v, Long::sum));
      return m;
    }

    List<Long> fileLines(int files) {
      List<Long> out = new ArrayList<>();
      for (int i = 0; i < files; i++) {
        out.add(fileLines.getOrDefault(i, 0L));
      }
      return out;
    }
  }
}
