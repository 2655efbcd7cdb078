package org.sparknmt.jobs;

/**
 * Another job holds the lock this job needs (a run directory, a model name): printed as one line
 * naming the holder, exit code {@link Cli#EXIT_LOCKED}, so that a scheduler can tell "already
 * running" from a failure.
 */
public class LockedError extends UserError {
  private static final long serialVersionUID = 1L;

  public LockedError(String message) {
    super(message);
  }
}
