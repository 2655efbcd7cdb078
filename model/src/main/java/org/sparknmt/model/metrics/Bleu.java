package org.sparknmt.model.metrics;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Corpus BLEU exactly as sacreBLEU 2.6.0 computes it ({@code sacrebleu REF -i HYP -m bleu} = {@code
 * BLEU().corpus_score(hyps, [refs])}). Defaults: case-sensitive, 13a tokenizer, exponential
 * smoothing, n-grams up to 4, no effective order; signature {@code
 * nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0}.
 *
 * <p>Per segment: {@code rstrip()}, optional lowercasing, tokenization; n-gram counts clipped by
 * the maximum count over the references; hypothesis length and the closest reference length (ties →
 * the shorter). The corpus score is computed from the summed statistics (not an average of sentence
 * scores): BP = 1 if c ≥ r else exp(1 − r/c) (0 if c = 0); BLEU = 0 if no n-gram of any order
 * matches; p_n = m_n/t_n, with {@code exp} smoothing giving the k-th zero-match order 1/(2^k·t_n);
 * the loop stops at the first order without hypothesis n-grams (its precision stays 0, so BLEU = 0
 * unless effective order is on); BLEU = BP·exp(mean log p_n), log 0 = −9999999999.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class Bleu {

  /** The sacreBLEU release whose definitions (and signature format) this class reproduces. */
  public static final String SACREBLEU_VERSION = "2.6.0";

  /** Highest n-gram order (sacreBLEU's {@code MAX_NGRAM_ORDER}). */
  public static final int MAX_ORDER = 4;

  /** Tokenizers sacreBLEU offers that are implemented here. */
  public enum Tokenize {
    /** mteval-v13a (sacreBLEU's default). */
    T13A("13a"),
    /** No tokenization: whitespace-separated tokens as given. */
    NONE("none");

    private final String signatureName;

    Tokenize(String signatureName) {
      this.signatureName = signatureName;
    }

    String apply(String s) {
      return this == T13A ? Tokenizer13a.tokenize(s) : s;
    }
  }

  /** sacreBLEU's smoothing methods (Chen and Cherry 2014 numbering in brackets). */
  public enum Smoothing {
    /** No smoothing. */
    NONE("none", Double.NaN),
    /** [1] zero-match orders get precision {@code value}/t_n; default value 0.1. */
    FLOOR("floor", 0.1),
    /** [2] orders above 1 get (m+k)/(t+k); default k = 1. */
    ADD_K("add-k", 1),
    /** [3] NIST geometric sequence (mteval-v13a): the default. */
    EXP("exp", Double.NaN);

    private final String signatureName;
    private final double defaultValue;

    Smoothing(String signatureName, double defaultValue) {
      this.signatureName = signatureName;
      this.defaultValue = defaultValue;
    }

    boolean hasValue() {
      return !Double.isNaN(defaultValue);
    }
  }

  private static final double LOG_ZERO = -9999999999.0;

  private final boolean lowercase;
  private final Tokenize tokenize;
  private final Smoothing smoothing;
  private final double smoothValue;
  private final boolean effectiveOrder;

  private Bleu(
      boolean lowercase,
      Tokenize tokenize,
      Smoothing smoothing,
      double smoothValue,
      boolean effectiveOrder) {
    this.lowercase = lowercase;
    this.tokenize = Objects.requireNonNull(tokenize, "tokenize");
    this.smoothing = Objects.requireNonNull(smoothing, "smoothing");
    this.smoothValue = smoothValue;
    this.effectiveOrder = effectiveOrder;
  }

  /** sacreBLEU's default BLEU (the one every paper number should come from). */
  public static Bleu sacreBleu() {
    return new Bleu(false, Tokenize.T13A, Smoothing.EXP, Double.NaN, false);
  }

  public Bleu withLowercase(boolean lc) {
    return new Bleu(lc, tokenize, smoothing, smoothValue, effectiveOrder);
  }

  public Bleu withTokenize(Tokenize tok) {
    return new Bleu(lowercase, tok, smoothing, smoothValue, effectiveOrder);
  }

  /** Smoothing with its default value (floor 0.1, add-k 1). */
  public Bleu withSmoothing(Smoothing s) {
    return new Bleu(lowercase, tokenize, s, s.defaultValue, effectiveOrder);
  }

  /** Smoothing {@code floor} or {@code add-k} with an explicit value. */
  public Bleu withSmoothing(Smoothing s, double value) {
    if (!s.hasValue()) {
      throw new IllegalArgumentException("smoothing " + s.signatureName + " takes no value");
    }
    return new Bleu(lowercase, tokenize, s, value, effectiveOrder);
  }

  /** Effective order: average only over the orders that have hypothesis n-grams. */
  public Bleu withEffectiveOrder(boolean eff) {
    return new Bleu(lowercase, tokenize, smoothing, smoothValue, eff);
  }

  /**
   * Corpus BLEU of {@code hyps} against one or more reference streams, each as long as {@code
   * hyps}: {@code refStreams.get(k).get(i)} is the k-th reference of segment i.
   */
  public BleuScore corpusScore(List<String> hyps, List<List<String>> refStreams) {
    return score(stats(hyps, refStreams), refStreams.size());
  }

  /** Corpus BLEU against a single reference per segment. */
  public BleuScore corpusScoreSingleRef(List<String> hyps, List<String> refs) {
    return corpusScore(hyps, List.of(refs));
  }

  /**
   * Sentence BLEU as {@code sacrebleu.sentence_bleu()} computes it: the corpus BLEU of one segment
   * with effective order on (signature {@code eff:yes}); for per-segment analysis, not for
   * reporting system quality.
   */
  public BleuScore sentenceScore(String hyp, List<String> refs) {
    List<List<String>> streams = refs.stream().map(List::of).toList();
    return withEffectiveOrder(true).corpusScore(List.of(hyp), streams);
  }

  /** Summed sufficient statistics of the segments (see {@link BleuStats}). */
  public BleuStats stats(List<String> hyps, List<List<String>> refStreams) {
    MetricInputs.check(hyps, refStreams);
    long sysLen = 0;
    long refLen = 0;
    long[] correct = new long[MAX_ORDER];
    long[] total = new long[MAX_ORDER];
    for (int i = 0; i < hyps.size(); i++) {
      Map<String, Integer> refMax = new HashMap<>();
      int[] refLens = new int[refStreams.size()];
      for (int k = 0; k < refStreams.size(); k++) {
        List<String> toks = PyText.split(preprocess(refStreams.get(k).get(i)));
        refLens[k] = toks.size();
        ngrams(toks).forEach((g, c) -> refMax.merge(g, c, Math::max));
      }
      List<String> htoks = PyText.split(preprocess(hyps.get(i)));
      for (Map.Entry<String, Integer> e : ngrams(htoks).entrySet()) {
        int n = order(e.getKey());
        total[n - 1] += e.getValue();
        Integer r = refMax.get(e.getKey());
        if (r != null) {
          correct[n - 1] += Math.min(e.getValue(), r);
        }
      }
      sysLen += htoks.size();
      refLen += closestRefLen(htoks.size(), refLens);
    }
    return new BleuStats(sysLen, refLen, correct, total);
  }

  /** BLEU from summed statistics of a corpus scored against {@code nrefs} reference streams. */
  public BleuScore score(BleuStats stats, int nrefs) {
    long sysLen = stats.sysLen();
    long refLen = stats.refLen();
    long[] counts = stats.correct();
    long[] totals = stats.total();
    int maxOrder = counts.length;
    double[] correct = new double[maxOrder];
    double[] total = new double[maxOrder];
    for (int n = 0; n < maxOrder; n++) {
      correct[n] = counts[n];
      total[n] = totals[n];
    }
    double bp = 1.0;
    if (sysLen < refLen) {
      bp = sysLen > 0 ? Math.exp(1 - (double) refLen / sysLen) : 0.0;
    }
    double[] precisions = new double[maxOrder];
    String sig = signature(nrefs);
    boolean anyMatch = false;
    for (long c : counts) {
      anyMatch |= c != 0;
    }
    if (!anyMatch) {
      return new BleuScore(0.0, counts, totals, precisions, bp, sysLen, refLen, sig);
    }
    double smoothMteval = 1.0;
    int effOrder = maxOrder;
    for (int n = 1; n <= maxOrder; n++) {
      if (smoothing == Smoothing.ADD_K && n > 1) {
        correct[n - 1] += smoothValue;
        total[n - 1] += smoothValue;
      }
      if (total[n - 1] == 0) {
        break;
      }
      if (effectiveOrder) {
        effOrder = n;
      }
      if (correct[n - 1] == 0) {
        if (smoothing == Smoothing.EXP) {
          smoothMteval *= 2;
          precisions[n - 1] = 100. / (smoothMteval * total[n - 1]);
        } else if (smoothing == Smoothing.FLOOR) {
          precisions[n - 1] = 100. * smoothValue / total[n - 1];
        }
      } else {
        precisions[n - 1] = 100. * correct[n - 1] / total[n - 1];
      }
    }
    double sumLog = 0;
    for (int n = 0; n < effOrder; n++) {
      sumLog += precisions[n] == 0.0 ? LOG_ZERO : Math.log(precisions[n]);
    }
    double score = bp * Math.exp(sumLog / effOrder);
    return new BleuScore(score, counts, totals, precisions, bp, sysLen, refLen, sig);
  }

  /** sacreBLEU's BLEU signature for {@code nrefs} reference streams. */
  public String signature(int nrefs) {
    String smooth = smoothing.signatureName;
    if (smoothing.hasValue()) {
      smooth += String.format(Locale.ROOT, "[%.2f]", smoothValue);
    }
    return "nrefs:"
        + nrefs
        + "|case:"
        + (lowercase ? "lc" : "mixed")
        + "|eff:"
        + (effectiveOrder ? "yes" : "no")
        + "|tok:"
        + tokenize.signatureName
        + "|smooth:"
        + smooth
        + "|version:"
        + SACREBLEU_VERSION;
  }

  private String preprocess(String s) {
    if (lowercase) {
      s = PyText.lower(s);
    }
    return tokenize.apply(PyText.rstrip(s));
  }

  /** All n-grams of orders 1..MAX_ORDER, tokens joined by a space (tokens never contain one). */
  private static Map<String, Integer> ngrams(List<String> toks) {
    Map<String, Integer> counts = new HashMap<>();
    for (int n = 1; n <= MAX_ORDER; n++) {
      for (int i = 0; i + n <= toks.size(); i++) {
        counts.merge(String.join(" ", toks.subList(i, i + n)), 1, Integer::sum);
      }
    }
    return counts;
  }

  private static int order(String ngram) {
    int n = 1;
    for (int i = 0; i < ngram.length(); i++) {
      if (ngram.charAt(i) == ' ') {
        n++;
      }
    }
    return n;
  }

  /** The reference length closest to the hypothesis length; ties go to the shorter reference. */
  static int closestRefLen(int hypLen, int[] refLens) {
    int bestDiff = -1;
    int bestLen = -1;
    for (int rl : refLens) {
      int diff = Math.abs(hypLen - rl);
      if (bestDiff == -1 || diff < bestDiff) {
        bestDiff = diff;
        bestLen = rl;
      } else if (diff == bestDiff && rl < bestLen) {
        bestLen = rl;
      }
    }
    return bestLen;
  }
}
