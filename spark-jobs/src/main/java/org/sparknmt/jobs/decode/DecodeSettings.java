package org.sparknmt.jobs.decode;

import org.sparknmt.jobs.UserError;
import org.sparknmt.jobs.config.Settings;
import org.sparknmt.jobs.store.ModelBundle;
import org.sparknmt.model.ModelConfig;
import org.sparknmt.model.SearchOptions;
import org.sparknmt.prep.bpe.BpeModel;

/**
 * The validated {@code sparknmt.decode.*} keys: greedy or beam search, beam size, GNMT length
 * penalty, fairseq's {@code max-len-a}/{@code max-len-b} output limit and {@code
 * no-repeat-ngram-size}, sentences per batch. {@link #bind} ties them to a model.
 */
public record DecodeSettings(
    String method,
    int beamSize,
    double lengthPenalty,
    double maxLenA,
    int maxLenB,
    int noRepeatNgramSize,
    int batchSentences)
    implements java.io.Serializable {
  private static final long serialVersionUID = 1L;

  public static DecodeSettings from(Settings s) {
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
    return new DecodeSettings(
        s.choice(p + "method", "greedy", "beam"),
        s.integer(p + "beam-size", 1, 64),
        s.real(p + "length-penalty", 0, 10),
        maxLenA,
        maxLenB,
        s.integer(p + "no-repeat-ngram-size", 0, 100),
        s.integer(p + "batch-sentences", 1, 10_000));
  }

  /** These settings bound to a model configuration and BPE model. */
  public Decoding bind(ModelConfig modelConfig, BpeModel bpe) {
    return new Decoding(this, modelConfig.toJson(), bpe);
  }

  /** The search these settings ask for (greedy is a beam of one without length penalty). */
  SearchOptions searchOptions() {
    return "greedy".equals(method)
        ? new SearchOptions(1, 0.0, maxLenA, maxLenB, noRepeatNgramSize)
        : new SearchOptions(beamSize, lengthPenalty, maxLenA, maxLenB, noRepeatNgramSize);
  }

  /** These settings bound to a bundle's model configuration and BPE files. */
  public Decoding bind(ModelBundle bundle) {
    return bind(Decoding.modelConfig(bundle), BpeModel.fromFiles(bundle.bpeFiles()));
  }
}
