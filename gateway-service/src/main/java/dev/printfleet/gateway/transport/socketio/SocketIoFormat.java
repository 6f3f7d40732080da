package dev.printfleet.gateway.transport.socketio;

import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.common.protocol.socketio.EnginePacket;
import dev.printfleet.common.protocol.socketio.EventNames;
import dev.printfleet.common.protocol.socketio.SocketPacket;
import dev.printfleet.gateway.session.WireFormat;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * An event of the contract as a Socket.IO EVENT in an Engine.IO message, encoded once per message
 * for every Socket.IO session of a namespace: {@code 42/printing-ws,["jobUpdate",{...}]}. The
 * argument is the envelope's data, except for the dashboards' printer statuses, whose argument is
 * the array of updates (as the original's {@code printerStatusUpdate}).
 */
final class SocketIoFormat implements WireFormat<String> {

  private final String namespace;
  private final boolean channelEvents;

  /**
   * @param channelEvents a channel namespace's: a {@code channel.message} is the event its
   *     publisher named, {@code [event, data, {channel, offset}]} (PROTOCOL.md §2.5)
   */
  SocketIoFormat(String namespace, boolean channelEvents) {
    this.namespace = namespace;
    this.channelEvents = channelEvents;
  }

  @Override
  public String encode(Envelope envelope) {
    SocketPacket packet;
    if (channelEvents && "channel.message".equals(envelope.type())) {
      JsonObject message = envelope.data();
      var meta = new JsonObject().put("channel", message.getValue("channel"));
      if (message.containsKey("offset")) {
        meta.put("offset", message.getValue("offset"));
      }
      packet =
          new SocketPacket(
              SocketPacket.Type.EVENT,
              namespace,
              -1,
              new JsonArray()
                  .add(message.getValue("event"))
                  .add(message.getValue("data"))
                  .add(meta));
    } else {
      packet = event(namespace, -1, envelope);
    }
    return EnginePacket.message(packet.encode()).encode();
  }

  /** The EVENT packet of a message of the contract (with an ack id when it is a request). */
  static SocketPacket event(String namespace, long ackId, Envelope envelope) {
    String name = EventNames.eventOf(envelope.type());
    Object argument = envelope.data();
    if ("printer.status".equals(envelope.type()) && envelope.data().containsKey("updates")) {
      argument = envelope.data().getValue("updates");
    }
    return SocketPacket.event(namespace, ackId, name, argument);
  }
}
