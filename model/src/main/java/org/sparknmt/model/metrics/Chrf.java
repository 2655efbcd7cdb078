package org.sparknmt.model.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Corpus chrF exactly as sacreBLEU 2.6.0 computes it ({@code sacrebleu REF -i HYP -m chrf} = {@code
 * CHRF().corpus_score(hyps, [refs])}): character n-grams of orders 1–6, no word n-grams, β = 2,
 * case-sensitive, whitespace deleted before counting; signature {@code
 * nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0}. {@link #withWordOrder(int)
 * withWordOrder(2)} gives chrF++.
 *
 * <p>Per segment and order: hypothesis n-grams (counted as 0 when the reference has no n-gram of
 * that order), reference n-grams, clipped matches; with several references the one with the best
 * segment-level F is used. Corpus statistics are the sums; precision and recall are averaged over
 * the "effective" orders (those with hypothesis and reference n-grams), then F_β = (1+β²)PR/(β²P +
 * R).
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class Chrf {

  private static final String PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
  private static final double EPS = 1e-16;

  private final int charOrder;
  private final int wordOrder;
  private final int beta;
  private final boolean lowercase;

  private Chrf(int charOrder, int wordOrder, int beta, boolean lowercase) {
    if (charOrder < 1 || wordOrder < 0 || beta < 1) {
      throw new IllegalArgumentException(
          "chrF needs charOrder >= 1, wordOrder >= 0, beta >= 1; got "
              + charOrder
              + ", "
              + wordOrder
              + ", "
              + beta);
    }
    this.charOrder = charOrder;
    this.wordOrder = wordOrder;
    this.beta = beta;
    this.lowercase = lowercase;
  }

  /** sacreBLEU's default chrF (chrF2: 6 character orders, no word n-grams, β = 2). */
  public static Chrf sacreBleu() {
    return new Chrf(6, 0, 2, false);
  }

  public Chrf withLowercase(boolean lc) {
    return new Chrf(charOrder, wordOrder, beta, lc);
  }

  /** Word n-gram order: 0 = chrF (default), 2 = chrF++. */
  public Chrf withWordOrder(int nw) {
    return new Chrf(charOrder, nw, beta, lowercase);
  }

  public Chrf withCharOrder(int nc) {
    return new Chrf(nc, wordOrder, beta, lowercase);
  }

  public Chrf withBeta(int b) {
    return new Chrf(charOrder, wordOrder, b, lowercase);
  }

  /** Corpus chrF of {@code hyps} against one or more reference streams as long as {@code hyps}. */
  public ChrfScore corpusScore(List<String> hyps, List<List<String>> refStreams) {
    return score(stats(hyps, refStreams), refStreams.size());
  }

  /** Corpus chrF against a single reference per segment. */
  public ChrfScore corpusScoreSingleRef(List<String> hyps, List<String> refs) {
    return corpusScore(hyps, List.of(refs));
  }

  /** sacreBLEU's {@code sentence_score}: chrF of one segment. */
  public ChrfScore sentenceScore(String hyp, List<String> refs) {
    return corpusScore(List.of(hyp), refs.stream().map(List::of).toList());
  }

  /** Summed sufficient statistics (see {@link ChrfStats}). */
  public ChrfStats stats(List<String> hyps, List<List<String>> refStreams) {
    MetricInputs.check(hyps, refStreams);
    int orders = charOrder + wordOrder;
    long[] sum = new long[3 * orders];
    for (int i = 0; i < hyps.size(); i++) {
      List<Map<String, Integer>> hg = ngrams(hyps.get(i));
      long[] best = null;
      double bestF = -1.0;
      for (List<String> stream : refStreams) {
        List<Map<String, Integer>> rg = ngrams(stream.get(i));
        long[] st = new long[3 * orders];
        for (int o = 0; o < orders; o++) {
          Map<String, Integer> h = hg.get(o);
          Map<String, Integer> r = rg.get(o);
          long match = 0;
          long hcount = 0;
          for (Map.Entry<String, Integer> e : h.entrySet()) {
            hcount += e.getValue();
            Integer rc = r.get(e.getKey());
            if (rc != null) {
              match += Math.min(e.getValue(), rc);
            }
          }
          long rcount = 0;
          for (int c : r.values()) {
            rcount += c;
          }
          st[3 * o] = r.isEmpty() ? 0 : hcount; // no reference n-grams of this order: no hits
          st[3 * o + 1] = rcount;
          st[3 * o + 2] = match;
        }
        double f = fScore(st);
        if (f > bestF) {
          bestF = f;
          best = st;
        }
      }
      for (int k = 0; k < sum.length; k++) {
        sum[k] += best[k];
      }
    }
    return new ChrfStats(sum);
  }

  /** chrF from summed statistics of a corpus scored against {@code nrefs} reference streams. */
  public ChrfScore score(ChrfStats stats, int nrefs) {
    if (stats.orders() != charOrder + wordOrder) {
      throw new IllegalArgumentException(
          "statistics have " + stats.orders() + " orders, expected " + (charOrder + wordOrder));
    }
    long[] st = stats.values();
    double[] pr = averagePrecisionRecall(st);
    return new ChrfScore(name(), fScore(st), stats, pr[0], pr[1], signature(nrefs));
  }

  /** {@code chrF2} or {@code chrF2++}. */
  public String name() {
    return "chrF" + beta + "+".repeat(wordOrder);
  }

  /** sacreBLEU's chrF signature for {@code nrefs} reference streams. */
  public String signature(int nrefs) {
    return "nrefs:"
        + nrefs
        + "|case:"
        + (lowercase ? "lc" : "mixed")
        + "|eff:yes|nc:"
        + charOrder
        + "|nw:"
        + wordOrder
        + "|space:no|version:"
        + Bleu.SACREBLEU_VERSION;
  }

  /** sacreBLEU's {@code _compute_f_score} (effective-order averaging, no eps smoothing). */
  private double fScore(long[] st) {
    double[] pr = averagePrecisionRecall(st);
    double p = pr[0];
    double r = pr[1];
    double factor = (double) beta * beta;
    if (p + r != 0) {
      return 100 * (1 + factor) * p * r / (factor * p + r);
    }
    return 0.0;
  }

  private static double[] averagePrecisionRecall(long[] st) {
    double avgPrec = 0;
    double avgRec = 0;
    int effective = 0;
    for (int o = 0; o < st.length / 3; o++) {
      long nHyp = st[3 * o];
      long nRef = st[3 * o + 1];
      long nMatch = st[3 * o + 2];
      double prec = nHyp > 0 ? (double) nMatch / nHyp : EPS;
      double rec = nRef > 0 ? (double) nMatch / nRef : EPS;
      if (nHyp > 0 && nRef > 0) {
        avgPrec += prec;
        avgRec += rec;
        effective++;
      }
    }
    if (effective == 0) {
      return new double[] {0, 0};
    }
    return new double[] {avgPrec / effective, avgRec / effective};
  }

  /** Character n-grams of orders 1..charOrder, then word n-grams of orders 1..wordOrder. */
  private List<Map<String, Integer>> ngrams(String s) {
    if (lowercase) {
      s = PyText.lower(s);
    }
    List<Map<String, Integer>> out = new ArrayList<>(charOrder + wordOrder);
    int[] cps = PyText.removeSpace(s).codePoints().toArray();
    for (int n = 1; n <= charOrder; n++) {
      Map<String, Integer> m = new HashMap<>();
      for (int i = 0; i + n <= cps.length; i++) {
        m.merge(new String(cps, i, n), 1, Integer::sum);
      }
      out.add(m);
    }
    if (wordOrder > 0) {
      List<String> words = splitPunctuation(s);
      for (int n = 1; n <= wordOrder; n++) {
        Map<String, Integer> m = new HashMap<>();
        for (int i = 0; i + n <= words.size(); i++) {
          m.merge(String.join(" ", words.subList(i, i + n)), 1, Integer::sum);
        }
        out.add(m);
      }
    }
    return out;
  }

  /** sacreBLEU's {@code _remove_punctuation}: one ASCII punctuation mark split off a word edge. */
  private static List<String> splitPunctuation(String s) {
    List<String> out = new ArrayList<>();
    for (String w : PyText.split(s)) {
      int len = w.codePointCount(0, w.length());
      if (len == 1) {
        out.add(w);
        continue;
      }
      int last = w.codePointBefore(w.length());
      int first = w.codePointAt(0);
      if (isPunct(last)) {
        int cut = w.length() - Character.charCount(last);
        out.add(w.substring(0, cut));
        out.add(w.substring(cut));
      } else if (isPunct(first)) {
        int cut = Character.charCount(first);
        out.add(w.substring(0, cut));
        out.add(w.substring(cut));
      } else {
        out.add(w);
      }
    }
    return out;
  }

  private static boolean isPunct(int cp) {
    return cp < 128 && PUNCTUATION.indexOf(cp) >= 0;
  }
}
