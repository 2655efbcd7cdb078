package org.sparknmt.jobs.train;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.dataset.api.MultiDataSet;
import org.sparknmt.jobs.decode.TextTranslator;
import org.sparknmt.model.metrics.Bleu;
import org.sparknmt.model.metrics.BleuScore;
import org.sparknmt.model.metrics.Chrf;

/**
 * Validation on the driver: dev loss over the dev batches (weighted by real target tokens, so it is
 * the mean per token), and BLEU/chrF of the first {@code bleuSentences} dev sentences decoded with
 * the configured search and detokenised by the BPE model.
 */
public final class DevValidator implements Validator {
  private final List<MultiDataSet> batches;
  private final List<String> sources;
  private final List<String> references;
  private final TextTranslator.Factory translators;

  public DevValidator(
      List<MultiDataSet> batches,
      List<String> sources,
      List<String> references,
      int bleuSentences,
      TextTranslator.Factory translators) {
    this.batches = batches;
    int n = bleuSentences <= 0 ? sources.size() : Math.min(bleuSentences, sources.size());
    this.sources = List.copyOf(sources.subList(0, n));
    this.references = List.copyOf(references.subList(0, n));
    this.translators = translators;
  }

  @Override
  public Scores validate(ComputationGraph model) {
    double loss = Evaluation.loss(model, batches);
    if (sources.isEmpty()) {
      return new Scores(loss, null, null, null);
    }
    List<String> hyps = new ArrayList<>(translators.create(model).translate(sources));
    BleuScore bleu = Bleu.sacreBleu().corpusScoreSingleRef(hyps, references);
    double chrf = Chrf.sacreBleu().corpusScoreSingleRef(hyps, references).score();
    return new Scores(loss, bleu.score(), chrf, bleu.ratio());
  }
}
