/**
 * Translation quality metrics with sacreBLEU's exact definitions (version 2.6.0): corpus {@link
 * org.sparknmt.model.metrics.Bleu BLEU} (13a tokenizer, exp smoothing) and {@link
 * org.sparknmt.model.metrics.Chrf chrF} (character 6-grams, β = 2; chrF++ optional), each with the
 * sacreBLEU signature string to report next to the number. Sufficient statistics ({@link
 * org.sparknmt.model.metrics.BleuStats}, {@link org.sparknmt.model.metrics.ChrfStats}) are
 * additive, so a distributed evaluation can score partitions apart and sum them.
 *
 * <pre>{@code
 * BleuScore bleu = Bleu.sacreBleu().corpusScoreSingleRef(hypotheses, references);
 * ChrfScore chrf = Chrf.sacreBleu().corpusScoreSingleRef(hypotheses, references);
 * log.info("BLEU {} ({})", bleu.format(), bleu.signature());
 * }</pre>
 */
package org.sparknmt.model.metrics;
