package org.sparknmt.jobs.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaSparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparknmt.jobs.BuildInfo;
import org.sparknmt.jobs.config.Settings;
import org.sparknmt.jobs.decode.ClusterEvaluation;
import org.sparknmt.jobs.decode.DecodeSettings;
import org.sparknmt.jobs.gpu.StageResources;
import org.sparknmt.jobs.store.HadoopFiles;
import org.sparknmt.jobs.store.ModelBundle;
import org.sparknmt.jobs.store.ModelStore;
import org.sparknmt.prep.clean.Normalizer;

/**
 * The champion/challenger rule every training job applies before it publishes a model: the new
 * model (the challenger) and the current champion are scored on the same evaluation set with the
 * same decoding settings and metric signature (the champion is decoded again, with its own BPE, so
 * an earlier test set or decoding setting cannot flatter either); the challenger is promoted only
 * if it beats the champion by more than {@code sparknmt.promotion.min-improvement} points. A model
 * without a champion is promoted.
 *
 * <p>The decision is made before the challenger's bundle is written and travels inside it ({@code
 * decision.json}); {@link #apply} carries it out — moves the champion pointer and appends the
 * decision to the model's {@code history.jsonl} — and can be repeated after a crash without a
 * second effect.
 */
public final class Promotion {
  private static final Logger LOG = LoggerFactory.getLogger(Promotion.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  public static final String DECISION = "decision.json";
  public static final String HISTORY = "history.jsonl";

  private final String metric;
  private final double minImprovement;
  private final String evalSet;

  Promotion(String metric, double minImprovement, String evalSet) {
    this.metric = metric;
    this.minImprovement = minImprovement;
    this.evalSet = evalSet;
  }

  /** The rule as configured under {@code sparknmt.promotion}. */
  public static Promotion from(Settings s) {
    return new Promotion(
        s.choice("sparknmt.promotion.metric", "bleu", "chrf"),
        s.real("sparknmt.promotion.min-improvement", -100, 100),
        s.choice("sparknmt.promotion.eval-set", "test", "dev"));
  }

  public String evalSet() {
    return evalSet;
  }

  /**
   * Scores the champion of {@code name} (if any) on the evaluation set and decides.
   *
   * @param challengerMetrics the challenger's metrics per evaluation set (as in its bundle)
   * @param source the evaluation set's source text (null if the shards have none)
   * @param reference its reference text
   * @param context data hashes and anything else the record should carry (snapshot, run)
   * @param devices where the champion's decoding runs
   */
  public Decision decide(
      JavaSparkContext sc,
      DecodeSettings decode,
      Normalizer normalizer,
      ModelStore store,
      String name,
      Map<String, Map<String, Object>> challengerMetrics,
      URI source,
      URI reference,
      Map<String, Object> context,
      StageResources devices) {
    Optional<ModelBundle> champion = store.champion(name);
    Map<String, Object> challenger = challengerMetrics.get(evalSet);
    if (champion.isEmpty()) {
      return decision(name, null, score(challenger), null, true, "no champion yet", context);
    }
    String championVersion = champion.get().version();
    if (challenger == null || source == null) {
      return decision(
          name,
          championVersion,
          null,
          null,
          false,
          "no " + evalSet + " set in the shards to compare with the champion on",
          context);
    }
    sc.setJobGroup(
        "sparknmt-promotion",
        "decode the " + evalSet + " set with the champion " + championVersion,
        false);
    ClusterEvaluation eval =
        ClusterEvaluation.ofBundle(
            sc, decode, normalizer, champion.get(), source, reference, devices);
    double championScore = score(eval.metrics());
    double challengerScore = score(challenger);
    boolean promote = beats(challengerScore, championScore, minImprovement);
    String reason =
        String.format(
            "challenger %s %.2f %s champion %s %.2f + min-improvement %.2f",
            metric,
            challengerScore,
            promote ? ">" : "<=",
            championVersion,
            championScore,
            minImprovement);
    return decision(
        name, championVersion, challengerScore, championScore, promote, reason, context);
  }

  /**
   * The rule: strictly more than the champion's score plus the margin. A challenger that merely
   * equals the champion (e.g. trained for no step from it) is not promoted; a missing score never
   * wins.
   */
  static boolean beats(double challenger, double champion, double minImprovement) {
    return challenger > champion + minImprovement;
  }

  private double score(Map<String, Object> metrics) {
    Object v = metrics == null ? null : metrics.get(metric);
    return v instanceof Number n ? n.doubleValue() : Double.NaN;
  }

  private Decision decision(
      String name,
      String championVersion,
      Double challengerScore,
      Double championScore,
      boolean promote,
      String reason,
      Map<String, Object> context) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("model", name);
    d.put("promote", promote);
    d.put("reason", reason);
    d.put("metric", metric);
    d.put("evalSet", evalSet);
    d.put("minImprovement", minImprovement);
    d.put("challengerScore", challengerScore);
    d.put("champion", championVersion);
    d.put("championScore", championScore);
    d.put("decidedAt", Instant.now().toString());
    d.put("sparknmtVersion", BuildInfo.version());
    d.put("context", context);
    LOG.info("promotion of model {}: {} ({})", name, promote ? "promote" : "keep", reason);
    return new Decision(promote, reason, d);
  }

  /**
   * A decision: promote or keep, why, and the record written into the bundle.
   *
   * @param record JSON-serialisable: scores, margin, champion, context, versions
   */
  public record Decision(boolean promote, String reason, Map<String, Object> record) {}

  /**
   * Carries out the decision recorded in {@code bundle}, once: promotes it if the decision says so
   * and it is not the champion already, and appends the decision (with the version) to {@code
   * models/NAME/history.jsonl} unless a line for this version is there. Bundles written before
   * decisions existed have none: nothing happens.
   *
   * @return whether the bundle is (now) the champion
   */
  public static boolean apply(ModelStore store, ModelBundle bundle) {
    Optional<JsonNode> recorded = decisionOf(bundle);
    if (recorded.isEmpty()) {
      return store.championVersion(bundle.name()).map(bundle.version()::equals).orElse(false);
    }
    JsonNode d = recorded.get();
    boolean promote = d.path("promote").asBoolean();
    if (promote
        && !store.championVersion(bundle.name()).map(bundle.version()::equals).orElse(false)) {
      store.promote(bundle.name(), bundle.version());
    }
    appendHistory(store, bundle, d);
    return promote;
  }

  /** The decision recorded in a bundle, if any. */
  public static Optional<JsonNode> decisionOf(ModelBundle bundle) {
    if (!bundle.manifest().sums().containsKey(DECISION)) {
      return Optional.empty();
    }
    try {
      return Optional.of(JSON.readTree(bundle.readText(DECISION)));
    } catch (IOException e) {
      throw new UncheckedIOException("unreadable " + DECISION + " in " + bundle.uri(), e);
    }
  }

  private static void appendHistory(ModelStore store, ModelBundle bundle, JsonNode decision) {
    Path file = new Path(new Path(store.modelUri(bundle.name())), HISTORY);
    var fs = HadoopFiles.fileSystem(file.toUri(), store.conf());
    try {
      String old = fs.exists(file) ? HadoopFiles.readString(fs, file) : "";
      for (String line : old.lines().toList()) {
        if (!line.isBlank()
            && bundle.version().equals(JSON.readTree(line).path("version").asText())) {
          return; // recorded by an earlier attempt
        }
      }
      ObjectNode entry = JSON.createObjectNode();
      entry.put("version", bundle.version());
      entry.put("bundle", bundle.uri().toString());
      entry.setAll((ObjectNode) decision);
      // the model's lock is held: read, extend and atomically replace (HDFS append is optional)
      HadoopFiles.replaceWithString(
          fs, store.conf(), file, old + JSON.writeValueAsString(entry) + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot update " + file, e);
    }
  }
}
