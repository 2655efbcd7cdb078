package org.sparknmt.jobs.decode;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.sparknmt.jobs.UserError;
import org.sparknmt.jobs.config.Settings;
import org.sparknmt.jobs.store.ModelBundle;
import org.sparknmt.model.ModelConfig;
import org.sparknmt.model.Translator;
import org.sparknmt.prep.bpe.BpeModel;

/**
 * The decoding settings of {@code sparknmt.decode.*} (greedy or beam search, beam size, GNMT length
 * penalty, maximum extra length, batch size) bound to a model configuration and BPE model: a
 * serialisable {@link TextTranslator.Factory} that validation, EvaluateJob and TranslateJob (on the
 * executors) share.
 */
public record Decoding(
    String method,
    int beamSize,
    double lengthPenalty,
    int maxExtraLength,
    int batchSentences,
    String modelConfigJson,
    BpeModel bpe)
    implements TextTranslator.Factory {
  private static final long serialVersionUID = 1L;

  public static Decoding factory(Settings s, ModelConfig modelConfig, BpeModel bpe) {
    String p = "sparknmt.decode.";
    return new Decoding(
        s.choice(p + "method", "greedy", "beam"),
        s.integer(p + "beam-size", 1, 64),
        s.real(p + "length-penalty", 0, 10),
        s.integer(p + "max-extra-length", 0, 10_000),
        s.integer(p + "batch-sentences", 1, 10_000),
        modelConfig.toJson(),
        bpe);
  }

  /** The decoding settings bound to a bundle's model configuration and BPE files. */
  public static Decoding forBundle(Settings s, ModelBundle bundle) {
    return factory(s, modelConfig(bundle), BpeModel.fromFiles(bundle.bpeFiles()));
  }

  /** The model configuration recorded in a bundle's config.json (its "model" entry). */
  public static ModelConfig modelConfig(ModelBundle bundle) {
    try {
      JsonNode root = new ObjectMapper().readTree(bundle.configJson());
      return ModelConfig.fromJson(root.path("model").toString());
    } catch (JsonProcessingException e) {
      throw new UserError("bundle " + bundle.uri() + " has an unreadable config.json", e);
    }
  }

  @Override
  public TextTranslator create(ComputationGraph model) {
    ModelConfig cfg = ModelConfig.fromJson(modelConfigJson);
    Translator translator = new Translator(model, cfg);
    TextTranslator.IdDecoder ids =
        "greedy".equals(method)
            ? src -> translator.greedy(src, maxExtraLength)
            : src -> translator.beam(src, beamSize, lengthPenalty, maxExtraLength);
    return new TextTranslator(bpe, ids, batchSentences, cfg.maxLength());
  }

  /** Decodes {@code sources} with {@code model} (convenience for one-off use). */
  public List<String> translate(ComputationGraph model, List<String> sources) {
    return create(model).translate(sources);
  }
}
