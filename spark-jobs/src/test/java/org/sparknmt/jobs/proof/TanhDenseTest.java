package org.sparknmt.jobs.proof;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.gradientcheck.GradientCheckUtil;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;

/** The proof's SameDiff layer: exact gradients (with the 2x workaround) and a JSON round trip. */
class TanhDenseTest {
  private static ComputationGraphConfiguration conf() {
    return new NeuralNetConfiguration.Builder()
        .seed(7)
        .dataType(DataType.DOUBLE)
        .updater(new NoOp())
        .graphBuilder()
        .addInputs("in")
        .setInputTypes(InputType.feedForward(4))
        .addLayer("hidden", new TanhDense(4, 5), "in")
        .addLayer(
            "out",
            new OutputLayer.Builder(LossFunctions.LossFunction.MCXENT)
                .nIn(5)
                .nOut(3)
                .activation(Activation.SOFTMAX)
                .build(),
            "hidden")
        .setOutputs("out")
        .build();
  }

  @Test
  void gradientsMatchFiniteDifferences() {
    DataType before = Nd4j.dataType();
    Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    try {
      checkGradients();
    } finally {
      Nd4j.setDefaultDataTypes(before, before);
    }
  }

  private static void checkGradients() {
    ComputationGraph net = new ComputationGraph(conf());
    net.init();
    Nd4j.getRandom().setSeed(11);
    INDArray x = Nd4j.rand(DataType.DOUBLE, 6, 4).subi(0.5);
    INDArray y = Nd4j.zeros(DataType.DOUBLE, 6, 3);
    for (int i = 0; i < 6; i++) {
      y.putScalar(i, i % 3, 1.0);
    }
    boolean ok =
        GradientCheckUtil.checkGradients(
            new GradientCheckUtil.GraphConfig()
                .net(net)
                .inputs(new INDArray[] {x})
                .labels(new INDArray[] {y})
                .epsilon(1e-6)
                .maxRelError(1e-3)
                .minAbsoluteError(1e-8));
    assertTrue(ok, "gradient check failed: is DL4J's 2x SameDiffLayer gradient still compensated?");
  }

  @Test
  void configurationSurvivesJson() {
    ComputationGraphConfiguration c = conf();
    ComputationGraphConfiguration back = ComputationGraphConfiguration.fromJson(c.toJson());
    assertEquals(c, back);
    assertEquals(c.toJson(), back.toJson());
    assertEquals(4, layerOf(back).getNIn());
    assertEquals(5, layerOf(back).getNOut());
  }

  private static TanhDense layerOf(ComputationGraphConfiguration c) {
    return (TanhDense)
        ((org.deeplearning4j.nn.conf.graph.LayerVertex) c.getVertices().get("hidden"))
            .getLayerConf()
            .getLayer();
  }
}
