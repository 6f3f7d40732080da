package dev.printfleet.gateway.channels;

import java.util.regex.Pattern;

/**
 * A message's place in its channel's history: a Redis stream id, {@code <milliseconds>-<sequence>},
 * ordered as the two numbers (not as text).
 */
public record Offset(long millis, long sequence) implements Comparable<Offset> {

  private static final Pattern TEXT = Pattern.compile("\\d{1,19}-\\d{1,19}");

  /** The offset a text names, or null when it names none. */
  public static Offset parse(String text) {
    if (text == null || !TEXT.matcher(text).matches()) {
      return null;
    }
    int dash = text.indexOf('-');
    try {
      return new Offset(
          Long.parseLong(text.substring(0, dash)), Long.parseLong(text.substring(dash + 1)));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  @Override
  public int compareTo(Offset other) {
    int byMillis = Long.compare(millis, other.millis);
    return byMillis != 0 ? byMillis : Long.compare(sequence, other.sequence);
  }

  @Override
  public String toString() {
    return millis + "-" + sequence;
  }
}
