package org.sparknmt.jobs.proof;

import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.samediff.SDLayerParams;
import org.deeplearning4j.nn.conf.layers.samediff.SameDiffLayer;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.common.primitives.Pair;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A tiny custom SameDiff layer for the platform proof: {@code y = tanh(x W + b)}, x {@code [B,
 * nIn]}, W {@code [nIn, nOut]}, b {@code [1, nOut]}.
 *
 * <p>It carries the DL4J 1.0.0-M2/M2.1 workaround every custom {@link SameDiffLayer} of the project
 * needs: the runtime layer's backprop returns exactly twice the true gradients (a bug in {@code
 * ExternalErrorsFunction}, see the spike notes), so {@link #instantiate} returns {@link
 * HalvedBackprop}, which halves the incoming epsilon. {@code TanhDenseTest} gradient-checks it.
 */
public class TanhDense extends SameDiffLayer {
  private static final long serialVersionUID = 1L;

  private long nIn;
  private long nOut;

  /** For JSON deserialisation of the network configuration. */
  public TanhDense() {}

  public TanhDense(long nIn, long nOut) {
    this.nIn = nIn;
    this.nOut = nOut;
  }

  @Override
  public SDVariable defineLayer(
      SameDiff sd, SDVariable x, Map<String, SDVariable> params, SDVariable mask) {
    return sd.math().tanh(x.mmul(params.get("W")).add(params.get("b")));
  }

  @Override
  public void defineParameters(SDLayerParams params) {
    params.addWeightParam("W", nIn, nOut);
    params.addBiasParam("b", 1, nOut);
  }

  @Override
  public void initializeParameters(Map<String, INDArray> params) {
    // views into the network's flattened parameter vector: fill in place
    initWeights((int) nIn, (int) nOut, WeightInit.XAVIER, params.get("W"));
    params.get("b").assign(0);
  }

  @Override
  public InputType getOutputType(int layerIndex, InputType inputType) {
    return InputType.feedForward(nOut);
  }

  @Override
  public void setNIn(InputType inputType, boolean override) {
    if (nIn <= 0 || override) {
      nIn = ((InputType.InputTypeFeedForward) inputType).getSize();
    }
  }

  @Override
  public Layer instantiate(
      NeuralNetConfiguration conf,
      Collection<TrainingListener> listeners,
      int layerIndex,
      INDArray paramsView,
      boolean initializeParams,
      DataType dataType) {
    // as SameDiffLayer.instantiate, with the gradient-halving runtime layer
    HalvedBackprop layer = new HalvedBackprop(conf, dataType);
    layer.setIndex(layerIndex);
    layer.setParamsViewArray(paramsView);
    layer.setParamTable(initializer().init(conf, paramsView, initializeParams));
    layer.setConf(conf);
    return layer;
  }

  /** The runtime layer with the 2x-gradient bug of DL4J 1.0.0-M2/M2.1 compensated. */
  static final class HalvedBackprop extends org.deeplearning4j.nn.layers.samediff.SameDiffLayer {
    private static final long serialVersionUID = 1L;

    HalvedBackprop(NeuralNetConfiguration conf, DataType dataType) {
      super(conf, dataType);
    }

    @Override
    public Pair<Gradient, INDArray> backpropGradient(INDArray epsilon, LayerWorkspaceMgr mgr) {
      return super.backpropGradient(epsilon.mul(0.5), mgr);
    }
  }

  public long getNIn() {
    return nIn;
  }

  public void setNIn(long nIn) {
    this.nIn = nIn;
  }

  public long getNOut() {
    return nOut;
  }

  public void setNOut(long nOut) {
    this.nOut = nOut;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TanhDense t && super.equals(o) && nIn == t.nIn && nOut == t.nOut;
  }

  @Override
  public int hashCode() {
    return Objects.hash(super.hashCode(), nIn, nOut);
  }
}
