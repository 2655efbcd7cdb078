package org.sparknmt.jobs.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparknmt.jobs.UserError;
import org.sparknmt.jobs.store.HadoopFiles;

/**
 * The training report of a run, in a directory on any Hadoop URI:
 *
 * <pre>
 *   metrics.jsonl   one {@link MetricsRecord} per line (training splits and validations)
 *   loss.png        train and dev loss against the step
 *   lr.png          learning rate against the step
 *   dev.png         dev BLEU and chrF against the epoch
 *   index.html      the plots and a table of the final metrics
 * </pre>
 *
 * <p>{@link #at} reads the metrics a previous attempt of the run wrote, so a resumed run continues
 * them (after {@link #dropAfter} the resumed checkpoint's step). Each {@link #append} rewrites
 * {@code metrics.jsonl} through a temporary file and an atomic rename: Hadoop appends are not
 * supported everywhere (local checksummed files, object stores) and an HDFS file left open by a
 * killed driver stays locked for minutes. Plots are rendered to a local temporary directory by
 * JFreeChart (headless) and then copied, each file replaced atomically.
 */
public final class TrainingReport {
  public static final String METRICS = "metrics.jsonl";
  public static final String LOSS_PNG = "loss.png";
  public static final String LR_PNG = "lr.png";
  public static final String DEV_PNG = "dev.png";
  public static final String INDEX = "index.html";

  private static final Logger LOG = LoggerFactory.getLogger(TrainingReport.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private final Configuration conf;
  private final FileSystem fs;
  private final Path dir;
  private final List<MetricsRecord> records;

  private TrainingReport(Configuration conf, FileSystem fs, Path dir, List<MetricsRecord> records) {
    this.conf = conf;
    this.fs = fs;
    this.dir = dir;
    this.records = records;
  }

  /** The report in {@code dir}, with the metrics already written there (if any). */
  public static TrainingReport at(URI dir, Configuration conf) {
    FileSystem fs = HadoopFiles.fileSystem(dir, conf);
    Path path = HadoopFiles.qualified(fs, dir);
    Path metrics = new Path(path, METRICS);
    List<MetricsRecord> records = new ArrayList<>();
    try {
      if (fs.exists(metrics)) {
        String[] lines = HadoopFiles.readString(fs, metrics).split("\n");
        for (int i = 0; i < lines.length; i++) {
          if (!lines[i].isBlank()) {
            records.add(parse(lines[i], metrics, i + 1));
          }
        }
        LOG.info("continuing {} with {} records", metrics, records.size());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + metrics, e);
    }
    return new TrainingReport(conf, fs, path, records);
  }

  private static MetricsRecord parse(String line, Path file, int lineNo) {
    try {
      return JSON.readValue(line, MetricsRecord.class);
    } catch (JsonProcessingException e) {
      throw new UserError(
          file + " line " + lineNo + " is not a metrics record: " + e.getOriginalMessage(), e);
    }
  }

  public URI uri() {
    return dir.toUri();
  }

  /** The page that shows the plots (after {@link #render()}). */
  public URI indexUri() {
    return new Path(dir, INDEX).toUri();
  }

  /** All records so far, in the order they were appended. */
  public synchronized List<MetricsRecord> records() {
    return List.copyOf(records);
  }

  /** Adds a record and saves {@code metrics.jsonl}. */
  public synchronized void append(MetricsRecord record) {
    records.add(record);
    saveMetrics();
  }

  /**
   * Removes records after {@code step} (written after the checkpoint a run resumes from, so they
   * will be written again) and saves {@code metrics.jsonl}.
   *
   * @return how many records were removed
   */
  public synchronized int dropAfter(long step) {
    int before = records.size();
    records.removeIf(r -> r.step() > step);
    int dropped = before - records.size();
    if (dropped > 0) {
      LOG.info("dropped {} metrics records after step {}", dropped, step);
      saveMetrics();
    }
    return dropped;
  }

  private void saveMetrics() {
    StringBuilder sb = new StringBuilder();
    try {
      for (MetricsRecord r : records) {
        sb.append(JSON.writeValueAsString(r)).append('\n');
      }
      HadoopFiles.mkdirs(fs, dir);
      HadoopFiles.replaceWithString(fs, conf, new Path(dir, METRICS), sb.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + new Path(dir, METRICS), e);
    }
  }

  /** Renders the plots and {@code index.html} from the records so far; returns the page's URI. */
  public synchronized URI render() {
    long start = System.nanoTime();
    java.nio.file.Path local = null;
    try {
      local = Files.createTempDirectory("sparknmt-report-");
      Charts.savePng(Charts.loss(records), local.resolve(LOSS_PNG).toFile());
      Charts.savePng(Charts.learningRate(records), local.resolve(LR_PNG).toFile());
      Charts.savePng(Charts.devScores(records), local.resolve(DEV_PNG).toFile());
      Files.writeString(local.resolve(INDEX), html());
      HadoopFiles.mkdirs(fs, dir);
      for (String name : List.of(LOSS_PNG, LR_PNG, DEV_PNG, INDEX)) {
        Path target = new Path(dir, name);
        Path temp = HadoopFiles.tempSibling(target);
        try (InputStream in = Files.newInputStream(local.resolve(name))) {
          HadoopFiles.write(fs, temp, in);
          HadoopFiles.replace(conf, temp, target);
        } finally {
          fs.delete(temp, false);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot render the training report in " + dir, e);
    } finally {
      deleteLocal(local);
    }
    LOG.info(
        "training report {} rendered in {} ms",
        indexUri(),
        (System.nanoTime() - start) / 1_000_000);
    return indexUri();
  }

  private String html() {
    Optional<MetricsRecord> lastTrain = last(r -> r.loss());
    Optional<MetricsRecord> lastDev =
        records.stream().filter(MetricsRecord::isDev).reduce((a, b) -> b);
    Optional<MetricsRecord> bestBleu =
        records.stream()
            .filter(r -> r.devBleu() != null)
            .max(Comparator.comparingDouble(MetricsRecord::devBleu));
    StringBuilder rows = new StringBuilder();
    lastTrain.ifPresent(
        r -> {
          row(rows, "step", Long.toString(r.step()));
          row(rows, "epoch", Integer.toString(r.epoch() + 1));
          row(rows, "training loss", num(r.loss(), "%.4f"));
          row(rows, "learning rate", num(r.lr(), "%.3e"));
          row(rows, "target tokens/s", num(r.tokensPerSec(), "%.0f"));
          row(rows, "wall time", duration(r.wallTimeSec()));
        });
    lastDev.ifPresent(
        r -> {
          row(rows, "dev loss", num(r.devLoss(), "%.4f"));
          row(rows, "dev BLEU", num(r.devBleu(), "%.2f"));
          row(rows, "dev chrF", num(r.devChrf(), "%.2f"));
        });
    bestBleu.ifPresent(
        r ->
            row(
                rows,
                "best dev BLEU",
                num(r.devBleu(), "%.2f") + " (epoch " + (r.epoch() + 1) + ")"));
    if (rows.length() == 0) {
      row(rows, "records", "none yet");
    }
    return """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>Training report</title>
        <style>
        body { font-family: sans-serif; margin: 2em; }
        table { border-collapse: collapse; margin-bottom: 2em; }
        td, th { border: 1px solid #ccc; padding: 0.3em 0.8em; text-align: left; }
        img { display: block; margin-bottom: 2em; max-width: 100%%; }
        </style>
        </head>
        <body>
        <h1>Training report</h1>
        <p>%s &middot; %d records &middot; <a href="%s">%s</a></p>
        <h2>Final metrics</h2>
        <table>
        %s</table>
        <h2>Loss</h2>
        <img src="%s" alt="training and dev loss against step" width="%d" height="%d">
        <h2>Learning rate</h2>
        <img src="%s" alt="learning rate against step" width="%d" height="%d">
        <h2>Validation</h2>
        <img src="%s" alt="dev BLEU and chrF against epoch" width="%d" height="%d">
        </body>
        </html>
        """
        .formatted(
            escape(dir.toString()),
            records.size(),
            METRICS,
            METRICS,
            rows,
            LOSS_PNG,
            Charts.WIDTH,
            Charts.HEIGHT,
            LR_PNG,
            Charts.WIDTH,
            Charts.HEIGHT,
            DEV_PNG,
            Charts.WIDTH,
            Charts.HEIGHT);
  }

  private Optional<MetricsRecord> last(Function<MetricsRecord, Double> field) {
    return records.stream().filter(r -> field.apply(r) != null).reduce((a, b) -> b);
  }

  private static void row(StringBuilder sb, String name, String value) {
    sb.append("<tr><th>")
        .append(escape(name))
        .append("</th><td>")
        .append(escape(value))
        .append("</td></tr>\n");
  }

  private static String num(Double v, String format) {
    return v == null ? "-" : String.format(Locale.ROOT, format, v);
  }

  private static String duration(double seconds) {
    long s = Math.round(seconds);
    return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  }

  static String escape(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }

  private static void deleteLocal(java.nio.file.Path local) {
    if (local == null) {
      return;
    }
    try (var files = Files.list(local)) {
      for (java.nio.file.Path f : (Iterable<java.nio.file.Path>) files::iterator) {
        Files.deleteIfExists(f);
      }
      Files.deleteIfExists(local);
    } catch (IOException e) {
      LOG.warn("could not delete {}: {}", local, e.toString());
    }
  }
}
