package org.sparknmt.jobs.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigValueFactory;
import java.io.File;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.sparknmt.jobs.UserError;

/**
 * The resolved configuration of a run: {@code reference.conf} (every default, in one place) ← the
 * {@code --conf} files ← the {@code --set} overrides. Accessors fail with a {@link UserError} that
 * names the key, the value and what is allowed; unknown keys under {@code sparknmt} are rejected so
 * a typo never silently falls back to a default.
 */
public final class Settings {
  private final Config config;

  private Settings(Config config) {
    this.config = config;
  }

  /** Loads and validates the configuration for {@code options}. */
  public static Settings load(ConfigOptions options) {
    Config reference = ConfigFactory.defaultReference(Settings.class.getClassLoader());
    Config layered = ConfigFactory.empty();
    List<String> overrides = options.overrides();
    for (int i = overrides.size() - 1; i >= 0; i--) { // the last --set of a key wins
      String override = overrides.get(i);
      int eq = override.indexOf('=');
      if (eq <= 0) {
        throw new UserError("--set expects KEY=VALUE, got '" + override + "'");
      }
      String key = override.substring(0, eq).trim();
      String value = override.substring(eq + 1).trim();
      layered = layered.withFallback(parseOverride(key, value));
    }
    List<String> files = options.files();
    for (int i = files.size() - 1; i >= 0; i--) {
      layered = layered.withFallback(parseFile(files.get(i)));
    }
    Config merged;
    try {
      merged =
          layered
              .withFallback(reference)
              .resolve(ConfigResolveOptions.defaults().setAllowUnresolved(false));
    } catch (ConfigException e) {
      throw new UserError("configuration: " + e.getMessage(), e);
    }
    rejectUnknownKeys(merged, reference);
    return new Settings(merged);
  }

  /** Defaults only (tests, tools). */
  public static Settings defaults() {
    return load(new ConfigOptions());
  }

  private static Config parseOverride(String key, String value) {
    try {
      // Parse as HOCON so numbers, booleans and lists keep their types; fall back to a string.
      return ConfigFactory.parseString(key + " = " + value).atPath("__x").getConfig("__x");
    } catch (ConfigException e) {
      try {
        return ConfigFactory.empty().withValue(key, ConfigValueFactory.fromAnyRef(value));
      } catch (ConfigException e2) {
        throw new UserError("--set " + key + "=" + value + ": " + e2.getMessage(), e2);
      }
    }
  }

  private static Config parseFile(String name) {
    try {
      if (name.startsWith("classpath:")) {
        String res = name.substring("classpath:".length());
        Config c =
            ConfigFactory.parseResources(
                Settings.class.getClassLoader(),
                res,
                ConfigParseOptions.defaults().setAllowMissing(false));
        return c;
      }
      File f = new File(name);
      if (!f.isFile()) {
        throw new UserError("configuration file not found: " + f.getAbsolutePath());
      }
      return ConfigFactory.parseFile(f, ConfigParseOptions.defaults().setAllowMissing(false));
    } catch (ConfigException e) {
      throw new UserError("configuration file " + name + ": " + e.getMessage(), e);
    }
  }

  private static void rejectUnknownKeys(Config merged, Config reference) {
    for (var entry : merged.entrySet()) {
      String key = entry.getKey();
      if (!key.startsWith("sparknmt.")) {
        continue;
      }
      if (!reference.hasPathOrNull(key) && !underFreeFormSection(key, reference)) {
        throw new UserError(
            "unknown configuration key '"
                + key
                + "' (set to "
                + entry.getValue().render(ConfigRenderOptions.concise())
                + "); see reference.conf for the keys that exist");
      }
    }
  }

  /** Sections whose keys are free-form (e.g. extra Spark properties). */
  private static boolean underFreeFormSection(String key, Config reference) {
    for (String section : Set.of("sparknmt.spark.conf")) {
      if (key.startsWith(section + ".")) {
        return true;
      }
    }
    return false;
  }

  public Config raw() {
    return config;
  }

  /**
   * These settings with {@code key} set to {@code value} (e.g. an output directory a job derives),
   * validated like a {@code --set}.
   */
  public Settings with(String key, String value) {
    return new Settings(config.withValue(key, ConfigValueFactory.fromAnyRef(value)));
  }

  /** True if {@code key} is set to {@code null}: "not set, use the default in code". */
  public boolean isUnset(String key) {
    return config.hasPathOrNull(key) && config.getIsNull(key);
  }

  /** An integer in {@code [min, max]}, or empty when the key is {@code null}. */
  public java.util.OptionalInt optionalInteger(String key, int min, int max) {
    return isUnset(key)
        ? java.util.OptionalInt.empty()
        : java.util.OptionalInt.of(integer(key, min, max));
  }

  /** A number in {@code [min, max]}, or empty when the key is {@code null}. */
  public java.util.OptionalDouble optionalReal(String key, double min, double max) {
    return isUnset(key)
        ? java.util.OptionalDouble.empty()
        : java.util.OptionalDouble.of(real(key, min, max));
  }

  public boolean has(String key) {
    return config.hasPath(key);
  }

  public String string(String key) {
    try {
      return config.getString(key);
    } catch (ConfigException e) {
      throw new UserError(describe(key, "a string", e), e);
    }
  }

  public boolean bool(String key) {
    try {
      return config.getBoolean(key);
    } catch (ConfigException e) {
      throw new UserError(describe(key, "true or false", e), e);
    }
  }

  public int integer(String key, int min, int max) {
    int v;
    try {
      v = config.getInt(key);
    } catch (ConfigException e) {
      throw new UserError(describe(key, "an integer", e), e);
    }
    if (v < min || v > max) {
      throw new UserError(
          "configuration key '" + key + "' = " + v + ": allowed " + min + " to " + max);
    }
    return v;
  }

  public long longValue(String key, long min, long max) {
    long v;
    try {
      v = config.getLong(key);
    } catch (ConfigException e) {
      throw new UserError(describe(key, "an integer", e), e);
    }
    if (v < min || v > max) {
      throw new UserError(
          "configuration key '" + key + "' = " + v + ": allowed " + min + " to " + max);
    }
    return v;
  }

  public double real(String key, double min, double max) {
    double v;
    try {
      v = config.getDouble(key);
    } catch (ConfigException e) {
      throw new UserError(describe(key, "a number", e), e);
    }
    if (!(v >= min && v <= max)) {
      throw new UserError(
          "configuration key '" + key + "' = " + v + ": allowed " + min + " to " + max);
    }
    return v;
  }

  /** One of {@code allowed} (case-sensitive). */
  public String choice(String key, String... allowed) {
    String v = string(key);
    for (String a : allowed) {
      if (a.equals(v)) {
        return v;
      }
    }
    throw new UserError(
        "configuration key '" + key + "' = '" + v + "': allowed " + String.join(", ", allowed));
  }

  public List<String> strings(String key) {
    try {
      return config.getStringList(key);
    } catch (ConfigException e) {
      throw new UserError(describe(key, "a list of strings", e), e);
    }
  }

  /**
   * The whole sparknmt configuration as JSON, for writing next to every run and model, with the
   * value of every extra Spark property whose name looks secret ({@link #SECRET_KEY}, e.g. {@code
   * sparknmt.spark.conf."spark.ssl.keyPassword"}) replaced by {@link #REDACTED}. A keytab's path
   * and a principal are kept: they are not secrets.
   */
  public String toJson() {
    Config sparknmt = config.getConfig("sparknmt");
    for (var entry : sparknmt.getConfig(SPARK_CONF).entrySet()) {
      if (SECRET_KEY.matcher(entry.getKey()).find()) {
        sparknmt =
            sparknmt.withValue(
                SPARK_CONF + "." + entry.getKey(), ConfigValueFactory.fromAnyRef(REDACTED));
      }
    }
    return sparknmt.root().render(ConfigRenderOptions.concise().setFormatted(true).setJson(true));
  }

  /** Extra Spark properties ({@code sparknmt.spark.conf}), relative to {@code sparknmt}. */
  private static final String SPARK_CONF = "spark.conf";

  /**
   * Spark property names whose values are never written: Spark's default {@code
   * spark.redaction.regex}.
   */
  public static final Pattern SECRET_KEY =
      Pattern.compile("(?i)secret|password|token|access[.]key");

  /** What a secret value is written as (Spark's own redaction text). */
  public static final String REDACTED = "*********(redacted)";

  private static String describe(String key, String expected, ConfigException e) {
    if (e instanceof ConfigException.Missing) {
      return "configuration key '" + key + "' is missing (expected " + expected + ")";
    }
    return "configuration key '" + key + "': expected " + expected + " (" + e.getMessage() + ")";
  }
}
