package dev.printfleet.gateway.transport.socketio;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The Engine.IO connections of one gateway instance, by sid, across its event loops: a polling
 * request or an upgrade may reach any loop, and finds its connection here. Connections that have
 * not joined a namespace yet (no token checked) are bounded, so handshakes alone cannot fill it.
 */
public final class EngineSockets {

  private final Map<String, EngineSocket> bySid = new ConcurrentHashMap<>();
  private final AtomicInteger unauthenticated = new AtomicInteger();
  private final int maxUnauthenticated;

  public EngineSockets(int maxUnauthenticated) {
    this.maxUnauthenticated = maxUnauthenticated;
  }

  EngineSocket get(String sid) {
    return bySid.get(sid);
  }

  /** Takes a new connection; false when too many wait for their CONNECT already. */
  boolean add(EngineSocket socket) {
    if (unauthenticated.incrementAndGet() > maxUnauthenticated) {
      unauthenticated.decrementAndGet();
      return false;
    }
    bySid.put(socket.sid(), socket);
    return true;
  }

  /**
   * The connection no longer waits for its CONNECT: it joined a namespace (its token was accepted),
   * or it closed first. Called once per connection.
   */
  void stoppedWaiting() {
    unauthenticated.decrementAndGet();
  }

  void remove(String sid) {
    bySid.remove(sid);
  }
}
