package dev.printfleet.common.protocol.socketio;

/** A packet that breaks the Engine.IO or Socket.IO protocol; the message says how. */
public final class ProtocolException extends Exception {

  public ProtocolException(String message) {
    super(message, null, false, false);
  }
}
