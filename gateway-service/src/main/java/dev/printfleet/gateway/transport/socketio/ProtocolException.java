package dev.printfleet.gateway.transport.socketio;

/** A packet that breaks the Engine.IO or Socket.IO protocol; the message says how. */
final class ProtocolException extends Exception {

  ProtocolException(String message) {
    super(message, null, false, false);
  }
}
