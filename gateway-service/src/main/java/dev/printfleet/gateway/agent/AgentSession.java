package dev.printfleet.gateway.agent;

import dev.printfleet.common.auth.Principal;
import dev.printfleet.common.protocol.Envelope;
import io.vertx.core.http.ServerWebSocket;
import java.time.Instant;

/** One connected agent: its socket and who it is. */
final class AgentSession {

  final String sessionId;
  final Principal principal;
  final ServerWebSocket socket;
  final Instant connectedAt = Instant.now();
  volatile boolean closed;

  AgentSession(String sessionId, Principal principal, ServerWebSocket socket) {
    this.sessionId = sessionId;
    this.principal = principal;
    this.socket = socket;
  }

  String agentId() {
    return principal.subject();
  }

  String company() {
    return principal.company();
  }

  String branch() {
    return principal.branch().orElseThrow();
  }

  void send(Envelope envelope) {
    if (!closed) {
      socket.writeTextMessage(envelope.encode());
    }
  }

  void close(short code, String reason) {
    if (!closed) {
      closed = true;
      socket.close(code, reason);
    }
  }
}
