package dev.printfleet.gateway.session;

import dev.printfleet.common.protocol.Envelope;

/**
 * How one transport puts a message on its wire. A transport holds one instance; {@link
 * Outgoing#encoded} asks it once per message, however many of its sessions receive the message.
 *
 * @param <T> what the transport writes, shared by every session that sends the message
 */
public interface WireFormat<T> {

  T encode(Envelope envelope);
}
