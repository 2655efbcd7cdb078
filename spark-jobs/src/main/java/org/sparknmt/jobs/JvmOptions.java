package org.sparknmt.jobs;

/**
 * Prints the Java options every sparknmt JVM needs, so shell scripts in {@code deploy/} take them
 * from the application jar instead of keeping a copy: {@code java -cp sparknmt-app.jar
 * org.sparknmt.jobs.JvmOptions}.
 */
public final class JvmOptions {
  private JvmOptions() {}

  public static void main(String[] args) {
    System.out.println(BuildInfo.javaOptions());
  }
}
