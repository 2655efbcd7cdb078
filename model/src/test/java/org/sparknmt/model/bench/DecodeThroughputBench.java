package org.sparknmt.model.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.sparknmt.model.ModelConfig;
import org.sparknmt.model.TransformerFactory;
import org.sparknmt.model.Translator;

/**
 * Single-JVM decoding throughput of {@link Translator} (issue 10 item 4; run by
 * bench/decode_throughput.sh next to the PyTorch peer bench/peers/torch_transformer_decode.py with
 * the same settings). A model with random weights decodes one batch of random sources (ids in [3,
 * V), {@code --src-len} tokens + {@code </s>}) with beam search for a FIXED number of steps: the
 * output-embedding row of {@code </s>} is zeroed, so its logit is 0 while ~half of the other
 * (random) logits are positive and it never ranks among the top 2k candidates; the length limit is
 * source length + {@code --steps} − (src-len + 1) = {@code --steps}. Every output is checked to
 * have exactly {@code --steps} tokens, so every run does the same work.
 *
 * <p>Uses only {@code beam(src, k, alpha, maxExtra)}, which older builds have too (the baseline in
 * the script runs this class against older model classes). Prints one JSON line: generated tokens/s
 * (best hypothesis per sentence), sentences/s, ms per batch and the peak RSS (VmHWM).
 *
 * <p>Arguments: --preset tiny|small --vocab V --batch B --src-len S --steps T --beam k --reps n
 * --warmup w --seed s
 */
public final class DecodeThroughputBench {
  private DecodeThroughputBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      a.put(args[i].substring(2), args[i + 1]);
    }
    String preset = a.getOrDefault("preset", "tiny");
    int vocab = Integer.parseInt(a.getOrDefault("vocab", "8000"));
    int b = Integer.parseInt(a.getOrDefault("batch", "32"));
    int s = Integer.parseInt(a.getOrDefault("src-len", "24"));
    int steps = Integer.parseInt(a.getOrDefault("steps", "30"));
    int beam = Integer.parseInt(a.getOrDefault("beam", "4"));
    int reps = Integer.parseInt(a.getOrDefault("reps", "3"));
    int warm = Integer.parseInt(a.getOrDefault("warmup", "1"));
    long seed = Long.parseLong(a.getOrDefault("seed", "1"));
    ModelConfig cfg = ModelConfig.preset(preset, vocab).toBuilder().seed(seed).build();
    ComputationGraph g = TransformerFactory.build(cfg);
    g.getLayer(TransformerFactory.OUTPUT).getParam("E").getRow(Translator.EOS).assign(0);
    Translator tr = new Translator(g, cfg);

    Random r = new Random(seed);
    List<int[]> src = new ArrayList<>();
    for (int i = 0; i < b; i++) {
      int[] x = new int[s];
      for (int j = 0; j < s; j++) {
        x[j] = 3 + r.nextInt(vocab - 3);
      }
      src.add(x);
    }
    int maxExtra = steps - (s + 1);
    for (int i = 0; i < warm; i++) {
      tr.beam(src, beam, 0.6, maxExtra);
    }
    double[] ms = new double[reps];
    boolean fixedLength = true;
    long t0 = System.nanoTime();
    for (int i = 0; i < reps; i++) {
      long t1 = System.nanoTime();
      List<int[]> out = tr.beam(src, beam, 0.6, maxExtra);
      ms[i] = (System.nanoTime() - t1) / 1e6;
      for (int[] y : out) {
        fixedLength &= y.length == steps;
      }
    }
    double sec = (System.nanoTime() - t0) / 1e9;
    double min = Double.MAX_VALUE;
    for (double m : ms) {
      min = Math.min(min, m);
    }
    System.out.printf(
        Locale.ROOT,
        "{\"impl\": \"sparknmt-dl4j\", \"preset\": \"%s\", \"batch\": %d, \"src_len\": %d,"
            + " \"steps\": %d, \"beam\": %d, \"reps\": %d, \"ms_per_batch\": %.1f,"
            + " \"ms_per_batch_min\": %.1f, \"tokens_per_s\": %.1f, \"sentences_per_s\": %.2f,"
            + " \"fixed_length\": %b, \"peak_rss_mb\": %.0f, \"omp_threads\": \"%s\"}%n",
        preset,
        b,
        s,
        steps,
        beam,
        reps,
        1000 * sec / reps,
        min,
        (double) b * steps * reps / sec,
        b * reps / sec,
        fixedLength,
        PeakRss.megabytes(),
        System.getenv("OMP_NUM_THREADS"));
  }
}
