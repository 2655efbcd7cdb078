package org.sparknmt.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.custom.LogSoftMax;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.sparknmt.model.layers.AttentionSublayerImpl;
import org.sparknmt.model.layers.MultiHeadAttention;
import org.sparknmt.model.layers.RowKernels;
import org.sparknmt.model.layers.SequenceLossLayerImpl;
import org.sparknmt.model.layers.StepArena;
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
 *       length ({@link SearchOptions#maxLength}: a·|source| + b as in fairseq, at most {@link
 *       ModelConfig#maxLength()} − 1).
 * </ul>
 *
 * Sources are token ids x1..xm, with or without the trailing {@code </s>} (added when missing);
 * results are y1..yn without {@code <s>}/{@code </s>}. Not thread-safe (one instance per thread).
 */
public final class Translator {
  public static final int PAD = 0;
  public static final int BOS = 1;
  public static final int EOS = 2;

  /**
   * The off-heap memory of one decoding step, reused from step to step: everything a step creates
   * (embeddings, projections, attention scores, logits) lives here and is dead when the step ends;
   * what outlives a step (caches, encoder keys/values, masks) is created outside it. The first step
   * learns the size; a later, larger step spills and the workspace grows at its close.
   */
  private static final WorkspaceConfiguration STEP_WORKSPACE = StepArena.CONFIG;

  private static final String STEP_WORKSPACE_ID = "sparknmt-decode-step";

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

  /** Greedy decoding: the most probable token at each step; max length = source + maxExtra. */
  public List<int[]> greedy(List<int[]> srcIds, int maxExtra) {
    return beam(srcIds, 1, 0.0, maxExtra);
  }

  /**
   * Beam search with max length = source length (with {@code </s>}) + maxExtra, i.e. {@link
   * SearchOptions} with max-len-a 1 and max-len-b maxExtra.
   *
   * @param k beam size (1 = greedy)
   * @param alpha length-penalty exponent α (0 = no normalisation)
   */
  public List<int[]> beam(List<int[]> srcIds, int k, double alpha, int maxExtra) {
    return translate(srcIds, new SearchOptions(k, alpha, 1.0, maxExtra, 0));
  }

  /** Beam search (greedy when the beam size is 1) with the given options. */
  @SuppressWarnings("try") // workspace scopes are used for their side effect
  public List<int[]> translate(List<int[]> srcIds, SearchOptions opt) {
    int k = opt.beamSize();
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
    int[] maxLen = new int[b];
    int cap = 1;
    for (int i = 0; i < b; i++) {
      maxLen[i] = opt.maxLength(src[i].length, cfg.maxLength() - 1);
      cap = Math.max(cap, maxLen[i]);
    }
    try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
      return new BatchDecoder(src, s, k, cap)
          .run(new Search(b, k, opt, maxLen, cap, cfg.vocabSize()));
    }
  }

  /**
   * The decoder state of one batch: live sentences (finished ones leave the batch), their rows (row
   * = position·k + beam), the encoder's keys/values and the preallocated self-attention caches
   * [rows·h, capacity, d_k] of every decoder layer. Created outside any workspace; each step runs
   * in a reused workspace ({@link #STEP_WORKSPACE}).
   */
  private final class BatchDecoder {
    private final int k;
    private final int h;
    private int[] alive; // sentence id per batch position
    private INDArray srcMask; // [n·k, S]
    private INDArray crossBias; // [n·k, 1, 1, S]
    private final INDArray[][] memKv; // per layer {K, V} [n·k·h, S, d_k]
    private final INDArray[] kCache; // per layer [B·k·h, capacity, d_k]
    private final INDArray[] vCache;

    BatchDecoder(int[][] src, int s, int k, int cap) {
      int b = src.length;
      this.k = k;
      this.h = cfg.heads();
      this.alive = new int[b];
      int[] flat = new int[b * s];
      INDArray mask = Nd4j.zeros(type, b, s);
      for (int i = 0; i < b; i++) {
        alive[i] = i;
        System.arraycopy(src[i], 0, flat, i * s, src[i].length);
        mask.get(NDArrayIndex.point(i), NDArrayIndex.interval(0, src[i].length)).assign(1.0);
      }
      // the encoder runs once per sentence; its output is repeated for the k beams
      INDArray memory = encode(flat, b, s, mask);
      int[] rep = new int[b * k];
      for (int r = 0; r < rep.length; r++) {
        rep[r] = r / k;
      }
      INDArray mem = Nd4j.pullRows(memory.reshape('c', b, s * cfg.dModel()), 1, rep);
      mem = mem.reshape('c', b * k, s, cfg.dModel());
      srcMask = Nd4j.pullRows(mask, 1, rep);
      crossBias = MultiHeadAttention.maskBias(srcMask, b * k, 1, s, false, type);
      memKv = new INDArray[crossAtt.size()][];
      kCache = new INDArray[selfAtt.size()];
      vCache = new INDArray[selfAtt.size()];
      long dk = cfg.dModel() / h;
      for (int l = 0; l < crossAtt.size(); l++) {
        memKv[l] = crossAtt.get(l).memoryKeyValues(mem);
        kCache[l] = Nd4j.zeros(type, (long) b * k * h, cap, dk);
        vCache[l] = Nd4j.zeros(type, (long) b * k * h, cap, dk);
      }
    }

    @SuppressWarnings("try") // workspace scopes are used for their side effect
    List<int[]> run(Search search) {
      int v = cfg.vocabSize();
      float[] logp = new float[alive.length * k * v];
      int[] last = new int[alive.length * k];
      Arrays.fill(last, BOS);
      for (int t = 0; !search.allDone(); t++) {
        int rows = alive.length * k;
        try (MemoryWorkspace ws =
            Nd4j.getWorkspaceManager().getAndActivateWorkspace(STEP_WORKSPACE, STEP_WORKSPACE_ID)) {
          INDArray lp = stepLogProbs(Arrays.copyOf(last, rows), t, this);
          copyOut(lp, logp);
          int[] origin = search.advance(t, logp, alive);
          if (!search.allDone()) {
            reorder(search, origin, last);
          }
        }
      }
      List<int[]> out = new ArrayList<>(search.b);
      for (int i = 0; i < search.b; i++) {
        out.add(search.best(i));
      }
      return out;
    }

    /** Rows of this decoder batch at step t (views of the caches). */
    INDArray kCache(int l) {
      return kCache[l].get(NDArrayIndex.interval(0, (long) alive.length * k * h));
    }

    INDArray vCache(int l) {
      return vCache[l].get(NDArrayIndex.interval(0, (long) alive.length * k * h));
    }

    /**
     * After a step: drops finished sentences from the batch and moves every cache row to where the
     * search continues it ({@code origin}, global rows sentence·k + beam); {@code last} (global
     * rows) is compacted to the new batch rows.
     */
    @SuppressWarnings("try") // workspace scopes are used for their side effect
    void reorder(Search search, int[] origin, int[] last) {
      int n = 0;
      for (int i : alive) {
        n += search.done[i] ? 0 : 1;
      }
      int[] next = new int[n];
      int[] idx = new int[n * k]; // old batch row of each new batch row
      int[] pos = new int[n]; // old batch position of each new one
      boolean identity = n == alive.length;
      for (int p = 0, q = 0; p < alive.length; p++) {
        int i = alive[p];
        if (search.done[i]) {
          continue;
        }
        next[q] = i;
        pos[q] = p;
        for (int j = 0; j < k; j++) {
          idx[q * k + j] = p * k + origin[i * k + j] - i * k;
          identity &= idx[q * k + j] == q * k + j;
        }
        q++;
      }
      for (int q = 0; q < n; q++) {
        for (int j = 0; j < k; j++) {
          last[q * k + j] = search.lastToken(next[q] * k + j);
        }
      }
      if (!identity) {
        int[] headRows = new int[n * k * h];
        for (int r = 0; r < n * k; r++) {
          for (int j = 0; j < h; j++) {
            headRows[r * h + j] = idx[r] * h + j;
          }
        }
        for (int l = 0; l < kCache.length; l++) {
          gather(kCache[l], alive.length * k * h, headRows);
          gather(vCache[l], alive.length * k * h, headRows);
        }
      }
      if (n < alive.length) {
        int[] rows = new int[n * k];
        int[] headRows = new int[n * k * h];
        for (int q = 0; q < n; q++) {
          for (int j = 0; j < k; j++) {
            rows[q * k + j] = pos[q] * k + j;
            for (int e = 0; e < h; e++) {
              headRows[(q * k + j) * h + e] = (pos[q] * k + j) * h + e;
            }
          }
        }
        try (MemoryWorkspace outside = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
          srcMask = Nd4j.pullRows(srcMask, 1, rows);
          crossBias = MultiHeadAttention.maskBias(srcMask, n * k, 1, srcMask.size(1), false, type);
          for (INDArray[] kv : memKv) {
            kv[0] = pullRows3d(kv[0], headRows);
            kv[1] = pullRows3d(kv[1], headRows);
          }
        }
        alive = next;
      }
    }

    /** cache[0..used) ← rows {@code rows} of cache (first rows.length rows written). */
    private void gather(INDArray cache, long used, int[] rows) {
      long width = cache.size(1) * cache.size(2);
      INDArray flat = cache.reshape('c', cache.size(0), width);
      INDArray moved = Nd4j.pullRows(flat.get(NDArrayIndex.interval(0, used)), 1, rows);
      flat.get(NDArrayIndex.interval(0, rows.length)).assign(moved);
    }
  }

  private static INDArray pullRows3d(INDArray a, int[] rows) {
    INDArray flat = a.reshape('c', a.size(0), a.size(1) * a.size(2));
    return Nd4j.pullRows(flat, 1, rows).reshape('c', rows.length, a.size(1), a.size(2));
  }

  /** Copies a [rows, V] array into {@code dst} (row-major). */
  private static void copyOut(INDArray a, float[] dst) {
    INDArray f =
        a.dataType() == DataType.FLOAT && a.ordering() == 'c'
            ? a
            : a.castTo(DataType.FLOAT).dup('c');
    f.data().asNioFloat().get(dst, 0, (int) f.length());
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
  private INDArray stepLogProbs(int[] lastTokens, int t, BatchDecoder d) {
    long rows = lastTokens.length;
    INDArray y = tgtEmbed.embed(lastTokens, rows, 1, t);
    for (int l = 0; l < selfAtt.size(); l++) {
      y = selfAtt.get(l).selfStep(y, d.kCache(l), d.vCache(l), t);
      y = crossAtt.get(l).crossStep(y, d.memKv[l], d.crossBias);
      y = ffn.get(l).infer(new INDArray[] {y}, null);
    }
    if (decoderNorm != null) {
      y = decoderNorm.infer(new INDArray[] {y}, null);
    }
    INDArray logits = generator.logits(y.reshape('c', rows, cfg.dModel()));
    if (RowKernels.applies(logits)) {
      RowKernels.logSoftmaxInPlace(logits);
      return logits;
    }
    return Nd4j.exec(new LogSoftMax(logits, logits))[0]; // in place, over the last dimension
  }

  /**
   * Teacher-forced incremental decoding (for tests): log-probabilities [T, V] of one sentence pair
   * computed step by step with the caches, to compare with the full graph.
   */
  INDArray forcedLogProbs(int[] src, int[] decoderInput) {
    BatchDecoder d = new BatchDecoder(new int[][] {src}, src.length, 1, decoderInput.length);
    INDArray out = Nd4j.create(type, decoderInput.length, cfg.vocabSize());
    for (int t = 0; t < decoderInput.length; t++) {
      out.putRow(t, stepLogProbs(new int[] {decoderInput[t]}, t, d).reshape(-1));
    }
    return out;
  }

  /**
   * fairseq's {@code --no-repeat-ngram-size}: sets to −∞ the log-probability of every token that
   * would complete an n-gram already contained in {@code seq[0, len)}.
   *
   * @param logp log-probabilities of the next token, row at {@code offset}
   */
  static void blockRepeatedNgrams(int[] seq, int len, int n, float[] logp, int offset) {
    if (n <= 0 || len + 1 < n) {
      return;
    }
    int prefix = len - (n - 1); // start of the last n − 1 tokens
    for (int i = 0; i + n <= len; i++) {
      boolean same = true;
      for (int j = 0; j < n - 1 && same; j++) {
        same = seq[i + j] == seq[prefix + j];
      }
      if (same) {
        logp[offset + seq[i + n - 1]] = Float.NEGATIVE_INFINITY;
      }
    }
  }

  private static int[] append(int[] x, int v) {
    int[] y = Arrays.copyOf(x, x.length + 1);
    y[x.length] = v;
    return y;
  }

  /**
   * Bookkeeping of beam search over B sentences × k beams on primitive arrays (global row =
   * sentence·k + beam; the decoder batch holds only the live sentences, see {@link BatchDecoder}).
   */
  private static final class Search {
    private final int b;
    private final int k;
    private final double alpha;
    private final int noRepeat;
    private final int vocab;
    private final int[] maxLen;
    private double[] score; // cumulative log-probability per row
    private double[] nextScore;
    private int[][] tokens; // tokens per row (without <s>); every live row has t + 1 after step t
    private int[][] nextTokens;
    private final int[] length;
    private final List<List<double[]>> finishedScores = new ArrayList<>();
    private final List<List<int[]>> finished = new ArrayList<>();
    private final boolean[] done;
    private final int[] origin;
    // top-2k candidates of one sentence
    private final double[] bestS;
    private final int[] bestRow;
    private final int[] bestTok;

    Search(int b, int k, SearchOptions opt, int[] maxLen, int cap, int vocab) {
      this.b = b;
      this.vocab = vocab;
      this.k = k;
      this.alpha = opt.lengthPenalty();
      this.noRepeat = opt.noRepeatNgramSize();
      this.maxLen = maxLen;
      this.score = new double[b * k];
      this.nextScore = new double[b * k];
      this.tokens = new int[b * k][cap];
      this.nextTokens = new int[b * k][cap];
      this.length = new int[b];
      this.done = new boolean[b];
      this.origin = new int[b * k];
      this.bestS = new double[2 * k];
      this.bestRow = new int[2 * k];
      this.bestTok = new int[2 * k];
      for (int i = 0; i < b; i++) {
        finished.add(new ArrayList<>());
        finishedScores.add(new ArrayList<>());
        for (int j = 1; j < k; j++) {
          score[i * k + j] = Double.NEGATIVE_INFINITY; // only beam 0 is live at step 0
        }
      }
    }

    double penalty(int len) {
      return alpha == 0 ? 1.0 : Math.pow((5.0 + len) / 6.0, alpha);
    }

    boolean allDone() {
      for (boolean d : done) {
        if (!d) {
          return false;
        }
      }
      return true;
    }

    /** The last token of global row r (the next decoder input). */
    int lastToken(int r) {
      int n = length[r / k];
      return n == 0 ? BOS : tokens[r][n - 1];
    }

    /**
     * Extends every live sentence by one token. {@code logp} holds the log-probabilities of the
     * decoder batch (row (p·k + beam)·V for the sentence at batch position p = alive[p]); it is
     * modified (n-gram blocking). Returns for each global row the global row it continues from.
     */
    int[] advance(int t, float[] logp, int[] alive) {
      int v = vocab;
      for (int p = 0; p < alive.length; p++) {
        int i = alive[p];
        int len = length[i];
        boolean lastStep = t + 1 >= maxLen[i];
        int want = 2 * k;
        Arrays.fill(bestS, Double.NEGATIVE_INFINITY);
        Arrays.fill(bestRow, -1);
        for (int j = 0; j < k; j++) {
          int r = i * k + j;
          if (score[r] == Double.NEGATIVE_INFINITY) {
            continue;
          }
          int off = (p * k + j) * v;
          blockRepeatedNgrams(tokens[r], len, noRepeat, logp, off);
          double base = score[r];
          for (int w = 0; w < v; w++) {
            if (w == PAD || w == BOS) {
              continue;
            }
            double c = base + logp[off + w];
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
              int[] hyp = Arrays.copyOf(seq, bestTok[c] == EOS ? len : len + 1);
              if (bestTok[c] != EOS) {
                hyp[len] = bestTok[c];
              }
              int n = hyp.length;
              addFinished(i, hyp, bestS[c] / penalty(n + 1));
            }
            continue;
          }
          int r = i * k + live;
          origin[r] = bestRow[c];
          System.arraycopy(seq, 0, nextTokens[r], 0, len);
          nextTokens[r][len] = bestTok[c];
          nextScore[r] = bestS[c];
          live++;
        }
        for (int j = live; j < k; j++) {
          int r = i * k + j;
          origin[r] = i * k;
          nextScore[r] = Double.NEGATIVE_INFINITY;
        }
        // done when the best live hypothesis cannot beat the best finished one
        // (Hugging Face's rule: best live score normalised at the current length)
        double bestLive = live == 0 ? Double.NEGATIVE_INFINITY : nextScore[i * k] / penalty(t + 2);
        if (lastStep || live == 0 || (finished.get(i).size() >= k && bestFinished(i) >= bestLive)) {
          done[i] = true;
        }
        length[i] = len + 1;
      }
      // swap the buffers (rows of sentences that were not advanced are never read again)
      int[][] tk = tokens;
      tokens = nextTokens;
      nextTokens = tk;
      double[] sc = score;
      score = nextScore;
      nextScore = sc;
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
