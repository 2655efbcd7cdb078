package org.sparknmt.jobs;

import java.net.URI;
import org.apache.hadoop.fs.Path;
import org.sparknmt.jobs.prep.PreparePipeline;

/**
 * The layout of a job's work directory, on any Hadoop URI — owned here, not spelled out by each
 * job:
 *
 * <pre>
 * WORK/data/           the corpus pipeline's output: corpus/, bpe/, shards/ (or sparknmt.data.output)
 * WORK/run/            the training run: checkpoints/, report/, its pointers
 * WORK/models/NAME/    the model store (WORK is its root): versions, champion, history, lock
 * WORK/parts/          RetrainJob's part cache (cleaned corpus parts by content hash)
 * WORK/runs/KEY/       one retraining per (snapshot, configuration): a work directory of its own
 *                      (data/, run/) and its outcome.json
 * </pre>
 *
 * @param data where the corpus pipeline writes (normally {@code root/data})
 */
public record WorkDirectory(Path root, Path data) {
  /** A finished retraining's record, in its work directory. */
  public static final String OUTCOME = "outcome.json";

  /** The layout under {@code root}. */
  public static WorkDirectory at(URI root) {
    Path r = new Path(root);
    return new WorkDirectory(r, new Path(r, "data"));
  }

  /** This layout with the corpus pipeline's output elsewhere ({@code sparknmt.data.output}). */
  public WorkDirectory withData(String dataOutput) {
    return dataOutput == null || dataOutput.isBlank()
        ? this
        : new WorkDirectory(root, new Path(dataOutput));
  }

  /** The shard directory the shard step writes and training reads. */
  public URI shards() {
    return new Path(data, PreparePipeline.outputDirectory("shard")).toUri();
  }

  public URI run() {
    return new Path(root, "run").toUri();
  }

  /** The training report's page. */
  public URI report() {
    return new Path(new Path(root, "run"), "report/index.html").toUri();
  }

  /** The model store's root (the directory that holds {@code models/}). */
  public URI models() {
    return root.toUri();
  }

  public URI partCache() {
    return new Path(root, "parts").toUri();
  }

  /** The work directory of one retraining. */
  public WorkDirectory retraining(String key) {
    return at(new Path(new Path(root, "runs"), key).toUri());
  }

  /** A finished retraining's record (see RetrainJob). */
  public URI outcome() {
    return new Path(root, OUTCOME).toUri();
  }
}
