package dev.printfleet.gateway.channels;

/**
 * A message's place in its channel's history: a Redis stream id, {@code <milliseconds>-<sequence>},
 * ordered as the two numbers (not as text).
 */
public record Offset(long millis, long sequence) implements Comparable<Offset> {

  private static final int MAX_DIGITS = 19;

  /**
   * The offset a text names ({@code <1 to 19 digits>-<1 to 19 digits>}, each a long), or null when
   * it names none. Read by hand, not by a regular expression: the gateway parses one per job event.
   */
  public static Offset parse(String text) {
    if (text == null || text.length() > 2 * MAX_DIGITS + 1) {
      return null;
    }
    int dash = text.indexOf('-');
    if (!digits(text, 0, dash) || !digits(text, dash + 1, text.length())) {
      return null;
    }
    try {
      return new Offset(
          Long.parseLong(text, 0, dash, 10), Long.parseLong(text, dash + 1, text.length(), 10));
    } catch (NumberFormatException e) {
      return null; // 19 digits past Long.MAX_VALUE
    }
  }

  private static boolean digits(String text, int from, int to) {
    if (from < 0 || to - from < 1 || to - from > MAX_DIGITS) {
      return false;
    }
    for (int i = from; i < to; i++) {
      char c = text.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
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
