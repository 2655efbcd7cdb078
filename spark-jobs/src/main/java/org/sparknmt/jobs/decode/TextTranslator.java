package org.sparknmt.jobs.decode;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.sparknmt.prep.bpe.BpeModel;
import org.sparknmt.prep.bpe.Vocabulary;

/**
 * Text in, text out: BPE-encodes normalised source sentences (appending {@code </s>}, as in
 * training), decodes them with the model's search in batches, and turns the output ids back into
 * text. Empty sources translate to empty lines; sources longer than {@code maxSourceTokens}
 * subwords are cut to that length (documented in the README) so decoding never fails.
 */
public final class TextTranslator {
  /** Makes a translator for a given model (e.g. each validation, each executor). */
  public interface Factory extends java.io.Serializable {
    TextTranslator create(ComputationGraph model);
  }

  private final BpeModel bpe;
  private final IdDecoder decoder;
  private final int batchSentences;
  private final int maxSourceTokens;

  /** Maps batches of source id sequences (each ending in {@code </s>}) to output ids. */
  public interface IdDecoder {
    List<int[]> decode(List<int[]> sources);
  }

  public TextTranslator(BpeModel bpe, IdDecoder decoder, int batchSentences, int maxSourceTokens) {
    this.bpe = bpe;
    this.decoder = decoder;
    this.batchSentences = batchSentences;
    this.maxSourceTokens = maxSourceTokens;
  }

  public List<String> translate(List<String> sources) {
    // Sort by length so each decoding batch pads little; restore input order at the end.
    Integer[] order = new Integer[sources.size()];
    List<int[]> ids = new ArrayList<>(sources.size());
    for (int i = 0; i < sources.size(); i++) {
      order[i] = i;
      ids.add(encode(sources.get(i)));
    }
    java.util.Arrays.sort(order, java.util.Comparator.comparingInt(i -> ids.get(i).length));
    String[] out = new String[sources.size()];
    List<Integer> batch = new ArrayList<>();
    for (int k = 0; k <= order.length; k++) {
      if (k < order.length && sources.get(order[k]).isEmpty()) {
        out[order[k]] = "";
        continue;
      }
      if (k < order.length) {
        batch.add(order[k]);
      }
      if (batch.size() == batchSentences || (k == order.length && !batch.isEmpty())) {
        List<int[]> src = new ArrayList<>(batch.size());
        for (int i : batch) {
          src.add(ids.get(i));
        }
        List<int[]> hyps = decoder.decode(src);
        for (int j = 0; j < batch.size(); j++) {
          out[batch.get(j)] = bpe.decode(hyps.get(j));
        }
        batch.clear();
      }
    }
    return java.util.Arrays.asList(out);
  }

  private int[] encode(String sentence) {
    int[] pieces = bpe.encode(sentence);
    int n = Math.min(pieces.length, maxSourceTokens - 1);
    int[] ids = new int[n + 1];
    System.arraycopy(pieces, 0, ids, 0, n);
    ids[n] = Vocabulary.EOS;
    return ids;
  }
}
