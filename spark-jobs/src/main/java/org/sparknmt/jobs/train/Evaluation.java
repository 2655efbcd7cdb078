package org.sparknmt.jobs.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.api.MultiDataSet;
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

  /**
   * sacreBLEU corpus BLEU and chrF of {@code hyps} against {@code refs} with their signatures and
   * the hypothesis/reference length ratio: the entries of every metrics.json (bundles and
   * EvaluateJob).
   */
  public static Map<String, Object> corpusScores(List<String> hyps, List<String> refs) {
    BleuScore bleu = Bleu.sacreBleu().corpusScoreSingleRef(hyps, refs);
    ChrfScore chrf = Chrf.sacreBleu().corpusScoreSingleRef(hyps, refs);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("bleu", bleu.score());
    m.put("bleuSignature", bleu.signature());
    m.put("bleuDetails", bleu.format());
    m.put("ratio", bleu.ratio()); // hypothesis/reference length (sys_len/ref_len, as sacreBLEU)
    m.put("chrf", chrf.score());
    m.put("chrfSignature", chrf.signature());
    return m;
  }
}
