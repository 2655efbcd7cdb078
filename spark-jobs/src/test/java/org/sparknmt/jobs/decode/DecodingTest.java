package org.sparknmt.jobs.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.sparknmt.jobs.UserError;
import org.sparknmt.jobs.config.ConfigOptions;
import org.sparknmt.jobs.config.Settings;

/** The decoding keys of reference.conf and their validation. */
class DecodingTest {

  private static DecodeSettings with(String... overrides) {
    return DecodeSettings.from(Settings.load(new ConfigOptions(List.of(), List.of(overrides))));
  }

  @Test
  void defaultsComeFromReferenceConf() {
    DecodeSettings d = with();
    assertEquals(1.2, d.maxLenA());
    assertEquals(10, d.maxLenB());
    assertEquals(0, d.noRepeatNgramSize());
    DecodeSettings e =
        with(
            "sparknmt.decode.max-len-a=0",
            "sparknmt.decode.max-len-b=200",
            "sparknmt.decode.no-repeat-ngram-size=3");
    assertEquals(0.0, e.maxLenA());
    assertEquals(200, e.maxLenB());
    assertEquals(3, e.noRepeatNgramSize());
  }

  @Test
  void badValuesNameTheKey() {
    assertMessage(() -> with("sparknmt.decode.max-len-a=-1"), "sparknmt.decode.max-len-a");
    assertMessage(() -> with("sparknmt.decode.max-len-b=-5"), "sparknmt.decode.max-len-b");
    assertMessage(
        () -> with("sparknmt.decode.no-repeat-ngram-size=-1"),
        "sparknmt.decode.no-repeat-ngram-size");
    assertMessage(
        () -> with("sparknmt.decode.max-len-a=0", "sparknmt.decode.max-len-b=0"),
        "sparknmt.decode.max-len-b");
    assertMessage(() -> with("sparknmt.decode.max-extra-length=5"), "max-extra-length");
  }

  private static void assertMessage(Runnable r, String key) {
    UserError e = assertThrows(UserError.class, r::run);
    assertTrue(e.getMessage().contains(key), e.getMessage());
  }
}
