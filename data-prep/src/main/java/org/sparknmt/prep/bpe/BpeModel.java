package org.sparknmt.prep.bpe;

import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A learned joint BPE model: vocabulary plus ranked merges, and the encoder/decoder built on them.
 *
 * <p><b>Encoding</b> splits a sentence with {@link PreTokenizer}, spells each word as the mark
 * {@code ▁} followed by its characters (characters outside the learned alphabet, and any literal
 * {@code ▁}, as the {@code <0xNN>} tokens of their UTF-8 bytes), then repeatedly applies the
 * lowest-ranked applicable merge, leftmost first, until none applies. Encoding never produces
 * {@code <unk>} and {@code decode(encode(s)).equals(s)} holds for every string without unpaired
 * surrogates.
 *
 * <p><b>Speed</b>: merge ranks live in a primitive hash map keyed by the id pair; each thread keeps
 * a bounded word → ids cache (cleared when full), so Spark executors running several tasks per JVM
 * share the model without locking. Words longer than {@value #SHORT_WORD} symbols are merged with a
 * priority queue (O(n log n)) instead of the quadratic scan, so unsegmented scripts (CJK) stay
 * fast.
 *
 * <p><b>Files</b>: {@code vocab.txt} (one token per line, line number = id) and {@code merges.txt}
 * (subword-nmt format: a {@code #version} line, then {@code left right} per merge in rank order).
 * Java serialization (e.g. a Spark broadcast) writes exactly these files and re-reads them.
 */
public final class BpeModel implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Name of the vocabulary file in {@link #toFiles()}. */
  public static final String VOCAB_FILE = "vocab.txt";

  /** Name of the merges file in {@link #toFiles()}. */
  public static final String MERGES_FILE = "merges.txt";

  static final String MERGES_HEADER = "#version: 0.2";

  /** Per-thread cache bound (words); the cache is cleared when it reaches this size. */
  static final int CACHE_CAPACITY = 1 << 17;

  /** Words with more characters than this are encoded but not cached. */
  static final int MAX_CACHED_WORD = 64;

  /** Words of at most this many symbols use the simple scan; longer ones a priority queue. */
  static final int SHORT_WORD = 48;

  private static final String UNK_TEXT = "\u2047";

  private final Vocabulary vocab;
  private final int[] mergeLeft;
  private final int[] mergeRight;
  private final int[] mergeResult;
  private final LongIntMap ranks;
  private final int markId;
  private final int[] bmpIds;
  private final HashMap<Integer, Integer> otherIds;
  private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

  /**
   * Creates a model from a vocabulary and its merges, {@code merges[r] = {leftId, rightId}} for
   * rank r. The result of every merge (left + right spelled out) must be in the vocabulary.
   */
  BpeModel(Vocabulary vocab, List<int[]> merges) {
    this.vocab = vocab;
    int n = merges.size();
    mergeLeft = new int[n];
    mergeRight = new int[n];
    mergeResult = new int[n];
    ranks = new LongIntMap(n);
    for (int r = 0; r < n; r++) {
      int l = merges.get(r)[0];
      int rt = merges.get(r)[1];
      if (l < Vocabulary.FIRST_PIECE
          || rt < Vocabulary.FIRST_PIECE
          || l >= vocab.size()
          || rt >= vocab.size()) {
        throw new IllegalArgumentException("merge " + r + " uses a reserved, byte or unknown id");
      }
      String joined = vocab.token(l) + vocab.token(rt);
      if (!vocab.contains(joined)) {
        throw new IllegalArgumentException("merge " + r + " result '" + joined + "' not in vocab");
      }
      long key = LongIntMap.pair(l, rt);
      if (ranks.get(key) != LongIntMap.MISSING) {
        throw new IllegalArgumentException("duplicate merge at rank " + r + ": " + joined);
      }
      mergeLeft[r] = l;
      mergeRight[r] = rt;
      mergeResult[r] = vocab.id(joined);
      ranks.put(key, r);
    }
    if (!vocab.contains(PreTokenizer.MARK_STRING)) {
      throw new IllegalArgumentException("vocabulary lacks the word mark " + PreTokenizer.MARK);
    }
    markId = vocab.id(PreTokenizer.MARK_STRING);
    bmpIds = new int[0x10000];
    Arrays.fill(bmpIds, -1);
    otherIds = new HashMap<>();
    for (int id = Vocabulary.FIRST_PIECE; id < vocab.size(); id++) {
      String t = vocab.token(id);
      int cp = t.codePointAt(0);
      if (Character.charCount(cp) == t.length() && cp != PreTokenizer.MARK) {
        if (cp < bmpIds.length) {
          bmpIds[cp] = id;
        } else {
          otherIds.put(cp, id);
        }
      }
    }
  }

  /** The vocabulary (ids of all tokens this model can produce). */
  public Vocabulary vocabulary() {
    return vocab;
  }

  /** Number of merges, in rank order. */
  public int numMerges() {
    return mergeLeft.length;
  }

  /** The merge of rank {@code r} as its two token spellings. */
  public String[] merge(int r) {
    return new String[] {vocab.token(mergeLeft[r]), vocab.token(mergeRight[r])};
  }

  /** The subword ids of a normalised sentence, without {@code <s>}/{@code </s>}. */
  public int[] encode(String normalizedSentence) {
    Scratch sc = scratch.get();
    sc.outSize = 0;
    String s = normalizedSentence;
    if (!s.isEmpty()) {
      int start = 0;
      while (true) {
        int space = s.indexOf(' ', start);
        int end = space < 0 ? s.length() : space;
        appendWord(s, start, end, sc);
        if (space < 0) {
          break;
        }
        start = space + 1;
      }
    }
    return Arrays.copyOf(sc.out, sc.outSize);
  }

  /** The subword tokens of a normalised sentence, as spelled in the vocabulary. */
  public List<String> pieces(String normalizedSentence) {
    int[] ids = encode(normalizedSentence);
    List<String> out = new ArrayList<>(ids.length);
    for (int id : ids) {
      out.add(vocab.token(id));
    }
    return out;
  }

  /**
   * The text of a sequence of ids: skips {@code <pad>}, {@code <s>}, {@code </s>}; writes {@code
   * <unk>} as {@code ⁇} (as SentencePiece); joins byte tokens into UTF-8 (invalid sequences become
   * U+FFFD); turns word marks into spaces, dropping the first one.
   *
   * @throws IllegalArgumentException if an id is outside the vocabulary
   */
  public String decode(int[] ids) {
    StringBuilder sb = new StringBuilder(ids.length * 4);
    byte[] bytes = new byte[16];
    int nBytes = 0;
    boolean atStart = true; // only the very first mark is dropped
    for (int id : ids) {
      if (id < 0 || id >= vocab.size()) {
        throw new IllegalArgumentException("id " + id + " outside vocabulary of " + vocab.size());
      }
      if (Vocabulary.isByte(id)) {
        if (nBytes == bytes.length) {
          bytes = Arrays.copyOf(bytes, nBytes * 2);
        }
        bytes[nBytes++] = (byte) (id - Vocabulary.FIRST_BYTE);
        atStart = false;
        continue;
      }
      if (nBytes > 0) {
        sb.append(new String(bytes, 0, nBytes, StandardCharsets.UTF_8));
        nBytes = 0;
      }
      if (id == Vocabulary.UNK) {
        sb.append(UNK_TEXT);
        atStart = false;
      } else if (id >= Vocabulary.FIRST_PIECE) {
        String t = vocab.token(id);
        int from = atStart && t.charAt(0) == PreTokenizer.MARK ? 1 : 0;
        atStart = false;
        for (int i = from; i < t.length(); i++) {
          char c = t.charAt(i);
          sb.append(c == PreTokenizer.MARK ? ' ' : c);
        }
      }
    }
    if (nBytes > 0) {
      sb.append(new String(bytes, 0, nBytes, StandardCharsets.UTF_8));
    }
    return sb.toString();
  }

  // ---------------------------------------------------------------- encoding internals

  /** Per-thread buffers and word cache. */
  private static final class Scratch {
    final HashMap<String, int[]> cache = new HashMap<>(1 << 12);
    int[] out = new int[256];
    int outSize;
    int[] syms = new int[64];
    int[] pairRanks = new int[64];
    int[] next = new int[0];
    int[] prev = new int[0];
    long[] heap = new long[0];
  }

  private void appendWord(String s, int from, int to, Scratch sc) {
    int[] ids;
    if (to - from <= MAX_CACHED_WORD) {
      String word = s.substring(from, to);
      ids = sc.cache.get(word);
      if (ids == null) {
        ids = encodeWord(s, from, to, sc);
        if (sc.cache.size() >= CACHE_CAPACITY) {
          sc.cache.clear();
        }
        sc.cache.put(word, ids);
      }
    } else {
      ids = encodeWord(s, from, to, sc);
    }
    if (sc.outSize + ids.length > sc.out.length) {
      sc.out = Arrays.copyOf(sc.out, Math.max(sc.out.length * 2, sc.outSize + ids.length));
    }
    System.arraycopy(ids, 0, sc.out, sc.outSize, ids.length);
    sc.outSize += ids.length;
  }

  /** Ids of one word (without mark), merged by the short scan or by the heap: for tests. */
  int[] encodeWord(String word, boolean heap) {
    Scratch sc = scratch.get();
    int[] syms = new int[1 + 4 * word.length()];
    int n = spell(word, 0, word.length(), syms);
    n = heap ? mergeLong(syms, n, sc) : mergeShort(syms, n, sc);
    return Arrays.copyOf(syms, n);
  }

  /** Ids of one word {@code s[from, to)} (without mark) after all merges. */
  private int[] encodeWord(String s, int from, int to, Scratch sc) {
    int maxSyms = 1 + 4 * (to - from);
    if (sc.syms.length < maxSyms) {
      sc.syms = new int[maxSyms];
    }
    int[] syms = sc.syms;
    int n = spell(s, from, to, syms);
    n = n <= SHORT_WORD ? mergeShort(syms, n, sc) : mergeLong(syms, n, sc);
    return Arrays.copyOf(syms, n);
  }

  /** Writes the mark and the character/byte ids of {@code s[from, to)}; returns the count. */
  private int spell(String s, int from, int to, int[] syms) {
    int n = 0;
    syms[n++] = markId;
    for (int i = from; i < to; ) {
      int cp = s.codePointAt(i);
      i += Character.charCount(cp);
      int id = cp < bmpIds.length ? bmpIds[cp] : otherIds.getOrDefault(cp, -1);
      if (id >= 0) {
        syms[n++] = id;
      } else {
        n = appendUtf8Bytes(cp, syms, n);
      }
    }
    return n;
  }

  /** Appends the byte-token ids of {@code cp}'s UTF-8 encoding; returns the new length. */
  static int appendUtf8Bytes(int cp, int[] out, int n) {
    final int b = Vocabulary.FIRST_BYTE;
    if (cp < 0x80) {
      out[n++] = b + cp;
    } else if (cp < 0x800) {
      out[n++] = b + (0xC0 | (cp >> 6));
      out[n++] = b + (0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out[n++] = b + (0xE0 | (cp >> 12));
      out[n++] = b + (0x80 | ((cp >> 6) & 0x3F));
      out[n++] = b + (0x80 | (cp & 0x3F));
    } else {
      out[n++] = b + (0xF0 | (cp >> 18));
      out[n++] = b + (0x80 | ((cp >> 12) & 0x3F));
      out[n++] = b + (0x80 | ((cp >> 6) & 0x3F));
      out[n++] = b + (0x80 | (cp & 0x3F));
    }
    return n;
  }

  private int rank(int left, int right) {
    int r = ranks.get(LongIntMap.pair(left, right));
    return r == LongIntMap.MISSING ? Integer.MAX_VALUE : r;
  }

  /** Lowest rank first, leftmost on ties; pair ranks are kept and updated locally. */
  int mergeShort(int[] syms, int n, Scratch sc) {
    if (sc.pairRanks.length < n) {
      sc.pairRanks = new int[Math.max(n, sc.pairRanks.length * 2)];
    }
    int[] pr = sc.pairRanks;
    for (int i = 0; i + 1 < n; i++) {
      pr[i] = rank(syms[i], syms[i + 1]);
    }
    while (n > 1) {
      int best = Integer.MAX_VALUE;
      int at = -1;
      for (int i = 0; i + 1 < n; i++) {
        if (pr[i] < best) {
          best = pr[i];
          at = i;
        }
      }
      if (at < 0) {
        break;
      }
      syms[at] = mergeResult[best];
      System.arraycopy(syms, at + 2, syms, at + 1, n - at - 2);
      System.arraycopy(pr, at + 2, pr, at + 1, Math.max(0, n - at - 3));
      n--;
      if (at > 0) {
        pr[at - 1] = rank(syms[at - 1], syms[at]);
      }
      if (at + 1 < n) {
        pr[at] = rank(syms[at], syms[at + 1]);
      }
    }
    return n;
  }

  /**
   * Same result as {@link #mergeShort} in O(n log n): a doubly linked list of symbols and a
   * min-heap of (rank, position) entries, stale entries skipped when popped.
   */
  int mergeLong(int[] syms, int n, Scratch sc) {
    if (sc.next.length < n) {
      sc.next = new int[n];
      sc.prev = new int[n];
      sc.heap = new long[n];
    }
    int[] next = sc.next;
    int[] prev = sc.prev;
    long[] heap = sc.heap;
    int heapSize = 0;
    for (int i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    for (int i = 0; i + 1 < n; i++) {
      int r = rank(syms[i], syms[i + 1]);
      if (r != Integer.MAX_VALUE) {
        heapSize = heapPush(heap, heapSize, ((long) r << 32) | i);
      }
    }
    while (heapSize > 0) {
      long top = heap[0];
      heapSize = heapPop(heap, heapSize);
      int r = (int) (top >>> 32);
      int i = (int) top;
      int j = next[i];
      if (prev[i] == -2 || j < 0 || rank(syms[i], syms[j]) != r) {
        continue; // stale: position removed or its pair changed
      }
      syms[i] = mergeResult[r];
      int k = next[j];
      next[i] = k;
      if (k >= 0) {
        prev[k] = i;
      }
      prev[j] = -2;
      if (heapSize + 2 > heap.length) {
        heap = sc.heap = Arrays.copyOf(heap, heap.length * 2 + 2);
      }
      if (prev[i] >= 0) {
        int rl = rank(syms[prev[i]], syms[i]);
        if (rl != Integer.MAX_VALUE) {
          heapSize = heapPush(heap, heapSize, ((long) rl << 32) | prev[i]);
        }
      }
      if (k >= 0) {
        int rr = rank(syms[i], syms[k]);
        if (rr != Integer.MAX_VALUE) {
          heapSize = heapPush(heap, heapSize, ((long) rr << 32) | i);
        }
      }
    }
    int m = 0;
    for (int i = 0; i >= 0; i = next[i]) {
      syms[m++] = syms[i];
    }
    return m;
  }

  private static int heapPush(long[] heap, int size, long v) {
    int i = size;
    while (i > 0) {
      int parent = (i - 1) >>> 1;
      if (heap[parent] <= v) {
        break;
      }
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = v;
    return size + 1;
  }

  private static int heapPop(long[] heap, int size) {
    long last = heap[--size];
    int i = 0;
    while (true) {
      int c = 2 * i + 1;
      if (c >= size) {
        break;
      }
      if (c + 1 < size && heap[c + 1] < heap[c]) {
        c++;
      }
      if (heap[c] >= last) {
        break;
      }
      heap[i] = heap[c];
      i = c;
    }
    if (size > 0) {
      heap[i] = last;
    }
    return size;
  }

  // ---------------------------------------------------------------- files

  /**
   * The model as plain UTF-8 text files, file name → content, sorted by name: {@value #VOCAB_FILE}
   * and {@value #MERGES_FILE}. Byte-identical for identical models.
   */
  public Map<String, String> toFiles() {
    StringBuilder v = new StringBuilder(vocab.size() * 8);
    for (int id = 0; id < vocab.size(); id++) {
      v.append(vocab.token(id)).append('\n');
    }
    StringBuilder m = new StringBuilder(mergeLeft.length * 10);
    m.append(MERGES_HEADER).append('\n');
    for (int r = 0; r < mergeLeft.length; r++) {
      m.append(vocab.token(mergeLeft[r])).append(' ').append(vocab.token(mergeRight[r]));
      m.append('\n');
    }
    TreeMap<String, String> files = new TreeMap<>();
    files.put(MERGES_FILE, m.toString());
    files.put(VOCAB_FILE, v.toString());
    return files;
  }

  /**
   * Reads a model written by {@link #toFiles()}.
   *
   * @throws IllegalArgumentException naming the file and line if a file is missing or malformed
   */
  public static BpeModel fromFiles(Map<String, String> files) {
    String v = files.get(VOCAB_FILE);
    String m = files.get(MERGES_FILE);
    if (v == null || m == null) {
      throw new IllegalArgumentException(
          "a BPE model needs " + VOCAB_FILE + " and " + MERGES_FILE + ", got " + files.keySet());
    }
    Vocabulary vocab;
    try {
      vocab = new Vocabulary(v.lines().toList());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(VOCAB_FILE + ": " + e.getMessage(), e);
    }
    List<int[]> merges = new ArrayList<>();
    List<String> lines = m.lines().toList();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (i == 0 && line.startsWith("#version")) {
        continue;
      }
      int sp = line.indexOf(' ');
      String left = sp < 0 ? null : line.substring(0, sp);
      String right = sp < 0 ? null : line.substring(sp + 1);
      if (left == null || !vocab.contains(left) || !vocab.contains(right)) {
        throw new IllegalArgumentException(
            MERGES_FILE
                + " line "
                + (i + 1)
                + ": expected 'left right' of vocabulary tokens: '"
                + line
                + "'");
      }
      merges.add(new int[] {vocab.id(left), vocab.id(right)});
    }
    try {
      return new BpeModel(vocab, merges);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(MERGES_FILE + ": " + e.getMessage(), e);
    }
  }

  /**
   * SHA-256 (lower-case hex) over {@link #toFiles()}: for each file in name order, the UTF-8 name,
   * a NUL byte, the UTF-8 content, a NUL byte. Identifies the model in manifests.
   */
  public String sha256() {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (Map.Entry<String, String> e : toFiles().entrySet()) {
        md.update(e.getKey().getBytes(StandardCharsets.UTF_8));
        md.update((byte) 0);
        md.update(e.getValue().getBytes(StandardCharsets.UTF_8));
        md.update((byte) 0);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every Java platform", e);
    }
  }

  @Override
  public String toString() {
    return "BpeModel[vocab=" + vocab.size() + ", merges=" + mergeLeft.length + "]";
  }

  // ---------------------------------------------------------------- serialization proxy

  private Object writeReplace() {
    return new SerializedForm(new TreeMap<>(toFiles()));
  }

  private void readObject(ObjectInputStream in) throws InvalidObjectException {
    throw new InvalidObjectException("BpeModel is serialized through its files");
  }

  /** Serialized form: the model files, re-parsed on the receiving side. */
  private static final class SerializedForm implements Serializable {
    private static final long serialVersionUID = 1L;
    private final TreeMap<String, String> files;

    SerializedForm(TreeMap<String, String> files) {
      this.files = files;
    }

    private Object readResolve() {
      return fromFiles(files);
    }
  }
}
