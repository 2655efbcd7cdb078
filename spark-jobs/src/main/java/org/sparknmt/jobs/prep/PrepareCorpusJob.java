package org.sparknmt.jobs.prep;

import java.util.List;
import org.sparknmt.jobs.Cli;
import picocli.CommandLine.Command;

/** {@link PrepareJob} with {@code --steps corpus} as its default. */
@Command(
    name = "prepare-corpus",
    mixinStandardHelpOptions = true,
    description = "Step 1: validate, normalise and filter a parallel corpus into OUT/corpus.")
public final class PrepareCorpusJob extends PrepareJob {
  public static void main(String[] args) {
    Cli.main(new PrepareCorpusJob(), args);
  }

  @Override
  protected List<String> defaultSteps() {
    return List.of("corpus");
  }
}
