package org.sparknmt.prep.bpe;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Learns a joint BPE model from pre-token frequencies (Sennrich et al. 2016; the subword-nmt
 * algorithm) without rescanning the corpus per merge: pair counts are updated incrementally from
 * the words that contain the merged pair (an index pair → words), and the next merge comes from a
 * max-heap with lazy deletion.
 *
 * <p>The alphabet is the word mark plus the characters of the word counts, most frequent first,
 * until {@link Config#characterCoverage} of all character occurrences is covered; rarer characters,
 * control characters, line/paragraph separators and literal {@code ▁} are spelled with byte tokens,
 * which never take part in merges.
 *
 * <p>Deterministic: words are processed in sorted order and ties between equally frequent pairs go
 * to the pair with the smaller left id, then the smaller right id (ids follow character frequency,
 * then learning order), so the same counts always give byte-identical files, whatever the map's
 * iteration order. Merges whose result would be spelled like a reserved or byte token (e.g. text
 * containing {@code <s>}) are skipped.
 *
 * <p>With {@link Config#splitByScript} (the default) a merge never joins two Unicode scripts, as
 * SentencePiece's {@code split_by_unicode_script}: punctuation, digits and symbols (script Common)
 * stay apart from letters, so {@code "▁Israel,"} is spelled {@code ▁Israel ,} rather than learnt as
 * a token of its own next to {@code ▁Israel.} and {@code ▁Israel;} (on the bundled Bible corpus one
 * in five learnt tokens was such a fusion). Subword-nmt gets the same effect from Moses
 * tokenisation before BPE. The word mark and combining marks (script Inherited) join either side.
 */
public final class BpeLearner {
  private static final Logger LOG = LoggerFactory.getLogger(BpeLearner.class);

  private BpeLearner() {}

  /**
   * Learning options.
   *
   * @param vocabSize total vocabulary size, reserved and byte tokens included (at least 261)
   * @param minPairFrequency stop when the best pair occurs fewer times than this (≥ 1)
   * @param characterCoverage fraction of character occurrences the alphabet must cover, in (0, 1]
   * @param splitByScript no merge joins symbols of two Unicode scripts (see the class comment)
   */
  public record Config(
      int vocabSize, long minPairFrequency, double characterCoverage, boolean splitByScript) {
    /** Validates the options. */
    public Config {
      if (vocabSize < Vocabulary.FIRST_PIECE + 1) {
        throw new IllegalArgumentException(
            "vocabSize must be at least "
                + (Vocabulary.FIRST_PIECE + 1)
                + " (4 reserved + 256 byte tokens + the word mark), got "
                + vocabSize);
      }
      if (minPairFrequency < 1) {
        throw new IllegalArgumentException(
            "minPairFrequency must be >= 1, got " + minPairFrequency);
      }
      if (!(characterCoverage > 0 && characterCoverage <= 1)) {
        throw new IllegalArgumentException(
            "characterCoverage must be in (0, 1], got " + characterCoverage);
      }
    }

    /** Defaults: pairs seen at least twice, every character covered, split by script. */
    public static Config of(int vocabSize) {
      return new Config(vocabSize, 2, 1.0, true);
    }

    /** These options with {@code splitByScript} set as given. */
    public Config withSplitByScript(boolean split) {
      return new Config(vocabSize, minPairFrequency, characterCoverage, split);
    }
  }

  /** Learns with {@link Config#of}. */
  public static BpeModel learn(Map<String, Long> wordCounts, int vocabSize) {
    return learn(wordCounts, Config.of(vocabSize));
  }

  /**
   * Learns a model.
   *
   * @param wordCounts pre-token → frequency, keys as produced by {@link PreTokenizer#words}
   * @throws IllegalArgumentException if a key does not start with {@code ▁} or a count is negative
   */
  public static BpeModel learn(Map<String, Long> wordCounts, Config config) {
    return new Run(wordCounts, config).learn();
  }

  /** Counts pre-tokens of sentences locally (what the Spark job does across the cluster). */
  public static Map<String, Long> countWords(Iterable<String> normalizedSentences) {
    HashMap<String, Long> counts = new HashMap<>();
    for (String s : normalizedSentences) {
      for (String w : PreTokenizer.words(s)) {
        counts.merge(w, 1L, Long::sum);
      }
    }
    return counts;
  }

  /** Whether a character may be an alphabet symbol (else it is spelled with byte tokens). */
  static boolean eligible(int cp) {
    if (cp == PreTokenizer.MARK || cp == ' ') {
      return false;
    }
    int type = Character.getType(cp);
    return type != Character.CONTROL
        && type != Character.LINE_SEPARATOR
        && type != Character.PARAGRAPH_SEPARATOR
        && type != Character.SURROGATE
        && cp != '\u0085';
  }

  /** Growable int list. */
  private static final class IntList {
    int[] a = new int[4];
    int size;

    void add(int v) {
      if (size == a.length) {
        a = Arrays.copyOf(a, size * 2);
      }
      a[size++] = v;
    }
  }

  /** Script classes that are not a {@link Character.UnicodeScript} ordinal. */
  private static final int ANY = -1;

  private static final int MIXED = -2;

  /** State of one learning run. */
  private static final class Run {
    private final Config config;
    private final String[] words;
    private final long[] counts;
    private final int[][] syms;
    private final int[] symLen;
    private final List<String> tokens = new ArrayList<>();
    private final IntList tokenScripts = new IntList();
    private final HashMap<String, Integer> tokenIds = new HashMap<>();
    private final List<int[]> merges = new ArrayList<>();

    // pairs, by pair index
    private final LongIntMap pairIndex = new LongIntMap(1 << 16);
    private int numPairs;
    private int[] pairLeft = new int[1 << 12];
    private int[] pairRight = new int[1 << 12];
    private long[] pairCount = new long[1 << 12];
    private long[] pairDelta = new long[1 << 12];
    private boolean[] pairForbidden = new boolean[1 << 12];
    private IntList[] pairWords = new IntList[1 << 12];
    private final IntList touched = new IntList();

    // max-heap of (count, pair index), lazily deleted
    private long[] heapCount = new long[1 << 12];
    private int[] heapPair = new int[1 << 12];
    private int heapSize;

    Run(Map<String, Long> wordCounts, Config config) {
      this.config = config;
      this.words = wordCounts.keySet().toArray(new String[0]);
      Arrays.sort(words);
      this.counts = new long[words.length];
      for (int i = 0; i < words.length; i++) {
        String w = words[i];
        if (w.isEmpty() || w.charAt(0) != PreTokenizer.MARK) {
          throw new IllegalArgumentException("pre-token must start with ▁ (U+2581): '" + w + "'");
        }
        Long c = wordCounts.get(w);
        if (c == null || c < 0) {
          throw new IllegalArgumentException("count of '" + w + "' must be >= 0, got " + c);
        }
        counts[i] = c;
      }
      this.syms = new int[words.length][];
      this.symLen = new int[words.length];
    }

    BpeModel learn() {
      long t0 = System.nanoTime();
      for (int i = 0; i < Vocabulary.FIRST_PIECE; i++) {
        addToken(i < Vocabulary.FIRST_BYTE ? Vocabulary.RESERVED.get(i) : Vocabulary.byteToken(i));
      }
      int[] alphabet = alphabet();
      addToken(PreTokenizer.MARK_STRING);
      HashMap<Integer, Integer> charIds = new HashMap<>();
      for (int cp : alphabet) {
        charIds.put(cp, addToken(new String(Character.toChars(cp))));
      }
      int markId = tokenIds.get(PreTokenizer.MARK_STRING);
      for (int w = 0; w < words.length; w++) {
        syms[w] = spell(words[w], markId, charIds);
        symLen[w] = syms[w].length;
      }
      countPairs();
      long t1 = System.nanoTime();
      int[] stamp = new int[words.length];
      Arrays.fill(stamp, -1);
      while (tokens.size() < config.vocabSize() && heapSize > 0) {
        int p = heapPair[0];
        long c = heapCount[0];
        heapPop();
        if (c != pairCount[p] || pairForbidden[p]) {
          continue; // stale entry
        }
        if (c < config.minPairFrequency()) {
          break;
        }
        String joined = tokens.get(pairLeft[p]) + tokens.get(pairRight[p]);
        if (looksReserved(joined)) {
          pairForbidden[p] = true;
          continue;
        }
        Integer existing = tokenIds.get(joined);
        int result = existing != null ? existing : addToken(joined);
        int rank = merges.size();
        merges.add(new int[] {pairLeft[p], pairRight[p]});
        applyMerge(p, result, rank, stamp);
      }
      long t2 = System.nanoTime();
      LOG.info(
          "BPE: {} words, {} characters in alphabet, {} merges, vocabulary {} (asked {});"
              + " setup {} ms, merges {} ms",
          words.length,
          alphabet.length,
          merges.size(),
          tokens.size(),
          config.vocabSize(),
          (t1 - t0) / 1_000_000,
          (t2 - t1) / 1_000_000);
      return new BpeModel(new Vocabulary(tokens), merges);
    }

    private static boolean looksReserved(String s) {
      return Vocabulary.RESERVED.contains(s) || s.matches("<0x[0-9A-F]{2}>");
    }

    private int addToken(String t) {
      int id = tokens.size();
      tokens.add(t);
      tokenScripts.add(scriptOf(t));
      tokenIds.put(t, id);
      return id;
    }

    /** Eligible characters by descending frequency (then code point) up to the coverage. */
    private int[] alphabet() {
      HashMap<Integer, long[]> freq = new HashMap<>();
      long total = 0;
      for (int w = 0; w < words.length; w++) {
        String s = words[w];
        for (int i = 1; i < s.length(); ) {
          int cp = s.codePointAt(i);
          i += Character.charCount(cp);
          if (eligible(cp)) {
            freq.computeIfAbsent(cp, k -> new long[1])[0] += counts[w];
            total += counts[w];
          }
        }
      }
      List<Map.Entry<Integer, long[]>> chars = new ArrayList<>(freq.entrySet());
      chars.sort(
          (a, b) -> {
            int byCount = Long.compare(b.getValue()[0], a.getValue()[0]);
            return byCount != 0 ? byCount : Integer.compare(a.getKey(), b.getKey());
          });
      int max = config.vocabSize() - Vocabulary.FIRST_PIECE - 1;
      List<Integer> kept = new ArrayList<>();
      long covered = 0;
      for (Map.Entry<Integer, long[]> e : chars) {
        if (kept.size() >= max
            || (config.characterCoverage() < 1.0
                && covered >= config.characterCoverage() * total)) {
          break;
        }
        kept.add(e.getKey());
        covered += e.getValue()[0];
      }
      if (kept.size() < chars.size()) {
        LOG.info(
            "BPE alphabet: {} of {} characters kept (coverage {}), the rest use byte fallback",
            kept.size(),
            chars.size(),
            total == 0 ? 1.0 : (double) covered / total);
      }
      return kept.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int[] spell(String word, int markId, Map<Integer, Integer> charIds) {
      int[] out = new int[1 + 4 * (word.length() - 1)];
      int n = 0;
      out[n++] = markId;
      for (int i = 1; i < word.length(); ) {
        int cp = word.codePointAt(i);
        i += Character.charCount(cp);
        Integer id = charIds.get(cp);
        if (id != null) {
          out[n++] = id;
        } else {
          n = BpeModel.appendUtf8Bytes(cp, out, n);
        }
      }
      return Arrays.copyOf(out, n);
    }

    // ------------------------------------------------------------ scripts

    /**
     * The script class of a token: a {@link Character.UnicodeScript} ordinal, {@link #ANY} for the
     * word mark, byte tokens and combining marks alone, {@link #MIXED} never for a learnt token.
     */
    private static int scriptOf(String token) {
      if (looksReserved(token)) {
        return ANY;
      }
      int script = ANY;
      for (int i = 0; i < token.length(); ) {
        int cp = token.codePointAt(i);
        i += Character.charCount(cp);
        script = joinScripts(script, scriptClass(cp));
      }
      return script;
    }

    private static int scriptClass(int cp) {
      if (cp == PreTokenizer.MARK) {
        return ANY;
      }
      Character.UnicodeScript s = Character.UnicodeScript.of(cp);
      return switch (s) {
        case INHERITED, UNKNOWN -> ANY;
        case HIRAGANA, KATAKANA -> Character.UnicodeScript.HAN.ordinal(); // as SentencePiece
        default -> s.ordinal();
      };
    }

    private static int joinScripts(int a, int b) {
      if (a == ANY) {
        return b;
      }
      return b == ANY || a == b ? a : MIXED;
    }

    // ------------------------------------------------------------ pair bookkeeping

    private static boolean mergeable(int id) {
      return id >= Vocabulary.FIRST_PIECE;
    }

    private int pairOf(int left, int right) {
      long key = LongIntMap.pair(left, right);
      int p = pairIndex.get(key);
      if (p != LongIntMap.MISSING) {
        return p;
      }
      p = numPairs++;
      if (p == pairLeft.length) {
        int cap = p * 2;
        pairLeft = Arrays.copyOf(pairLeft, cap);
        pairRight = Arrays.copyOf(pairRight, cap);
        pairCount = Arrays.copyOf(pairCount, cap);
        pairDelta = Arrays.copyOf(pairDelta, cap);
        pairForbidden = Arrays.copyOf(pairForbidden, cap);
        pairWords = Arrays.copyOf(pairWords, cap);
      }
      pairLeft[p] = left;
      pairRight[p] = right;
      pairForbidden[p] =
          config.splitByScript()
              && joinScripts(tokenScripts.a[left], tokenScripts.a[right]) == MIXED;
      pairWords[p] = new IntList();
      pairIndex.put(key, p);
      return p;
    }

    private void indexWord(int p, int w) {
      IntList l = pairWords[p];
      if (l.size == 0 || l.a[l.size - 1] != w) {
        l.add(w);
      }
    }

    private void countPairs() {
      for (int w = 0; w < words.length; w++) {
        int[] s = syms[w];
        for (int i = 0; i + 1 < symLen[w]; i++) {
          if (mergeable(s[i]) && mergeable(s[i + 1])) {
            int p = pairOf(s[i], s[i + 1]);
            pairCount[p] += counts[w];
            indexWord(p, w);
          }
        }
      }
      for (int p = 0; p < numPairs; p++) {
        if (pairCount[p] > 0 && !pairForbidden[p]) {
          heapPush(pairCount[p], p);
        }
      }
    }

    private void addDelta(int left, int right, long d) {
      if (!mergeable(left) || !mergeable(right)) {
        return;
      }
      int p = pairOf(left, right);
      if (pairDelta[p] == 0) {
        touched.add(p);
      }
      pairDelta[p] += d; // may return to 0: then it is in touched twice, which is harmless
    }

    /** Replaces every (left, right) occurrence in the words that contain it; updates counts. */
    private void applyMerge(int p, int result, int rank, int[] stamp) {
      int left = pairLeft[p];
      int right = pairRight[p];
      IntList ws = pairWords[p];
      for (int k = 0; k < ws.size; k++) {
        int w = ws.a[k];
        if (stamp[w] == rank) {
          continue;
        }
        stamp[w] = rank;
        int[] s = syms[w];
        int n = symLen[w];
        long c = counts[w];
        int out = 0;
        boolean changed = false;
        for (int i = 0; i < n; ) {
          if (i + 1 < n && s[i] == left && s[i + 1] == right) {
            // remove the pairs around the occurrence, add the new ones
            if (out > 0) {
              addDelta(s[out - 1], left, -c);
              addDelta(s[out - 1], result, c);
            }
            addDelta(left, right, -c);
            if (i + 2 < n) {
              // if s[i + 2] starts another occurrence, the (result, left) added here is taken
              // back when that occurrence is merged, so consecutive occurrences net out right
              addDelta(right, s[i + 2], -c);
              addDelta(result, s[i + 2], c);
            }
            s[out++] = result;
            i += 2;
            changed = true;
          } else {
            s[out++] = s[i++];
          }
        }
        if (!changed) {
          continue;
        }
        symLen[w] = out;
        for (int i = 0; i + 1 < out; i++) {
          if ((s[i] == result || s[i + 1] == result) && mergeable(s[i]) && mergeable(s[i + 1])) {
            indexWord(pairOf(s[i], s[i + 1]), w);
          }
        }
      }
      pairWords[p] = new IntList(); // (left, right) cannot occur again: both were consumed
      for (int k = 0; k < touched.size; k++) {
        int q = touched.a[k];
        long d = pairDelta[q];
        if (d != 0) {
          pairCount[q] += d;
          pairDelta[q] = 0;
          if (pairCount[q] > 0 && !pairForbidden[q]) {
            heapPush(pairCount[q], q);
          }
        }
      }
      touched.size = 0;
    }

    // ------------------------------------------------------------ heap

    /** Whether entry (ca, pa) comes before (cb, pb): higher count, then smaller left/right id. */
    private boolean before(long ca, int pa, long cb, int pb) {
      if (ca != cb) {
        return ca > cb;
      }
      if (pairLeft[pa] != pairLeft[pb]) {
        return pairLeft[pa] < pairLeft[pb];
      }
      return pairRight[pa] < pairRight[pb];
    }

    private void heapPush(long c, int p) {
      if (heapSize == heapCount.length) {
        heapCount = Arrays.copyOf(heapCount, heapSize * 2);
        heapPair = Arrays.copyOf(heapPair, heapSize * 2);
      }
      int i = heapSize++;
      while (i > 0) {
        int parent = (i - 1) >>> 1;
        if (!before(c, p, heapCount[parent], heapPair[parent])) {
          break;
        }
        heapCount[i] = heapCount[parent];
        heapPair[i] = heapPair[parent];
        i = parent;
      }
      heapCount[i] = c;
      heapPair[i] = p;
    }

    private void heapPop() {
      long c = heapCount[--heapSize];
      int p = heapPair[heapSize];
      int i = 0;
      while (true) {
        int ch = 2 * i + 1;
        if (ch >= heapSize) {
          break;
        }
        if (ch + 1 < heapSize
            && before(heapCount[ch + 1], heapPair[ch + 1], heapCount[ch], heapPair[ch])) {
          ch++;
        }
        if (!before(heapCount[ch], heapPair[ch], c, p)) {
          break;
        }
        heapCount[i] = heapCount[ch];
        heapPair[i] = heapPair[ch];
        i = ch;
      }
      if (heapSize > 0) {
        heapCount[i] = c;
        heapPair[i] = p;
      }
    }
  }
}
