package org.sparknmt.jobs.decode;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.sparknmt.jobs.UserError;
import org.sparknmt.jobs.store.ModelBundle;
import org.sparknmt.model.ModelConfig;
import org.sparknmt.model.SearchOptions;
import org.sparknmt.model.Translator;
import org.sparknmt.prep.bpe.BpeModel;

/**
 * The decoding settings ({@link DecodeSettings}) bound to a model configuration and BPE model: a
 * serialisable {@link TextTranslator.Factory} that validation, EvaluateJob and TranslateJob (on the
 * executors) share.
 */
public record Decoding(DecodeSettings settings, String modelConfigJson, BpeModel bpe)
    implements TextTranslator.Factory {
  private static final long serialVersionUID = 1L;

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
    SearchOptions options = settings.searchOptions();
    TextTranslator.IdDecoder ids = src -> translator.translate(src, options);
    return new TextTranslator(bpe, ids, settings.batchSentences(), cfg.maxLength());
  }

  /** Decodes {@code sources} with {@code model} (convenience for one-off use). */
  public List<String> translate(ComputationGraph model, List<String> sources) {
    return create(model).translate(sources);
  }
}
