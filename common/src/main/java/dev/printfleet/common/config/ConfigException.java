package dev.printfleet.common.config;

/** A setting that is missing or malformed. The message is the one line an operator reads. */
public final class ConfigException extends RuntimeException {

  private final String variable;

  public ConfigException(String variable, String problem) {
    super(variable + " " + problem);
    this.variable = variable;
  }

  public String variable() {
    return variable;
  }
}
