package org.sparknmt.bench;

import java.util.Locale;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.DenseLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Does an ND4J native/BLAS setup really work, not just multiply fast? (1) ordinary ops in float
 * against the same ops in double: transposed matrix products, softmax, tanh, exp, reductions,
 * broadcasting; (2) a small DL4J ComputationGraph (2 hidden ReLU layers of 512, Adam) trained for a
 * fixed number of steps on a synthetic 10-class problem: the loss must fall, and the time per step
 * is reported. Prints one JSON line; exit code 1 if a check fails.
 */
public final class TrainCheck {

  private TrainCheck() {}

  public static void main(String[] args) {
    String label = args.length > 0 ? args[0] : "";
    int steps = args.length > 1 ? Integer.parseInt(args[1]) : 60;
    double opsErr = opsCheck();

    Nd4j.getRandom().setSeed(123);
    int nIn = 256;
    int classes = 10;
    int batch = 128;
    INDArray centroids = Nd4j.randn(DataType.FLOAT, classes, nIn);
    ComputationGraphConfiguration conf =
        new NeuralNetConfiguration.Builder()
            .seed(123)
            .dataType(DataType.FLOAT)
            .updater(new Adam(1e-3))
            .weightInit(WeightInit.XAVIER)
            .graphBuilder()
            .addInputs("in")
            .addLayer(
                "h1",
                new DenseLayer.Builder().nIn(nIn).nOut(512).activation(Activation.RELU).build(),
                "in")
            .addLayer(
                "h2",
                new DenseLayer.Builder().nIn(512).nOut(512).activation(Activation.RELU).build(),
                "h1")
            .addLayer(
                "out",
                new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                    .nIn(512)
                    .nOut(classes)
                    .activation(Activation.SOFTMAX)
                    .build(),
                "h2")
            .setOutputs("out")
            .build();
    ComputationGraph net = new ComputationGraph(conf);
    net.init();

    DataSet[] data = new DataSet[8];
    for (int i = 0; i < data.length; i++) {
      INDArray y = Nd4j.zeros(DataType.FLOAT, batch, classes);
      INDArray x = Nd4j.randn(DataType.FLOAT, batch, nIn).muli(2.0);
      for (int r = 0; r < batch; r++) {
        int c = (r * 7 + i) % classes;
        y.putScalar(r, c, 1.0);
        x.getRow(r).addi(centroids.getRow(c));
      }
      data[i] = new DataSet(x, y);
    }
    double first = net.score(data[0]);
    int warmup = 5;
    long t0 = 0;
    for (int s = 0; s < steps + warmup; s++) {
      if (s == warmup) {
        t0 = System.nanoTime();
      }
      net.fit(data[s % data.length]);
    }
    double msPerStep = (System.nanoTime() - t0) / 1e6 / steps;
    double last = net.score(data[0]);
    boolean ok = opsErr < 1e-4 && last < 0.5 * first && Double.isFinite(last);
    System.out.printf(
        Locale.ROOT,
        "{\"label\": \"%s\", \"check\": \"train\", \"ops_max_rel_err\": %.3g, \"loss_first\": %.5f,"
            + " \"loss_last\": %.5f, \"ms_per_step\": %.2f, \"steps\": %d, \"ok\": %s}%n",
        label,
        opsErr,
        first,
        last,
        msPerStep,
        steps,
        ok);
    System.out.flush();
    System.exit(ok ? 0 : 1);
  }

  /** Largest relative error of float ops against the same ops computed in double. */
  static double opsCheck() {
    Nd4j.getRandom().setSeed(7);
    INDArray a = Nd4j.randn(DataType.DOUBLE, 300, 200);
    INDArray b = Nd4j.randn(DataType.DOUBLE, 300, 150);
    INDArray v = Nd4j.randn(DataType.DOUBLE, 1, 200);
    double err = 0;
    err =
        Math.max(err, rel(a.transpose().mmul(b), a.castTo(DataType.FLOAT).transpose().mmul(f(b))));
    err = Math.max(err, rel(a.mmul(a.transpose()), f(a).mmul(f(a).transpose())));
    err = Math.max(err, rel(Transforms.softmax(a, true), Transforms.softmax(f(a), true)));
    err = Math.max(err, rel(Transforms.tanh(a, true), Transforms.tanh(f(a), true)));
    err = Math.max(err, rel(Transforms.exp(a.mul(0.1), true), Transforms.exp(f(a).mul(0.1), true)));
    err = Math.max(err, rel(a.sum(0), f(a).sum(0)));
    err = Math.max(err, rel(a.norm2(1), f(a).norm2(1)));
    err = Math.max(err, rel(a.addRowVector(v), f(a).addRowVector(f(v))));
    if (!a.argMax(1).equals(f(a).argMax(1))) {
      err = Math.max(err, 1.0);
    }
    return err;
  }

  private static INDArray f(INDArray x) {
    return x.castTo(DataType.FLOAT);
  }

  private static double rel(INDArray want, INDArray got) {
    INDArray g = got.castTo(DataType.DOUBLE);
    double scale = Math.max(1e-12, want.norm2Number().doubleValue());
    return want.sub(g).norm2Number().doubleValue() / scale;
  }
}
