package org.sparknmt.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.LogSoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.sparknmt.model.layers.AttentionSublayerImpl;
import org.sparknmt.model.layers.SequenceLossLayerImpl;
import org.sparknmt.model.layers.TokenEmbeddingImpl;
import org.sparknmt.model.layers.TransformerVertexImpl;

/**
 * Batched greedy and beam-search decoding with a trained Transformer graph from {@link
 * TransformerFactory}, using the graph's own parameters and kernels outside the graph:
 *
 * <ul>
 *   <li>the encoder runs once per batch; each decoder layer's encoder-decoder keys/values are
 *       projected once;
 *   <li>decoder self-attention keys/values are cached, so step t computes only the newest position
 *       (O(t) attention per step instead of re-running the decoder over the whole prefix);
 *   <li>beam search (Wu et al. 2016 length penalty lp(Y) = ((5 + |Y|)/6)^α; the paper uses beam 4,
 *       α 0.6) keeps k live hypotheses per sentence, moves finished ones aside when they emit
 *       {@code </s>} (only when it ranks among the top k candidates, as in fairseq), and stops a
 *       sentence once it has k finished hypotheses and the best live one, length-normalised at the
 *       current length, cannot beat the best finished one (Hugging Face's rule), or at its maximum
 *       length (source length + {@code maxExtra}, at most {@link ModelConfig#maxLength()}).
 * </ul>
 *
 * Sources are token ids x1..xm, with or without the trailing {@code </s>} (added when missing);
 * results are y1..yn without {@code <s>}/{@code </s>}. Not thread-safe (one instance per thread).
 */
public final class Translator {
  public static final int PAD = 0;
  public static final int BOS = 1;
  public static final int EOS = 2;

  private final ModelConfig cfg;
  private final TokenEmbeddingImpl srcEmbed;
  private final TokenEmbeddingImpl tgtEmbed;
  private final List<TransformerVertexImpl> encoder = new ArrayList<>();
  private final TransformerVertexImpl encoderNorm;
  private final List<AttentionSublayerImpl> selfAtt = new ArrayList<>();
  private final List<AttentionSublayerImpl> crossAtt = new ArrayList<>();
  private final List<TransformerVertexImpl> ffn = new ArrayList<>();
  private final TransformerVertexImpl decoderNorm;
  private final SequenceLossLayerImpl generator;
  private final DataType type;

  /**
   * @param graph a graph built by {@link TransformerFactory} for {@code cfg} (or restored)
   */
  public Translator(ComputationGraph graph, ModelConfig cfg) {
    this.cfg = cfg;
    this.srcEmbed = (TokenEmbeddingImpl) graph.getVertex(TransformerFactory.SOURCE_EMBEDDING);
    this.tgtEmbed = (TokenEmbeddingImpl) graph.getVertex(TransformerFactory.TARGET_EMBEDDING);
    for (int i = 0; i < cfg.encoderLayers(); i++) {
      encoder.add((TransformerVertexImpl) graph.getVertex(TransformerFactory.encoder(i, "self")));
      encoder.add((TransformerVertexImpl) graph.getVertex(TransformerFactory.encoder(i, "ffn")));
    }
    for (int i = 0; i < cfg.decoderLayers(); i++) {
      selfAtt.add((AttentionSublayerImpl) graph.getVertex(TransformerFactory.decoder(i, "self")));
      crossAtt.add((AttentionSublayerImpl) graph.getVertex(TransformerFactory.decoder(i, "cross")));
      ffn.add((TransformerVertexImpl) graph.getVertex(TransformerFactory.decoder(i, "ffn")));
    }
    this.encoderNorm =
        cfg.preNorm()
            ? (TransformerVertexImpl) graph.getVertex(TransformerFactory.ENCODER_NORM)
            : null;
    this.decoderNorm =
        cfg.preNorm()
            ? (TransformerVertexImpl) graph.getVertex(TransformerFactory.DECODER_NORM)
            : null;
    this.generator = (SequenceLossLayerImpl) graph.getLayer(TransformerFactory.OUTPUT);
    this.type = generator.embeddingMatrix().dataType();
  }

  /** Greedy decoding with max length = source length + 50. */
  public List<int[]> greedy(List<int[]> srcIds) {
    return greedy(srcIds, 50);
  }

  /** Greedy decoding: the most probable token at each step. */
  public List<int[]> greedy(List<int[]> srcIds, int maxExtra) {
    return beam(srcIds, 1, 0.0, maxExtra);
  }

  /**
   * Beam search.
   *
   * @param k beam size (1 = greedy)
   * @param alpha length-penalty exponent α (0 = no normalisation)
   * @param maxExtra output length limit = source length (with {@code </s>}) + maxExtra
   */
  public List<int[]> beam(List<int[]> srcIds, int k, double alpha, int maxExtra) {
    if (k < 1) {
      throw new IllegalArgumentException("beam size must be >= 1, got " + k);
    }
    List<int[]> out = new ArrayList<>(srcIds.size());
    if (srcIds.isEmpty()) {
      return out;
    }
    int b = srcIds.size();
    int[][] src = new int[b][];
    int s = 0;
    for (int i = 0; i < b; i++) {
      int[] x = srcIds.get(i);
      src[i] = x.length > 0 && x[x.length - 1] == EOS ? x : append(x, EOS);
      s = Math.max(s, src[i].length);
    }
    if (s > cfg.maxLength()) {
      throw new IllegalArgumentException(
          "source of " + s + " tokens exceeds maxLength " + cfg.maxLength());
    }
    // encoder, once per batch; every sentence repeated k times (row = sentence·k + beam)
    int rows = b * k;
    int[] flat = new int[rows * s];
    INDArray srcMask = Nd4j.zeros(type, rows, s);
    int[] maxLen = new int[b];
    for (int i = 0; i < b; i++) {
      maxLen[i] = Math.min(src[i].length + maxExtra, cfg.maxLength() - 1);
      for (int j = 0; j < k; j++) {
        int r = i * k + j;
        System.arraycopy(src[i], 0, flat, r * s, src[i].length);
        for (int t = 0; t < src[i].length; t++) {
          srcMask.putScalar(r, t, 1.0);
        }
      }
    }
    INDArray memory = encode(flat, rows, s, srcMask);
    INDArray[][] memKv = new INDArray[crossAtt.size()][];
    INDArray[][] selfKv = new INDArray[selfAtt.size()][];
    for (int l = 0; l < crossAtt.size(); l++) {
      memKv[l] = crossAtt.get(l).memoryKeyValues(memory);
      selfKv[l] = new INDArray[2];
    }

    Search search = new Search(b, k, alpha, maxLen);
    int[] last = new int[rows];
    Arrays.fill(last, BOS);
    for (int t = 0; !search.allDone(); t++) {
      INDArray logp = stepLogProbs(last, t, selfKv, memKv, srcMask);
      int[] origin = search.advance(t, logp.toDoubleMatrix(), last);
      if (!search.allDone() && k > 1) {
        for (INDArray[] kv : selfKv) {
          kv[0] = reorder(kv[0], origin);
          kv[1] = reorder(kv[1], origin);
        }
      }
    }
    for (int i = 0; i < b; i++) {
      out.add(search.best(i));
    }
    return out;
  }

  /** Encoder output [B, S, d_model] for padded ids [B·S] and mask [B, S]. */
  INDArray encode(int[] flatIds, long b, long s, INDArray srcMask) {
    INDArray x = srcEmbed.embed(flatIds, b, s, 0);
    INDArray[] masks = {srcMask};
    for (TransformerVertexImpl v : encoder) {
      x = v.infer(new INDArray[] {x}, masks);
    }
    return encoderNorm == null ? x : encoderNorm.infer(new INDArray[] {x}, masks);
  }

  /** Log-probabilities [rows, V] of the next token given the last token at position t. */
  INDArray stepLogProbs(
      int[] lastTokens, int t, INDArray[][] selfKv, INDArray[][] memKv, INDArray srcMask) {
    long rows = lastTokens.length;
    INDArray y = tgtEmbed.embed(lastTokens, rows, 1, t);
    for (int l = 0; l < selfAtt.size(); l++) {
      y = selfAtt.get(l).step(y, selfKv[l], null);
      y = crossAtt.get(l).step(y, memKv[l], srcMask);
      y = ffn.get(l).infer(new INDArray[] {y}, null);
    }
    if (decoderNorm != null) {
      y = decoderNorm.infer(new INDArray[] {y}, null);
    }
    INDArray logits = generator.logits(y.reshape('c', rows, cfg.dModel()));
    return Nd4j.exec(new LogSoftMax(logits, 1))[0];
  }

  /**
   * Teacher-forced incremental decoding (for tests): log-probabilities [T, V] of one sentence pair
   * computed step by step with the caches, to compare with the full graph.
   */
  INDArray forcedLogProbs(int[] src, int[] decoderInput) {
    INDArray mask = Nd4j.ones(type, 1, src.length);
    INDArray memory = encode(src, 1, src.length, mask);
    INDArray[][] memKv = new INDArray[crossAtt.size()][];
    INDArray[][] selfKv = new INDArray[selfAtt.size()][];
    for (int l = 0; l < crossAtt.size(); l++) {
      memKv[l] = crossAtt.get(l).memoryKeyValues(memory);
      selfKv[l] = new INDArray[2];
    }
    INDArray out = Nd4j.create(type, decoderInput.length, cfg.vocabSize());
    for (int t = 0; t < decoderInput.length; t++) {
      out.putRow(t, stepLogProbs(new int[] {decoderInput[t]}, t, selfKv, memKv, mask).reshape(-1));
    }
    return out;
  }

  /** Cache rows [rows·h, t, d_k] reordered so that row r takes the rows of origin[r]. */
  private INDArray reorder(INDArray cache, int[] origin) {
    int h = cfg.heads();
    long t = cache.size(1);
    long dk = cache.size(2);
    int[] idx = new int[origin.length * h];
    for (int r = 0; r < origin.length; r++) {
      for (int j = 0; j < h; j++) {
        idx[r * h + j] = origin[r] * h + j;
      }
    }
    INDArray flat = cache.reshape('c', cache.size(0), t * dk);
    return Nd4j.pullRows(flat, 1, idx).reshape('c', idx.length, t, dk);
  }

  private static int[] append(int[] x, int v) {
    int[] y = Arrays.copyOf(x, x.length + 1);
    y[x.length] = v;
    return y;
  }

  /** Bookkeeping of beam search over B sentences × k beams (row = sentence·k + beam). */
  private static final class Search {
    private final int b;
    private final int k;
    private final double alpha;
    private final int[] maxLen;
    private final double[] score; // cumulative log-probability per row
    private final int[][] tokens; // tokens per row (without <s>)
    private final List<List<double[]>> finishedScores = new ArrayList<>();
    private final List<List<int[]>> finished = new ArrayList<>();
    private final boolean[] done;

    Search(int b, int k, double alpha, int[] maxLen) {
      this.b = b;
      this.k = k;
      this.alpha = alpha;
      this.maxLen = maxLen;
      this.score = new double[b * k];
      this.tokens = new int[b * k][0];
      this.done = new boolean[b];
      for (int i = 0; i < b; i++) {
        finished.add(new ArrayList<>());
        finishedScores.add(new ArrayList<>());
        for (int j = 1; j < k; j++) {
          score[i * k + j] = Double.NEGATIVE_INFINITY; // only beam 0 is live at step 0
        }
      }
    }

    double penalty(int length) {
      return alpha == 0 ? 1.0 : Math.pow((5.0 + length) / 6.0, alpha);
    }

    boolean allDone() {
      for (boolean d : done) {
        if (!d) {
          return false;
        }
      }
      return true;
    }

    /**
     * Extends every live sentence by one token; returns for each row the row it continues from and
     * writes the new last tokens into {@code last}.
     */
    int[] advance(int t, double[][] logp, int[] last) {
      int v = logp[0].length;
      int[] origin = new int[b * k];
      int[][] newTokens = new int[b * k][];
      double[] newScore = new double[b * k];
      for (int i = 0; i < b; i++) {
        if (done[i]) {
          for (int j = 0; j < k; j++) {
            origin[i * k + j] = i * k + j;
            newTokens[i * k + j] = tokens[i * k + j];
            newScore[i * k + j] = Double.NEGATIVE_INFINITY;
          }
          continue;
        }
        boolean lastStep = t + 1 >= maxLen[i];
        // top 2k candidates over (beam, token)
        int want = 2 * k;
        double[] bestS = new double[want];
        int[] bestRow = new int[want];
        int[] bestTok = new int[want];
        Arrays.fill(bestS, Double.NEGATIVE_INFINITY);
        Arrays.fill(bestRow, -1);
        for (int j = 0; j < k; j++) {
          int r = i * k + j;
          if (score[r] == Double.NEGATIVE_INFINITY) {
            continue;
          }
          for (int w = 0; w < v; w++) {
            if (w == PAD || w == BOS) {
              continue;
            }
            double c = score[r] + logp[r][w];
            if (c > bestS[want - 1]) {
              int pos = want - 1;
              while (pos > 0 && bestS[pos - 1] < c) {
                bestS[pos] = bestS[pos - 1];
                bestRow[pos] = bestRow[pos - 1];
                bestTok[pos] = bestTok[pos - 1];
                pos--;
              }
              bestS[pos] = c;
              bestRow[pos] = r;
              bestTok[pos] = w;
            }
          }
        }
        int live = 0;
        for (int c = 0; c < want && live < k; c++) {
          if (bestRow[c] < 0) {
            break;
          }
          int[] seq = tokens[bestRow[c]];
          if (bestTok[c] == EOS || lastStep) {
            // as in fairseq: an </s> candidate only finishes a hypothesis when it ranks among the
            // top k candidates
            if (c < k || lastStep) {
              int[] hyp = bestTok[c] == EOS ? seq : append(seq, bestTok[c]);
              addFinished(i, hyp, bestS[c] / penalty(hyp.length + 1));
            }
            continue;
          }
          int r = i * k + live;
          origin[r] = bestRow[c];
          newTokens[r] = append(seq, bestTok[c]);
          newScore[r] = bestS[c];
          live++;
        }
        for (int j = live; j < k; j++) {
          int r = i * k + j;
          origin[r] = i * k;
          newTokens[r] = tokens[i * k];
          newScore[r] = Double.NEGATIVE_INFINITY;
        }
        // done when the best live hypothesis cannot beat the best finished one
        // (Hugging Face's rule: best live score normalised at the current length)
        double bestLive = live == 0 ? Double.NEGATIVE_INFINITY : newScore[i * k] / penalty(t + 2);
        if (lastStep || live == 0 || (finished.get(i).size() >= k && bestFinished(i) >= bestLive)) {
          done[i] = true;
        }
      }
      for (int r = 0; r < b * k; r++) {
        tokens[r] = newTokens[r];
        score[r] = newScore[r];
        last[r] = tokens[r].length == 0 ? BOS : tokens[r][tokens[r].length - 1];
      }
      return origin;
    }

    /** Keeps the k best finished hypotheses of sentence i. */
    void addFinished(int i, int[] hyp, double normalisedScore) {
      List<int[]> f = finished.get(i);
      List<double[]> fs = finishedScores.get(i);
      if (f.size() < k) {
        f.add(hyp);
        fs.add(new double[] {normalisedScore});
        return;
      }
      int worst = 0;
      for (int j = 1; j < fs.size(); j++) {
        if (fs.get(j)[0] < fs.get(worst)[0]) {
          worst = j;
        }
      }
      if (normalisedScore > fs.get(worst)[0]) {
        f.set(worst, hyp);
        fs.set(worst, new double[] {normalisedScore});
      }
    }

    double bestFinished(int i) {
      double best = Double.NEGATIVE_INFINITY;
      for (double[] s : finishedScores.get(i)) {
        best = Math.max(best, s[0]);
      }
      return best;
    }

    int[] best(int i) {
      int[] bestHyp = new int[0];
      double best = Double.NEGATIVE_INFINITY;
      List<int[]> f = finished.get(i);
      for (int j = 0; j < f.size(); j++) {
        double s = finishedScores.get(i).get(j)[0];
        if (s > best) {
          best = s;
          bestHyp = f.get(j);
        }
      }
      return bestHyp;
    }
  }
}
