package org.sparknmt.prep.clean;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/**
 * Measurement main (not a test): how many pairs of a line-aligned corpus each length-ratio setting
 * rejects, after the standard normalisation, for {@code docs/corpus-pipeline.md}.
 *
 * <pre>FilterCount SOURCE TARGET   (plain or .gz)</pre>
 *
 * Prints one line per setting: the old default (ratio 1.5 at every length) and the new one (ratio 3
 * when the longer side has more than 10 words), with the count per reject reason.
 */
public final class FilterCount {
  private FilterCount() {}

  public static void main(String[] args) throws IOException {
    Map<String, PairFilter> settings =
        Map.of(
            "old: max-ratio 1.5, ratio-min-words 0", new PairFilter(true, 250, 1.5, 0, false),
            "new: max-ratio 3, ratio-min-words 10", new PairFilter(true, 250, 3, 10, false));
    Normalizer norm = Normalizer.standard();
    for (Map.Entry<String, PairFilter> e : new java.util.TreeMap<>(settings).entrySet()) {
      Map<RejectReason, Integer> rejected = new EnumMap<>(RejectReason.class);
      int pairs = 0;
      try (BufferedReader src = open(Path.of(args[0]));
          BufferedReader tgt = open(Path.of(args[1]))) {
        for (String s = src.readLine(), t = tgt.readLine();
            s != null && t != null;
            s = src.readLine(), t = tgt.readLine()) {
          pairs++;
          RejectReason r = e.getValue().check(norm.normalize(s), norm.normalize(t));
          if (r != null) {
            rejected.merge(r, 1, Integer::sum);
          }
        }
      }
      System.out.printf("%s: %d pairs, rejected %s%n", e.getKey(), pairs, rejected);
    }
  }

  private static BufferedReader open(Path p) throws IOException {
    InputStream in = Files.newInputStream(p);
    if (p.toString().endsWith(".gz")) {
      in = new GZIPInputStream(in);
    }
    return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
  }
}
