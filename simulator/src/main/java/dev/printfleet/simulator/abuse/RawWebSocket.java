package dev.printfleet.simulator.abuse;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A blocking WebSocket client on a plain socket, for the attacker: it must send frames no well
 * behaved client sends (a pre-deflated bomb with RSV1 set), see the HTTP status of a refused
 * upgrade, read the close status, and stop reading altogether (a slow agent). One thread uses one
 * instance. Frames it reads are bounded by {@code maxMessage}: the attacker must not be the process
 * that runs out of memory.
 */
public final class RawWebSocket implements AutoCloseable {

  /** One message read: a text (opcode 1), or a close (opcode 8) with its status, or EOF (-1). */
  public record Message(int opcode, String text, int closeStatus) {
    public boolean isClose() {
      return opcode == 8 || opcode == -1;
    }
  }

  /** The answer to the upgrade: its HTTP status and headers (lower-case names). */
  public record Handshake(int status, Map<String, String> headers) {
    public boolean upgraded() {
      return status == 101;
    }

    public boolean deflate() {
      return headers.getOrDefault("sec-websocket-extensions", "").contains("permessage-deflate");
    }
  }

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int MAX_MESSAGE = 4 * 1024 * 1024;

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private Handshake handshake;

  private RawWebSocket(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new java.io.BufferedInputStream(socket.getInputStream(), 16 * 1024);
    this.out = socket.getOutputStream();
  }

  /**
   * Opens a TCP connection and asks for the upgrade. {@code receiveBuffer} > 0 shrinks the socket's
   * receive buffer (before connecting, so the window is small from the start): a slow reader then
   * pushes back on the server after a few kilobytes.
   */
  public static RawWebSocket open(
      String host,
      int port,
      String path,
      String token,
      boolean deflate,
      int receiveBuffer,
      int timeoutMs)
      throws IOException {
    var socket = new Socket();
    if (receiveBuffer > 0) {
      socket.setReceiveBufferSize(receiveBuffer);
    }
    socket.connect(new InetSocketAddress(host, port), timeoutMs);
    socket.setSoTimeout(timeoutMs);
    var ws = new RawWebSocket(socket);
    byte[] nonce = new byte[16];
    RANDOM.nextBytes(nonce);
    var request =
        new StringBuilder()
            .append("GET ")
            .append(path)
            .append(" HTTP/1.1\r\n")
            .append("Host: ")
            .append(host)
            .append(':')
            .append(port)
            .append("\r\n")
            .append("Upgrade: websocket\r\nConnection: Upgrade\r\n")
            .append("Sec-WebSocket-Key: ")
            .append(Base64.getEncoder().encodeToString(nonce))
            .append("\r\n")
            .append("Sec-WebSocket-Version: 13\r\n");
    if (token != null) {
      request.append("Authorization: Bearer ").append(token).append("\r\n");
    }
    if (deflate) {
      request.append(
          "Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover; server_no_context_takeover\r\n");
    }
    request.append("\r\n");
    ws.out.write(request.toString().getBytes(StandardCharsets.US_ASCII));
    ws.out.flush();
    ws.handshake = ws.readHandshake();
    return ws;
  }

  public Handshake handshake() {
    return handshake;
  }

  private Handshake readHandshake() throws IOException {
    var head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed during the handshake");
      }
      head.write(b);
      matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
      if (head.size() > 64 * 1024) {
        throw new IOException("handshake answer over 64 KiB");
      }
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    String[] statusLine = lines[0].split(" ", 3);
    int status = statusLine.length > 1 ? Integer.parseInt(statusLine[1]) : -1;
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.put(
            lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
            lines[i].substring(colon + 1).trim());
      }
    }
    return new Handshake(status, headers);
  }

  public void sendText(String text) throws IOException {
    writeFrame(0x1, false, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Sends one text frame whose payload is already deflated (RSV1 set, RFC 7692). */
  public void sendDeflated(byte[] deflated) throws IOException {
    writeFrame(0x1, true, deflated);
  }

  public void sendClose(int status) throws IOException {
    writeFrame(0x8, false, new byte[] {(byte) (status >> 8), (byte) status});
  }

  private void writeFrame(int opcode, boolean rsv1, byte[] payload) throws IOException {
    out.write(encodeHeader(opcode, rsv1, payload.length, mask()));
    byte[] key = lastMask;
    byte[] masked = new byte[Math.min(payload.length, 64 * 1024)];
    for (int offset = 0; offset < payload.length; offset += masked.length) {
      int n = Math.min(masked.length, payload.length - offset);
      for (int i = 0; i < n; i++) {
        masked[i] = (byte) (payload[offset + i] ^ key[(offset + i) & 3]);
      }
      out.write(masked, 0, n);
    }
    out.flush();
  }

  private byte[] lastMask;

  private byte[] mask() {
    lastMask = new byte[4];
    RANDOM.nextBytes(lastMask);
    return lastMask;
  }

  /** A client frame's header: FIN, RSV1 when compressed, the opcode, the mask bit, length, key. */
  static byte[] encodeHeader(int opcode, boolean rsv1, long length, byte[] maskKey) {
    var header = new ByteArrayOutputStream(14);
    header.write(0x80 | (rsv1 ? 0x40 : 0) | opcode);
    if (length < 126) {
      header.write(0x80 | (int) length);
    } else if (length < 65_536) {
      header.write(0x80 | 126);
      header.write((int) (length >> 8));
      header.write((int) length);
    } else {
      header.write(0x80 | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        header.write((int) (length >> shift));
      }
    }
    header.write(maskKey, 0, 4);
    return header.toByteArray();
  }

  /**
   * Reads the next text or close message, answering pings and skipping pongs and binary frames;
   * null when nothing came within the socket's timeout. Compressed messages are inflated.
   */
  public Message read() throws IOException {
    return readFrom(in, this::pong);
  }

  /** Reads up to {@code max} raw bytes (a slow agent taking a little of its backlog); -1 at EOF. */
  public int drain(int max) throws IOException {
    byte[] buffer = new byte[Math.min(max, 64 * 1024)];
    try {
      return in.read(buffer);
    } catch (SocketTimeoutException e) {
      return 0;
    }
  }

  public void setTimeout(int ms) throws IOException {
    socket.setSoTimeout(ms);
  }

  private void pong(byte[] payload) {
    try {
      writeFrame(0xA, false, payload);
    } catch (IOException ignored) {
      // The read that follows sees the broken socket.
    }
  }

  static Message readFrom(InputStream in, java.util.function.Consumer<byte[]> onPing)
      throws IOException {
    var message = new ByteArrayOutputStream();
    boolean compressed = false;
    int messageOpcode = -1;
    while (true) {
      int b0;
      try {
        b0 = in.read();
      } catch (SocketTimeoutException e) {
        return null;
      } catch (IOException e) {
        return new Message(-1, null, -1);
      }
      if (b0 < 0) {
        return new Message(-1, null, -1);
      }
      int b1 = readByte(in);
      long length = b1 & 0x7F;
      if (length == 126) {
        length = (readByte(in) << 8) | readByte(in);
      } else if (length == 127) {
        length = 0;
        for (int i = 0; i < 8; i++) {
          length = (length << 8) | readByte(in);
        }
      }
      byte[] key = (b1 & 0x80) != 0 ? in.readNBytes(4) : null;
      if (length > MAX_MESSAGE || message.size() + length > MAX_MESSAGE) {
        throw new IOException(
            "server frame of " + length + " bytes, over the attacker's own limit");
      }
      byte[] payload = in.readNBytes((int) length);
      if (payload.length < length) {
        return new Message(-1, null, -1);
      }
      if (key != null) {
        for (int i = 0; i < payload.length; i++) {
          payload[i] ^= key[i & 3];
        }
      }
      int opcode = b0 & 0x0F;
      boolean fin = (b0 & 0x80) != 0;
      switch (opcode) {
        case 0x8 -> {
          int status =
              payload.length >= 2 ? ((payload[0] & 0xFF) << 8) | (payload[1] & 0xFF) : 1005;
          return new Message(8, null, status);
        }
        case 0x9 -> onPing.accept(payload);
        case 0xA -> {}
        default -> {
          if (opcode != 0) {
            messageOpcode = opcode;
            compressed = (b0 & 0x40) != 0;
          }
          message.write(payload);
          if (fin) {
            byte[] body = compressed ? inflate(message.toByteArray()) : message.toByteArray();
            if (messageOpcode == 0x1) {
              return new Message(1, new String(body, StandardCharsets.UTF_8), -1);
            }
            message.reset();
          }
        }
      }
    }
  }

  private static int readByte(InputStream in) throws IOException {
    int b = in.read();
    if (b < 0) {
      throw new EOFException();
    }
    return b;
  }

  /** RFC 7692: the message plus the tail 00 00 FF FF that the sender stripped. */
  private static byte[] inflate(byte[] data) throws IOException {
    var inflater = new Inflater(true);
    try {
      byte[] tail = {0, 0, (byte) 0xFF, (byte) 0xFF};
      byte[] input = java.util.Arrays.copyOf(data, data.length + 4);
      System.arraycopy(tail, 0, input, data.length, 4);
      inflater.setInput(input);
      var out = new ByteArrayOutputStream();
      byte[] buffer = new byte[16 * 1024];
      while (!inflater.needsInput() && !inflater.finished()) {
        int n = inflater.inflate(buffer);
        if (n == 0 && inflater.needsInput()) {
          break;
        }
        out.write(buffer, 0, n);
        if (out.size() > MAX_MESSAGE) {
          throw new IOException("server message inflates over the attacker's own limit");
        }
      }
      return out.toByteArray();
    } catch (DataFormatException e) {
      throw new IOException("server sent a bad deflate stream", e);
    } finally {
      inflater.end();
    }
  }

  public boolean isClosed() {
    return socket.isClosed();
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // Nothing to do: the socket is gone either way.
    }
  }
}
