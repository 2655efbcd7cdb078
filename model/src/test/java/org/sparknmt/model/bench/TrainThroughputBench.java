package org.sparknmt.model.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.sparknmt.model.ModelConfig;
import org.sparknmt.model.TransformerFactory;

/**
 * Single-JVM training throughput of the DL4J Transformer (issue 5 benchmark; run by
 * model/bench/train_throughput.sh next to the PyTorch peer with the same settings). Synthetic
 * batches like the peer's: ids in [3, V), sentence lengths ~ U[ceil(frac·len), len] incl. {@code
 * </s>}, padded to the batch length; decoder input = {@code <s>} + target[:-1]. Prints one JSON
 * line (non-pad target tokens/s) and, with {@code --profile}, a sampled profile of the training
 * thread.
 *
 * <p>Arguments: --preset tiny|small --vocab V --batch-sentences B --src-len S --tgt-len T
 * --min-len-frac f --steps n --warmup-steps w --n-batches k --seed s --profile
 */
public final class TrainThroughputBench {
  private TrainThroughputBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new HashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--profile")) {
        a.put("profile", "true");
      } else {
        a.put(args[i].substring(2), args[++i]);
      }
    }
    String preset = a.getOrDefault("preset", "tiny");
    int vocab = Integer.parseInt(a.getOrDefault("vocab", "8000"));
    int b = Integer.parseInt(a.getOrDefault("batch-sentences", "32"));
    int s = Integer.parseInt(a.getOrDefault("src-len", "32"));
    int t = Integer.parseInt(a.getOrDefault("tgt-len", "32"));
    double frac = Double.parseDouble(a.getOrDefault("min-len-frac", "0.5"));
    int steps = Integer.parseInt(a.getOrDefault("steps", "20"));
    int warm = Integer.parseInt(a.getOrDefault("warmup-steps", "3"));
    int nBatches = Integer.parseInt(a.getOrDefault("n-batches", "4"));
    long seed = Long.parseLong(a.getOrDefault("seed", "1"));
    ModelConfig cfg = ModelConfig.preset(preset, vocab).toBuilder().seed(seed).build();
    ComputationGraph g = TransformerFactory.build(cfg);

    Random r = new Random(seed);
    List<MultiDataSet> data = new ArrayList<>();
    long[] tokens = new long[nBatches];
    for (int i = 0; i < nBatches; i++) {
      INDArray src = Nd4j.zeros(DataType.FLOAT, b, s);
      INDArray srcMask = Nd4j.zeros(DataType.FLOAT, b, s);
      INDArray dec = Nd4j.zeros(DataType.FLOAT, b, t);
      INDArray lab = Nd4j.zeros(DataType.FLOAT, b, 1, t);
      INDArray tgtMask = Nd4j.zeros(DataType.FLOAT, b, t);
      for (int j = 0; j < b; j++) {
        int ns = (int) Math.ceil(frac * s) + r.nextInt(s - (int) Math.ceil(frac * s) + 1);
        int nt = (int) Math.ceil(frac * t) + r.nextInt(t - (int) Math.ceil(frac * t) + 1);
        for (int k = 0; k < ns; k++) {
          src.putScalar(j, k, k == ns - 1 ? 2 : 3 + r.nextInt(vocab - 3));
          srcMask.putScalar(j, k, 1);
        }
        dec.putScalar(j, 0, 1);
        for (int k = 0; k < nt; k++) {
          int y = k == nt - 1 ? 2 : 3 + r.nextInt(vocab - 3);
          lab.putScalar(j, 0, k, y);
          if (k + 1 < nt) {
            dec.putScalar(j, k + 1, y);
          }
          tgtMask.putScalar(j, k, 1);
        }
        tokens[i] += nt;
      }
      data.add(
          new MultiDataSet(
              new INDArray[] {src, dec},
              new INDArray[] {lab},
              new INDArray[] {srcMask, tgtMask},
              new INDArray[] {tgtMask}));
    }
    for (int i = 0; i < warm; i++) {
      g.fit(data.get(i % nBatches));
    }
    Sampler sampler = a.containsKey("profile") ? new Sampler(Thread.currentThread()) : null;
    if (sampler != null) {
      sampler.start();
    }
    long tok = 0;
    long t0 = System.nanoTime();
    for (int i = 0; i < steps; i++) {
      g.fit(data.get(i % nBatches));
      tok += tokens[i % nBatches];
    }
    double sec = (System.nanoTime() - t0) / 1e9;
    if (sampler != null) {
      sampler.stop();
    }
    System.out.printf(
        Locale.ROOT,
        "{\"impl\": \"sparknmt-dl4j\", \"preset\": \"%s\", \"params\": %d, \"steps\": %d,"
            + " \"ms_per_step\": %.1f, \"tokens_per_s\": %.1f, \"final_loss\": %.4f,"
            + " \"peak_rss_mb\": %.0f, \"vector_kernels\": \"%s\", \"omp_threads\": \"%s\"}%n",
        preset,
        g.params().length(), // (ComputationGraph.numParams() counts layer parameters only)
        steps,
        1000 * sec / steps,
        tok / sec,
        g.score(),
        PeakRss.megabytes(),
        vectorKernels(),
        System.getenv("OMP_NUM_THREADS"));
    if (sampler != null) {
      sampler.print();
    }
  }

  /** Whether the model's Vector API kernels ran ("n/a" for a baseline build without them). */
  private static String vectorKernels() {
    try {
      return String.valueOf(
          Class.forName("org.sparknmt.model.layers.RowKernels")
              .getMethod("vectorised")
              .invoke(null));
    } catch (ReflectiveOperationException e) {
      return "n/a";
    }
  }

  /** Samples a thread's stack every 5 ms; attributes each sample to our frame and native op. */
  private static final class Sampler implements Runnable {
    private final Thread target;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Map<String, Integer> byOurFrame = new HashMap<>();
    private final Map<String, Integer> byTopFrame = new HashMap<>();
    private int total;
    private Thread thread;

    Sampler(Thread target) {
      this.target = target;
    }

    void start() {
      thread = new Thread(this, "sampler");
      thread.setDaemon(true);
      thread.start();
    }

    void stop() throws InterruptedException {
      running.set(false);
      thread.join();
    }

    @Override
    public void run() {
      while (running.get()) {
        StackTraceElement[] st = target.getStackTrace();
        if (st.length > 0) {
          total++;
          String top = st[0].getClassName().replaceAll(".*\\.", "") + "." + st[0].getMethodName();
          String ours = "(DL4J framework)";
          for (StackTraceElement e : st) {
            if (e.getClassName().startsWith("org.sparknmt.model")) {
              ours = e.getClassName().replaceAll(".*\\.", "") + "." + e.getMethodName();
              break;
            }
          }
          byOurFrame.merge(ours, 1, Integer::sum);
          byTopFrame.merge(top, 1, Integer::sum);
        }
        try {
          Thread.sleep(5);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    void print() {
      System.out.println("profile: " + total + " samples; innermost sparknmt frame:");
      top(byOurFrame);
      System.out.println("profile: top frame (native op entry points):");
      top(byTopFrame);
    }

    private void top(Map<String, Integer> m) {
      m.entrySet().stream()
          .sorted((x, y) -> y.getValue() - x.getValue())
          .limit(12)
          .forEach(
              e ->
                  System.out.printf(
                      Locale.ROOT, "  %5.1f%%  %s%n", 100.0 * e.getValue() / total, e.getKey()));
    }
  }
}
