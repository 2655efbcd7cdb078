package org.sparknmt.model.metrics;

import java.util.regex.Pattern;

/**
 * sacreBLEU's default BLEU tokenizer {@code 13a} (the tokenization of mteval-v13a.pl), as in
 * sacreBLEU 2.x ({@code tokenizers/tokenizer_13a.py} + {@code tokenizer_re.py}).
 *
 * <p>Only ASCII punctuation is split off; curly quotes, ¿, ¡ and all non-ASCII symbols stay
 * attached to their words, exactly as in sacreBLEU. "." and "," are split unless they sit between
 * digits; "-" is split after a digit.
 */
public final class Tokenizer13a {

  /** {@code {|}~ [\]^_` space!"#$%& ()*+ :;<=>?@ /} — every ASCII punctuation except . , - ' */
  private static final Pattern PUNCT = Pattern.compile("([\\{-\\~\\[-\\` -\\&\\(-\\+\\:-\\@\\/])");

  private static final Pattern PERIOD_COMMA_NOT_AFTER_DIGIT = Pattern.compile("([^0-9])([\\.,])");
  private static final Pattern PERIOD_COMMA_NOT_BEFORE_DIGIT = Pattern.compile("([\\.,])([^0-9])");
  private static final Pattern DASH_AFTER_DIGIT = Pattern.compile("([0-9])(-)");

  private Tokenizer13a() {}

  /** Tokenizes one segment; tokens are separated by single spaces, no leading/trailing space. */
  public static String tokenize(String line) {
    line = line.replace("<skipped>", "");
    line = line.replace("-\n", "");
    line = line.replace("\n", " ");
    if (line.indexOf('&') >= 0) {
      line = line.replace("&quot;", "\"");
      line = line.replace("&amp;", "&");
      line = line.replace("&lt;", "<");
      line = line.replace("&gt;", ">");
    }
    line = " " + line + " ";
    line = PUNCT.matcher(line).replaceAll(" $1 ");
    line = PERIOD_COMMA_NOT_AFTER_DIGIT.matcher(line).replaceAll("$1 $2 ");
    line = PERIOD_COMMA_NOT_BEFORE_DIGIT.matcher(line).replaceAll(" $1 $2");
    line = DASH_AFTER_DIGIT.matcher(line).replaceAll("$1 $2 ");
    return String.join(" ", PyText.split(line));
  }
}
