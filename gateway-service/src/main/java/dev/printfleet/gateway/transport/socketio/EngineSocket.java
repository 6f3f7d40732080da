package dev.printfleet.gateway.transport.socketio;

import dev.printfleet.common.lifecycle.OnEventLoop;
import dev.printfleet.common.protocol.socketio.EnginePacket;
import dev.printfleet.common.protocol.socketio.ProtocolException;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.ServerWebSocket;
import io.vertx.core.http.impl.WebSocketInternal;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One Engine.IO connection: its sid, the transport it uses now (HTTP long polling, or a WebSocket
 * from the start or after an upgrade from polling) and the packets it owes the peer. Confined to
 * the event loop of the handshake: requests and frames that reach another loop hop here first
 * (their handlers are set on their own loop at once, so nothing arrives before them).
 */
final class EngineSocket {

  /** What the Socket.IO layer does with the connection. */
  interface Listener {

    /** A message packet's data (a Socket.IO packet). */
    void message(String data);

    /** The peer answered a ping. */
    void pong();

    /** What the peer had unsent went below its limit. */
    void writable();

    /** The connection is gone, for this reason; nothing more is sent or received. */
    void closed(String reason);
  }

  /** Data of the ping and pong of an upgrade probe. */
  private static final String PROBE = "probe";

  /** How long a polling connection closed by this side keeps its last packets for the peer. */
  private static final long LINGER_MS = 10_000;

  /**
   * What polling keeps for a peer that does not fetch it, at most, as a multiple of its limit: the
   * endpoints stop sending at the limit ({@link #behind}); what still comes (answers, errors) is
   * bounded here, and a peer past it is closed.
   */
  private static final int HARD_LIMIT_FACTOR = 2;

  private final Vertx vertx;
  private final String sid;
  private final OnEventLoop loop;
  private final Runnable forget;
  private final AtomicBoolean posting = new AtomicBoolean();
  private volatile boolean joined;
  private volatile String postOrigin;
  private long maxQueuedBytes;
  private Listener listener;
  private ServerWebSocket socket;
  private ServerWebSocket probing;
  private boolean probed;
  private final ArrayDeque<String> queue = new ArrayDeque<>();
  private long queuedBytes;
  private boolean wasBehind;
  private HttpServerResponse waiting;
  private boolean closed;

  /**
   * @param maxQueuedBytes what the peer may have unsent before it is behind
   * @param forget removes the sid from the node's table once closed
   */
  EngineSocket(Vertx vertx, String sid, OnEventLoop loop, long maxQueuedBytes, Runnable forget) {
    this.vertx = vertx;
    this.sid = sid;
    this.loop = loop;
    this.maxQueuedBytes = maxQueuedBytes;
    this.forget = forget;
  }

  String sid() {
    return sid;
  }

  OnEventLoop loop() {
    return loop;
  }

  /** The peer joined a namespace (its token was accepted): its requests may be larger. */
  void joined(long bytes) {
    joined = true;
    maxQueuedBytes = bytes;
    if (socket != null) {
      socket.setWriteQueueMaxSize((int) Math.min(Integer.MAX_VALUE, bytes));
    }
  }

  boolean isJoined() {
    return joined;
  }

  /**
   * The Origin of the last polling POST: a browser sends none on a same-origin GET, so the
   * handshake's may be missing where the POST that carries the CONNECT has it.
   */
  String postOrigin() {
    return postOrigin;
  }

  void listen(Listener listener) {
    this.listener = listener;
  }

  boolean isClosed() {
    return closed;
  }

  /** Sends one packet on the transport in use. */
  void send(EnginePacket packet) {
    sendEncoded(packet.encode());
  }

  /** Sends one packet already encoded (shared by every session that receives it). */
  void sendEncoded(String packet) {
    if (closed) {
      return;
    }
    if (socket != null) {
      socket.writeTextMessage(packet);
      return;
    }
    queue.add(packet);
    queuedBytes += packet.length();
    flush();
    if (queuedBytes > HARD_LIMIT_FACTOR * maxQueuedBytes) {
      close("the peer does not fetch what it is sent");
    }
  }

  /** True while the peer has more unsent than it may. */
  boolean behind() {
    if (closed) {
      return false;
    }
    boolean behind;
    if (socket != null) {
      try {
        behind = !socket.isClosed() && socket.writeQueueFull();
      } catch (IllegalStateException e) {
        // Closed on its own loop meanwhile: what is sent to it is dropped, it is not behind.
        behind = false;
      }
    } else {
      behind = queuedBytes > maxQueuedBytes;
    }
    wasBehind |= behind;
    return behind;
  }

  // ---- WebSocket

  /** The WebSocket this connection was opened on (no polling before it); on this loop. */
  void openedOn(ServerWebSocket socket) {
    this.socket = socket;
    socket.setWriteQueueMaxSize((int) Math.min(Integer.MAX_VALUE, maxQueuedBytes));
    handle(socket);
  }

  /** Sets a WebSocket's handlers, on its own loop; each hops to this connection's. */
  private void handle(ServerWebSocket ws) {
    ws.textMessageHandler(text -> loop.execute(() -> received(ws, text)));
    ws.binaryMessageHandler(b -> loop.execute(() -> close("binary frame")));
    ws.drainHandler(v -> loop.execute(this::drained));
    ws.closeHandler(v -> loop.execute(() -> socketClosed(ws)));
  }

  /**
   * A WebSocket that wants to take over from polling: it probes, then asks for the upgrade. Called
   * on the WebSocket's own loop, before it can read a frame.
   */
  void probe(ServerWebSocket candidate) {
    handle(candidate);
    loop.execute(
        () -> {
          if (closed || socket != null || probing != null) {
            candidate.close((short) 1008, "no upgrade possible for this session");
            return;
          }
          probing = candidate;
        });
  }

  private void received(ServerWebSocket from, String text) {
    if (closed) {
      return;
    }
    EnginePacket packet;
    try {
      packet = EnginePacket.decode(text);
    } catch (ProtocolException e) {
      close(e.getMessage());
      return;
    }
    if (from == probing) {
      upgradeStep(packet);
    } else if (from == socket) {
      received(packet);
    }
  }

  private void upgradeStep(EnginePacket packet) {
    if (packet.type() == EnginePacket.Type.PING && PROBE.equals(packet.data()) && !probed) {
      probed = true;
      probing.writeTextMessage(new EnginePacket(EnginePacket.Type.PONG, PROBE).encode());
      // The peer stops polling once it has its probe's answer; a held poll returns now.
      queue.add(EnginePacket.NOOP.encode());
      flush();
    } else if (packet.type() == EnginePacket.Type.UPGRADE && probed) {
      socket = probing;
      probing = null;
      socket.setWriteQueueMaxSize((int) Math.min(Integer.MAX_VALUE, maxQueuedBytes));
      // What polling still held goes first, in order, on the WebSocket.
      List<String> left = new ArrayList<>(queue);
      queue.clear();
      queuedBytes = 0;
      if (waiting != null) {
        respond(waiting, EnginePacket.NOOP.encode());
        waiting = null;
      }
      left.stream().filter(p -> !p.equals(EnginePacket.NOOP.encode())).forEach(this::sendEncoded);
    } else {
      close("unexpected packet during the upgrade");
    }
  }

  private void socketClosed(ServerWebSocket which) {
    if (which == probing) {
      probing = null;
    } else if (which == socket) {
      ended("transport close");
    }
  }

  private void drained() {
    if (!closed && wasBehind && !behind()) {
      wasBehind = false;
      listener.writable();
    }
  }

  // ---- Polling

  /** A GET of the polling transport: answered at once when something waits, else held. */
  void poll(HttpServerResponse response) {
    if (response.closed()) {
      return;
    }
    if (socket != null && !closed) {
      respond(response, EnginePacket.NOOP.encode());
      return;
    }
    if (closed) {
      // A connection closed while the peer was between polls: its last packets, then the close.
      queue.add(EnginePacket.CLOSE.encode());
      waiting = response;
      flush();
      queue.clear();
      forget.run();
      return;
    }
    if (waiting != null && !waiting.closed()) {
      // The protocol allows one poll at a time; a second means a broken or hostile peer.
      close("two polls at once");
      response.setStatusCode(400);
      respond(response, "");
      return;
    }
    waiting = response;
    flush();
  }

  /** The connection of a held poll closed (set on the request's own loop, at once). */
  void pollGone(HttpServerResponse response) {
    if (waiting == response) {
      waiting = null;
    }
  }

  /** Takes the one POST a connection may have under way; false when another one is. */
  boolean startPost(String origin) {
    if (origin != null) {
      postOrigin = origin;
    }
    return posting.compareAndSet(false, true);
  }

  /** The body of a POST of the polling transport; its turn ends. */
  void posted(String body, int maxPackets) {
    posting.set(false);
    List<EnginePacket> packets;
    try {
      packets = EnginePacket.decodePayload(body, maxPackets);
    } catch (ProtocolException e) {
      close(e.getMessage());
      return;
    }
    for (var packet : packets) {
      if (closed) {
        return;
      }
      received(packet);
    }
  }

  /** A POST that ended without its body (refused, or its connection closed). */
  void postFailed() {
    posting.set(false);
  }

  private void flush() {
    if (waiting == null || queue.isEmpty()) {
      return;
    }
    String body = EnginePacket.encodePayload(queue);
    queue.clear();
    queuedBytes = 0;
    var response = waiting;
    waiting = null;
    respond(response, body);
    if (!closed && socket == null) {
      drained();
    }
  }

  private static void respond(HttpServerResponse response, String body) {
    if (!response.ended() && !response.closed()) {
      response.putHeader("Content-Type", "text/plain; charset=UTF-8").end(body);
    }
  }

  // ---- Both

  private void received(EnginePacket packet) {
    switch (packet.type()) {
      case MESSAGE -> listener.message(packet.data());
      case PONG -> listener.pong();
      case CLOSE -> ended("client close");
      case NOOP -> {}
      default -> close("unexpected " + packet.type() + " packet");
    }
  }

  /** Closes the connection from this side: the peer is told (close packet), then it ends. */
  void close(String reason) {
    if (closed) {
      return;
    }
    if (probing != null) {
      // An upgrade under way fails; the peer reads what is left on its polling transport.
      probing.close();
      probing = null;
    }
    if (socket != null) {
      socket.writeTextMessage(EnginePacket.CLOSE.encode());
      // The connection ends without a WebSocket close frame: some clients (the Java client on
      // OkHttp) stop reading at a close frame and wait for their own code to answer it, which it
      // never does, so they would notice nothing until their ping timeout. A connection that
      // ends is noticed by every client, which then reconnects. Vert.x holds back the flush of
      // what is written while it reads: flushed first, so the last packets (a DISCONNECT, the
      // close) reach the peer before the connection ends.
      var channel = ((WebSocketInternal) socket).channelHandlerContext();
      channel.executor().execute(() -> channel.flush().close());
      socket = null;
      ended(reason);
    } else if (waiting != null) {
      queue.add(EnginePacket.CLOSE.encode());
      flush();
      ended(reason);
    } else {
      // The peer is between two polls: what it was sent last (a DISCONNECT, say) waits for the
      // next one a little while, behind the close.
      closed = true;
      vertx.setTimer(LINGER_MS, id -> loop.execute(forget));
      if (listener != null) {
        listener.closed(reason);
      }
    }
  }

  private void ended(String reason) {
    if (closed) {
      return;
    }
    closed = true;
    forget.run();
    if (socket != null && !socket.isClosed()) {
      socket.close();
    }
    if (probing != null && !probing.isClosed()) {
      probing.close();
    }
    if (waiting != null) {
      respond(waiting, EnginePacket.CLOSE.encode());
      waiting = null;
    }
    queue.clear();
    queuedBytes = 0;
    if (listener != null) {
      listener.closed(reason);
    }
  }
}
