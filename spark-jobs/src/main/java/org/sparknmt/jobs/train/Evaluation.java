package org.sparknmt.jobs.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.sparknmt.jobs.decode.TextTranslator;
import org.sparknmt.model.metrics.Bleu;
import org.sparknmt.model.metrics.BleuScore;
import org.sparknmt.model.metrics.Chrf;
import org.sparknmt.model.metrics.ChrfScore;

/**
 * Scores a model on an evaluation set of a shard directory: loss per real target token over its
 * batches, and sacreBLEU BLEU and chrF (with signatures) of its decoded source text against the
 * references, all sentences in line order.
 */
public final class Evaluation {
  private Evaluation() {}

  /** The result, also the metrics.json entry of a bundle. */
  public record Result(
      String set,
      int sentences,
      double loss,
      double bleu,
      String bleuSignature,
      String bleuDetails,
      double chrf,
      String chrfSignature,
      double seconds,
      List<String> hypotheses) {
    public Map<String, Object> toMetrics() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("sentences", sentences);
      m.put("loss", loss);
      m.put("bleu", bleu);
      m.put("bleuSignature", bleuSignature);
      m.put("bleuDetails", bleuDetails);
      m.put("chrf", chrf);
      m.put("chrfSignature", chrfSignature);
      m.put("decodeSeconds", seconds);
      return m;
    }
  }

  /** Mean loss per real target token over {@code batches} (the loss layer averages per batch). */
  public static double loss(ComputationGraph model, List<MultiDataSet> batches) {
    double weighted = 0;
    double tokens = 0;
    for (MultiDataSet mds : batches) {
      double real = mds.getLabelsMaskArray(0).sumNumber().doubleValue();
      weighted += model.score(mds, false) * real;
      tokens += real;
    }
    return tokens == 0 ? Double.NaN : weighted / tokens;
  }

  public static Map<String, Object> score(
      ComputationGraph model, ShardSet shards, String set, TextTranslator.Factory translators) {
    return evaluate(model, shards, set, translators).toMetrics();
  }

  public static Result evaluate(
      ComputationGraph model, ShardSet shards, String set, TextTranslator.Factory translators) {
    double loss = loss(model, shards.loadBatches(set));
    List<String> sources = shards.sourceText(set);
    List<String> refs = shards.referenceText(set);
    long t0 = System.nanoTime();
    List<String> hyps = translators.create(model).translate(sources);
    double seconds = (System.nanoTime() - t0) / 1e9;
    BleuScore bleu = Bleu.sacreBleu().corpusScoreSingleRef(hyps, refs);
    ChrfScore chrf = Chrf.sacreBleu().corpusScoreSingleRef(hyps, refs);
    return new Result(
        set,
        sources.size(),
        loss,
        bleu.score(),
        bleu.signature(),
        bleu.format(),
        chrf.score(),
        chrf.signature(),
        seconds,
        hyps);
  }
}
