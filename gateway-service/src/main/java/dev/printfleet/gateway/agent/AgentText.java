package dev.printfleet.gateway.agent;

/**
 * Bounds on the free text agents send beside their printer lists: a status's {@code detail} and a
 * result's {@code error} travel to every gateway and dashboard and into PostgreSQL, which refuses
 * NUL in text. Checked before anything is forwarded.
 */
final class AgentText {

  static final int MAX_DETAIL_LENGTH = 1024;
  static final int MAX_JOB_ID_LENGTH = 64;

  private AgentText() {}

  /** Free text: at most {@code max} characters and no control character but tab and line breaks. */
  static boolean isFreeText(String text, int max) {
    if (text.length() > max) {
      return false;
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
        return false;
      }
    }
    return true;
  }

  /** An identifier or a name: no control character at all. */
  static boolean isPlain(String text) {
    for (int i = 0; i < text.length(); i++) {
      if (Character.isISOControl(text.charAt(i))) {
        return false;
      }
    }
    return true;
  }
}
