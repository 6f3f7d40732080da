package dev.printfleet.gateway;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * A WebSocket client on a bare socket, for what well-behaved clients never do: it never answers a
 * ping, and, when asked, never reads, so its receive window fills up like a stalled dashboard's.
 */
final class RawWebSocket implements AutoCloseable {

  private final Socket socket;
  private final InputStream in;
  private String headers = "";

  private RawWebSocket(Socket socket) throws IOException {
    this.socket = socket;
    this.in = socket.getInputStream();
  }

  static RawWebSocket open(int port, String path, String token, int receiveBuffer)
      throws IOException {
    return open(port, path, token, receiveBuffer, "");
  }

  /** Offers permessage-deflate; fails when the server does not take it. */
  static RawWebSocket openDeflating(int port, String path, String token) throws IOException {
    var raw =
        open(
            port,
            path,
            token,
            0,
            "Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n");
    if (!raw.headers.toLowerCase(java.util.Locale.ROOT).contains("permessage-deflate")) {
      raw.close();
      throw new IOException("the server did not negotiate permessage-deflate: " + raw.headers);
    }
    return raw;
  }

  private static RawWebSocket open(
      int port, String path, String token, int receiveBuffer, String extraHeaders)
      throws IOException {
    var socket = new Socket();
    if (receiveBuffer > 0) {
      socket.setReceiveBufferSize(receiveBuffer);
    }
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    socket.setSoTimeout(30_000);
    String key =
        Base64.getEncoder().encodeToString("printfleet-test-k".getBytes(StandardCharsets.US_ASCII));
    String request =
        "GET "
            + path
            + " HTTP/1.1\r\nHost: 127.0.0.1:"
            + port
            + "\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: "
            + key
            + "\r\nSec-WebSocket-Version: 13\r\n"
            + "Authorization: Bearer "
            + token
            + "\r\n"
            + extraHeaders
            + "\r\n";
    socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
    var raw = new RawWebSocket(socket);
    String status = raw.readHeaders();
    if (!status.startsWith("HTTP/1.1 101")) {
      socket.close();
      throw new IOException("upgrade refused: " + status);
    }
    return raw;
  }

  private String readHeaders() throws IOException {
    var line = new ByteArrayOutputStream();
    String first = null;
    int previous = -1;
    int c;
    while ((c = in.read()) != -1) {
      if (previous == '\r' && c == '\n') {
        String text = line.toString(StandardCharsets.US_ASCII).trim();
        if (first == null) {
          first = text;
        } else if (text.isEmpty()) {
          return first;
        } else {
          headers += text + "\n";
        }
        line.reset();
      } else if (c != '\r') {
        line.write(c);
      }
      previous = c;
    }
    throw new IOException("connection closed during the handshake");
  }

  /**
   * Reads frames without answering pings until the server's close frame; its status code, or -1
   * when the connection ended without one.
   */
  int readUntilClose() throws IOException {
    while (true) {
      int b0 = in.read();
      if (b0 == -1) {
        return -1;
      }
      int opcode = b0 & 0x0f;
      int b1 = in.read();
      long length = b1 & 0x7f;
      if (length == 126) {
        length = (in.read() << 8) | in.read();
      } else if (length == 127) {
        length = 0;
        for (int i = 0; i < 8; i++) {
          length = (length << 8) | in.read();
        }
      }
      byte[] payload = in.readNBytes((int) length);
      if (opcode == 0x8) {
        return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : -1;
      }
    }
  }

  /** Sends a masked text frame subscribing to the rooms, as a browser would. */
  void sendSubscribe(String... rooms) throws IOException {
    var list = new StringBuilder();
    for (String room : rooms) {
      list.append(list.isEmpty() ? "" : ",").append('"').append(room).append('"');
    }
    byte[] payload =
        ("{\"type\":\"subscribe\",\"id\":\"raw\",\"data\":{\"rooms\":[" + list + "]}}")
            .getBytes(StandardCharsets.UTF_8);
    var frame = new ByteArrayOutputStream();
    frame.write(0x81);
    frame.write(0x80 | payload.length);
    byte[] mask = {1, 2, 3, 4};
    frame.write(mask);
    for (int i = 0; i < payload.length; i++) {
      frame.write(payload[i] ^ mask[i % 4]);
    }
    socket.getOutputStream().write(frame.toByteArray());
  }

  /**
   * How long a read may wait before it fails, so a test that waits for a close that never comes
   * ends.
   */
  void readTimeout(java.time.Duration timeout) throws IOException {
    socket.setSoTimeout((int) timeout.toMillis());
  }

  /** Sends one masked frame as given: the caller chooses FIN, RSV1 (compressed) and the opcode. */
  void sendFrame(boolean fin, boolean compressed, int opcode, byte[] payload) throws IOException {
    var frame = new ByteArrayOutputStream(payload.length + 14);
    frame.write((fin ? 0x80 : 0) | (compressed ? 0x40 : 0) | opcode);
    if (payload.length < 126) {
      frame.write(0x80 | payload.length);
    } else if (payload.length < 65536) {
      frame.write(0x80 | 126);
      frame.write(payload.length >>> 8);
      frame.write(payload.length & 0xff);
    } else {
      frame.write(0x80 | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        frame.write((int) (((long) payload.length >>> shift) & 0xff));
      }
    }
    byte[] mask = {5, 6, 7, 8};
    frame.write(mask);
    for (int i = 0; i < payload.length; i++) {
      frame.write(payload[i] ^ mask[i % 4]);
    }
    socket.getOutputStream().write(frame.toByteArray());
    socket.getOutputStream().flush();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
