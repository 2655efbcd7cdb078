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
import org.sparknmt.model.SearchOptions;
import org.sparknmt.model.Translator;
import org.sparknmt.prep.bpe.BpeModel;

/**
 * The decoding settings of {@code sparknmt.decode.*} (greedy or beam search, beam size, GNMT length
 * penalty, fairseq's max-len-a/max-len-b length limit and no-repeat-ngram-size, batch size) bound
 * to a model configuration and BPE model: a serialisable {@link TextTranslator.Factory} that
 * validation, EvaluateJob and TranslateJob (on the executors) share.
 */
public record Decoding(
    String method,
    int beamSize,
    double lengthPenalty,
    double maxLenA,
    int maxLenB,
    int noRepeatNgramSize,
    int batchSentences,
    String modelConfigJson,
    BpeModel bpe)
    implements TextTranslator.Factory {
  private static final long serialVersionUID = 1L;

  public static Decoding factory(Settings s, ModelConfig modelConfig, BpeModel bpe) {
    String p = "sparknmt.decode.";
    double maxLenA = s.real(p + "max-len-a", 0, 100);
    int maxLenB = s.integer(p + "max-len-b", 0, 10_000);
    if (maxLenA == 0 && maxLenB == 0) {
      throw new UserError(
          "configuration keys '"
              + p
              + "max-len-a' and '"
              + p
              + "max-len-b' are both 0: the output length limit a·|source| + b allows no token;"
              + " set max-len-b >= 1 or max-len-a > 0");
    }
    return new Decoding(
        s.choice(p + "method", "greedy", "beam"),
        s.integer(p + "beam-size", 1, 64),
        s.real(p + "length-penalty", 0, 10),
        maxLenA,
        maxLenB,
        s.integer(p + "no-repeat-ngram-size", 0, 100),
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
    SearchOptions options =
        "greedy".equals(method)
            ? new SearchOptions(1, 0.0, maxLenA, maxLenB, noRepeatNgramSize)
            : new SearchOptions(beamSize, lengthPenalty, maxLenA, maxLenB, noRepeatNgramSize);
    TextTranslator.IdDecoder ids = src -> translator.translate(src, options);
    return new TextTranslator(bpe, ids, batchSentences, cfg.maxLength());
  }

  /** Decodes {@code sources} with {@code model} (convenience for one-off use). */
  public List<String> translate(ComputationGraph model, List<String> sources) {
    return create(model).translate(sources);
  }
}
