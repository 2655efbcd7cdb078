package org.sparknmt.jobs;

/**
 * A failure the user can fix (bad path, bad input, bad configuration). Jobs print only its message
 * (no stack trace) and exit with {@link Cli#EXIT_USER_ERROR}.
 */
public class UserError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public UserError(String message) {
    super(message);
  }

  public UserError(String message, Throwable cause) {
    super(message, cause);
  }
}
