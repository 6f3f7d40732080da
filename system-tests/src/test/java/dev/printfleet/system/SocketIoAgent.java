package dev.printfleet.system;

import io.socket.client.Ack;
import io.socket.client.IO;
import io.socket.client.Socket;
import io.socket.engineio.client.transports.Polling;
import io.socket.engineio.client.transports.WebSocket;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.json.JSONObject;

/**
 * An agent of the system printfleet replaces, on the Java Socket.IO client with its own
 * reconnection (as a real agent runs it): it syncs its one printer on every connect and answers
 * each {@code printJob} with the original's ack, the job printed.
 */
final class SocketIoAgent implements AutoCloseable {

  private final Socket socket;
  private final List<String> jobs = new CopyOnWriteArrayList<>();
  private final List<String> instances = new CopyOnWriteArrayList<>();
  private final AtomicInteger connects = new AtomicInteger();

  SocketIoAgent(String namespaceUrl, String token, String agentId, String printerId) {
    var options =
        IO.Options.builder()
            .setForceNew(true)
            .setReconnection(true)
            .setReconnectionDelay(200)
            .setReconnectionDelayMax(2_000)
            .setTransports(new String[] {Polling.NAME, WebSocket.NAME})
            .setAuth(Map.of("token", token))
            .build();
    socket = IO.socket(URI.create(namespaceUrl), options);
    socket.on(
        Socket.EVENT_CONNECT,
        args -> {
          connects.incrementAndGet();
          socket.emit(
              "printersSync",
              new JSONObject(
                  Map.of(
                      "printers",
                      List.of(Map.of("id", printerId, "name", "Bar", "status", "online")))));
        });
    socket.on("welcome", args -> instances.add(field(args[0], "instance")));
    socket.on(
        "printJob",
        args -> {
          String jobId = field(args[0], "jobId");
          jobs.add(jobId);
          ((Ack) args[1])
              .call(
                  new JSONObject(Map.of("jobId", jobId, "agentId", agentId, "status", "printed")));
        });
    socket.connect();
  }

  private static String field(Object received, String name) {
    return new JsonObject(received.toString()).getString(name);
  }

  /** The gateway instance of the latest welcome; null before the first. */
  String instance() {
    return instances.isEmpty() ? null : instances.get(instances.size() - 1);
  }

  int connects() {
    return connects.get();
  }

  List<String> jobs() {
    return jobs;
  }

  @Override
  public void close() {
    socket.close();
  }
}
