package org.sparknmt.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.Iterator;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sparknmt.model.layers.SequenceLossLayerImpl;
import org.sparknmt.model.layers.TransformerVertexImpl;

/**
 * Cross-check against an independent implementation: PyTorch's nn.TransformerEncoderLayer /
 * DecoderLayer with the same weights (fixtures written by {@code
 * model/src/test/python/make_torch_fixtures.py}); logits at real target positions must agree to
 * 1e-4 in float64.
 */
class TorchCrossCheckTest {
  private static final Logger LOG = LoggerFactory.getLogger(TorchCrossCheckTest.class);

  private static INDArray array(JsonNode n) {
    if (!n.get(0).isArray()) {
      double[] v = new double[n.size()];
      for (int i = 0; i < v.length; i++) {
        v[i] = n.get(i).asDouble();
      }
      return Nd4j.createFromArray(v);
    }
    if (!n.get(0).get(0).isArray()) {
      double[][] v = new double[n.size()][];
      for (int i = 0; i < v.length; i++) {
        v[i] = new double[n.get(i).size()];
        for (int j = 0; j < v[i].length; j++) {
          v[i][j] = n.get(i).get(j).asDouble();
        }
      }
      return Nd4j.createFromArray(v);
    }
    INDArray first = array(n.get(0));
    INDArray out = Nd4j.create(DataType.DOUBLE, n.size(), first.size(0), first.size(1));
    for (int i = 0; i < n.size(); i++) {
      out.putSlice(i, array(n.get(i)));
    }
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"postnorm", "prenorm"})
  void logitsMatchPyTorch(String variant) throws Exception {
    JsonNode doc;
    try (InputStream in = getClass().getResourceAsStream("/torch/logits-" + variant + ".json")) {
      doc = new ObjectMapper().readTree(in);
    }
    JsonNode c = doc.get("config");
    ModelConfig cfg =
        new ModelConfig.Builder()
            .vocabSize(c.get("vocabSize").asInt())
            .dModel(c.get("dModel").asInt())
            .heads(c.get("heads").asInt())
            .layers(c.get("layers").asInt())
            .dFF(c.get("dFF").asInt())
            .preNorm(c.get("preNorm").asBoolean())
            .tiedEmbeddings(c.get("tiedEmbeddings").asBoolean())
            .dropout(0)
            .build();
    ComputationGraph g = TransformerFactory.build(cfg, DataType.DOUBLE, new NoOp());
    int loaded = 0;
    for (Iterator<Map.Entry<String, JsonNode>> it = doc.get("weights").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String[] key = e.getKey().split("/");
      INDArray target =
          key[0].equals(TransformerFactory.OUTPUT)
              ? g.getLayer(key[0]).getParam(key[1])
              : ((TransformerVertexImpl) g.getVertex(key[0])).param(key[1]);
      INDArray value = array(e.getValue());
      assertEquals(target.length(), value.length(), e.getKey());
      target.assign(value.reshape(target.shape()));
      loaded += (int) value.length();
    }
    assertEquals(g.params().length(), loaded, "every parameter comes from the fixture");

    INDArray src = array(doc.get("src"));
    INDArray tgt = array(doc.get("tgt"));
    INDArray[] masks = {array(doc.get("srcMask")), array(doc.get("tgtMask"))};
    g.setLayerMaskArrays(masks, null);
    INDArray decoded =
        g.feedForward(new INDArray[] {src, tgt}, false, false)
            .get(TransformerFactory.decoderOutput(cfg)); // [B, T, d_model]
    long b0 = decoded.size(0);
    long t0 = decoded.size(1);
    INDArray logits =
        ((SequenceLossLayerImpl) g.getLayer(TransformerFactory.OUTPUT))
            .logits(decoded.reshape('c', b0 * t0, cfg.dModel()))
            .reshape('c', b0, t0, cfg.vocabSize());
    g.clearLayerMaskArrays();
    INDArray expected = array(doc.get("logits"));
    double maxDiff = 0;
    for (int b = 0; b < tgt.size(0); b++) {
      for (int t = 0; t < tgt.size(1); t++) {
        if (masks[1].getDouble(b, t) == 0) {
          continue; // PyTorch's padded positions are not defined the same way
        }
        for (int v = 0; v < cfg.vocabSize(); v++) {
          maxDiff =
              Math.max(maxDiff, Math.abs(logits.getDouble(b, t, v) - expected.getDouble(b, t, v)));
        }
      }
    }
    LOG.info("{}: max |logit difference| vs PyTorch {} = {}", variant, doc.get("torch"), maxDiff);
    assertTrue(maxDiff <= 1e-4, "max |Δ| = " + maxDiff);
    assertTrue(expected.amaxNumber().doubleValue() > 0.1, "fixture logits are not trivial");
  }
}
