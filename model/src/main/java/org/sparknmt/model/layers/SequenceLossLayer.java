package org.sparknmt.model.layers;

import java.util.Collection;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.LossLayer;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.sparknmt.model.LabelSmoothedCrossEntropy;

/**
 * Output layer of the Transformer: softmax over the vocabulary for inference and, in training, the
 * label-smoothed cross-entropy averaged over real (unmasked) target tokens.
 *
 * <p>Input: logits [B, T, V] from {@link OutputProjection}. Labels: decoder output ids [B, 1, T] as
 * floating point indices (not one-hot); labels mask [B, T]. Output ({@code
 * ComputationGraph.output}): probabilities [B, T, V].
 */
public class SequenceLossLayer extends LossLayer {
  private static final long serialVersionUID = 1L;

  /** For JSON. */
  public SequenceLossLayer() {}

  /** The layer with label smoothing ε. */
  public static SequenceLossLayer of(double labelSmoothing) {
    SequenceLossLayer l = new SequenceLossLayer();
    l.setLossFn(new LabelSmoothedCrossEntropy(labelSmoothing));
    l.setActivationFn(Activation.SOFTMAX.getActivationFunction());
    return l;
  }

  @Override
  public org.deeplearning4j.nn.api.Layer instantiate(
      NeuralNetConfiguration conf,
      Collection<TrainingListener> trainingListeners,
      int layerIndex,
      INDArray layerParamsView,
      boolean initializeParams,
      DataType networkDataType) {
    SequenceLossLayerImpl ret = new SequenceLossLayerImpl(conf, networkDataType);
    ret.setListeners(trainingListeners);
    ret.setIndex(layerIndex);
    ret.setParamsViewArray(layerParamsView);
    ParamInitializer init = initializer();
    ret.setParamTable(init.init(conf, layerParamsView, initializeParams));
    ret.setConf(conf);
    return ret;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SequenceLossLayer && super.equals(o);
  }

  @Override
  public int hashCode() {
    return super.hashCode();
  }
}
