package org.sparknmt.jobs.prep;

import java.util.List;
import org.sparknmt.jobs.Cli;
import picocli.CommandLine.Command;

/** {@link PrepareJob} with {@code --steps shard} as its default. */
@Command(
    name = "shard",
    mixinStandardHelpOptions = true,
    description =
        "Step 3: encode, bucket and write MultiDataSet shards + manifest into OUT/shards.")
public final class ShardJob extends PrepareJob {
  public static void main(String[] args) {
    Cli.main(new ShardJob(), args);
  }

  @Override
  protected List<String> defaultSteps() {
    return List.of("shard");
  }
}
