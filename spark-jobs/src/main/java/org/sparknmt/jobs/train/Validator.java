package org.sparknmt.jobs.train;

import org.deeplearning4j.nn.graph.ComputationGraph;

/** Scores the model on the dev set during training (dev loss; BLEU and chrF if it decodes). */
public interface Validator {
  /**
   * @param loss mean label-smoothed cross-entropy per real dev target token
   * @param bleu sacreBLEU BLEU of decoded dev sentences, or null if not computed
   * @param chrf sacreBLEU chrF, or null
   * @param ratio hypothesis/reference length (BLEU's sys_len/ref_len), or null
   */
  record Scores(double loss, Double bleu, Double chrf, Double ratio) {}

  Scores validate(ComputationGraph model);
}
