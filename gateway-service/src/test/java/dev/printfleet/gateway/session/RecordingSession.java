package dev.printfleet.gateway.session;

import dev.printfleet.common.auth.Principal;
import dev.printfleet.common.auth.Role;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A session whose wire is a list, for tests of what sits above a transport: what a transport would
 * write, and the code it was closed with. Its socket fills when a test says so.
 */
public class RecordingSession extends BaseSession {

  public final List<Outgoing> written = new ArrayList<>();
  public short closedCode;
  public int pings;

  /** Whether the socket takes no more for now (a slow peer). */
  public boolean full;

  /** Agent agent-1 of company acme, branch b1, its token valid for the given time. */
  public static Principal agent(Duration valid) {
    return new Principal(
        "agent-1", Role.AGENT, "acme", Optional.of("b1"), Set.of(), Instant.now().plus(valid));
  }

  public RecordingSession(Kind kind, Principal principal, Limits limits) {
    super(
        kind, Protocol.WEBSOCKET, principal, limits, new GatewayMetrics(new SimpleMeterRegistry()));
  }

  @Override
  protected void write(Outgoing message) {
    written.add(message);
  }

  @Override
  protected void closeTransport(short code, String reason) {
    closedCode = code;
  }

  @Override
  protected void ping() {
    pings++;
  }

  @Override
  public boolean writeQueueFull() {
    return full;
  }

  @Override
  public boolean compressed() {
    return false;
  }
}
