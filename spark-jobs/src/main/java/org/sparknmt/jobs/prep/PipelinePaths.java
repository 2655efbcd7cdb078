package org.sparknmt.jobs.prep;

import org.apache.hadoop.fs.Path;

/** Where each step of the corpus pipeline reads and writes, under {@code sparknmt.data.output}. */
final class PipelinePaths {
  private PipelinePaths() {}

  /** {@code OUT/step}. */
  static String step(PrepConfig cfg, String step) {
    return new Path(cfg.requireOutput(), step).toString();
  }

  /** {@code OUT/step/child}. */
  static String in(PrepConfig cfg, String step, String child) {
    return new Path(step(cfg, step), child).toString();
  }
}
