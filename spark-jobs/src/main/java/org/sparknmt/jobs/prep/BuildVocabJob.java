package org.sparknmt.jobs.prep;

import java.util.List;
import org.sparknmt.jobs.Cli;
import picocli.CommandLine.Command;

/** {@link PrepareJob} with {@code --steps vocab} as its default. */
@Command(
    name = "build-vocab",
    mixinStandardHelpOptions = true,
    description = "Step 2: learn a joint BPE model from OUT/corpus into OUT/bpe.")
public final class BuildVocabJob extends PrepareJob {
  public static void main(String[] args) {
    Cli.main(new BuildVocabJob(), args);
  }

  @Override
  protected List<String> defaultSteps() {
    return List.of("vocab");
  }
}
