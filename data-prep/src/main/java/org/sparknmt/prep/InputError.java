package org.sparknmt.prep;

/**
 * Bad input the user can fix: a missing or unreadable path, empty input, mismatched line counts,
 * invalid UTF-8. The message names the file (and line) and is meant to be shown as is; the jobs
 * turn it into their user-error exit.
 */
public class InputError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public InputError(String message) {
    super(message);
  }

  public InputError(String message, Throwable cause) {
    super(message, cause);
  }
}
