package dev.printfleet.common.protocol.socketio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The packet examples of the Engine.IO 4 and Socket.IO 5 protocol documents, read and written. */
class PacketsTest {

  @Test
  void socketIoPacketsOfTheProtocolDocumentRoundTrip() throws Exception {
    for (String text :
        List.of(
            "0",
            "0/admin,",
            "0/admin,{\"token\":\"123\"}",
            "0/admin,{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}",
            "4{\"message\":\"Not authorized\"}",
            "2[\"hello\",1]",
            "2/admin,[\"project:delete\",123]",
            "2/admin,12[\"project:delete\",123]",
            "3/admin,12[]",
            "1/admin,")) {
      assertThat(SocketPacket.decode(text).encode()).as(text).isEqualTo(text);
    }
  }

  @Test
  void socketIoPacketsAreReadIntoTheirParts() throws Exception {
    var event = SocketPacket.decode("2/admin,12[\"project:delete\",123]");
    assertThat(event.type()).isEqualTo(SocketPacket.Type.EVENT);
    assertThat(event.namespace()).isEqualTo("/admin");
    assertThat(event.ackId()).isEqualTo(12);
    assertThat(event.eventName()).isEqualTo("project:delete");
    assertThat(event.firstArgument()).isEqualTo(123);

    var connect = SocketPacket.decode("0/printing-ws,{\"token\":\"abc\"}");
    assertThat(connect.type()).isEqualTo(SocketPacket.Type.CONNECT);
    assertThat(((JsonObject) connect.payload()).getString("token")).isEqualTo("abc");
    assertThat(connect.hasAck()).isFalse();

    var main = SocketPacket.decode("2[\"hello\",{\"a\":[1,{\"b\":2}]}]");
    assertThat(main.namespace()).isEqualTo("/");
    assertThat(main.firstArgument()).isInstanceOf(JsonObject.class);
    assertThat(
            ((JsonObject) main.firstArgument()).getJsonArray("a").getJsonObject(1).getInteger("b"))
        .isEqualTo(2);

    var ack = SocketPacket.decode("3/printing-ws,7[{\"accepted\":true}]");
    assertThat(ack.type()).isEqualTo(SocketPacket.Type.ACK);
    assertThat(ack.ackId()).isEqualTo(7);
    assertThat(((JsonObject) ack.firstArgument()).getBoolean("accepted")).isTrue();
  }

  @Test
  void socketIoPacketsAreWrittenAsTheDocumentShowsThem() {
    assertThat(SocketPacket.connected("/admin", "oSO0OpakMV_3jnilAAAA").encode())
        .isEqualTo("0/admin,{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}");
    assertThat(SocketPacket.disconnect("/admin").encode()).isEqualTo("1/admin,");
    assertThat(SocketPacket.event("/", -1, "hello", 1).encode()).isEqualTo("2[\"hello\",1]");
    assertThat(SocketPacket.event("/admin", 12, "project:delete", 123).encode())
        .isEqualTo("2/admin,12[\"project:delete\",123]");
    assertThat(SocketPacket.ack("/admin", 12, new JsonArray()).encode())
        .isEqualTo("3/admin,12[[]]");
    assertThat(SocketPacket.connectError("/", "Not authorized", null).encode())
        .isEqualTo("4{\"message\":\"Not authorized\"}");
  }

  @Test
  void brokenOrBinarySocketIoPacketsAreRefused() {
    for (String text :
        List.of(
            "",
            "9",
            "x[]",
            "51-[\"hello\",{\"_placeholder\":true,\"num\":0}]",
            "61-/admin,12[{\"_placeholder\":true,\"num\":0}]",
            "2{\"not\":\"an array\"}",
            "2[]",
            "2[1,2]",
            "2[\"unterminated\"",
            "3[]",
            "1/admin,{}",
            "0[\"not an object\"]",
            "2/" + "n".repeat(200) + ",[\"x\"]",
            "2" + "9".repeat(40) + "[\"x\"]")) {
      assertThatThrownBy(() -> SocketPacket.decode(text))
          .as(text)
          .isInstanceOf(ProtocolException.class);
    }
  }

  @Test
  void enginePacketsOfTheProtocolDocument() throws Exception {
    String open =
        "0{\"sid\":\"lv_VI97HAXpY6yYWAAAC\",\"upgrades\":[\"websocket\"],\"pingInterval\":25000,"
            + "\"pingTimeout\":5000,\"maxPayload\":1000000}";
    var packet = EnginePacket.decode(open);
    assertThat(packet.type()).isEqualTo(EnginePacket.Type.OPEN);
    assertThat(new JsonObject(packet.data()).getString("sid")).isEqualTo("lv_VI97HAXpY6yYWAAAC");
    assertThat(packet.encode()).isEqualTo(open);
    assertThat(EnginePacket.decode("2probe"))
        .isEqualTo(new EnginePacket(EnginePacket.Type.PING, "probe"));
    assertThat(EnginePacket.decode("3").type()).isEqualTo(EnginePacket.Type.PONG);
    assertThat(EnginePacket.decode("5").type()).isEqualTo(EnginePacket.Type.UPGRADE);
    assertThat(EnginePacket.decode("6").type()).isEqualTo(EnginePacket.Type.NOOP);
    assertThat(EnginePacket.decode("4hello")).isEqualTo(EnginePacket.message("hello"));
    assertThat(EnginePacket.PING.encode()).isEqualTo("2");
  }

  @Test
  void aPollingPayloadHoldsPacketsSeparatedByTheRecordSeparator() throws Exception {
    var packets = EnginePacket.decodePayload("4hello\u001e2\u001e4€", 10);
    assertThat(packets)
        .containsExactly(
            EnginePacket.message("hello"), EnginePacket.PING, EnginePacket.message("€"));
    assertThat(EnginePacket.encodePayload(packets.stream().map(EnginePacket::encode).toList()))
        .isEqualTo("4hello\u001e2\u001e4€");
  }

  @Test
  void brokenBinaryOrOversizedPollingPayloadsAreRefused() {
    assertThatThrownBy(() -> EnginePacket.decodePayload("4a\u001e\u001e4b", 10))
        .isInstanceOf(ProtocolException.class);
    assertThatThrownBy(() -> EnginePacket.decodePayload("bAQIDBA==", 10))
        .isInstanceOf(ProtocolException.class);
    assertThatThrownBy(() -> EnginePacket.decodePayload("7", 10))
        .isInstanceOf(ProtocolException.class);
    assertThatThrownBy(() -> EnginePacket.decodePayload("2\u001e".repeat(10) + "2", 10))
        .isInstanceOf(ProtocolException.class)
        .hasMessageContaining("more than 10");
  }

  @Test
  void eventNamesOfTheOriginalMapOntoTheContract() {
    assertThat(EventNames.typeOf("printerStatus")).isEqualTo("printer.status");
    assertThat(EventNames.typeOf("printersSync")).isEqualTo("printers.sync");
    assertThat(EventNames.typeOf("printJobResult")).isEqualTo("job.result");
    assertThat(EventNames.typeOf("job.result")).isEqualTo("job.result");
    assertThat(EventNames.typeOf("subscribe")).isEqualTo("subscribe");
    assertThat(EventNames.eventOf("job.dispatch")).isEqualTo("printJob");
    assertThat(EventNames.eventOf("printer.test")).isEqualTo("printerTest");
    assertThat(EventNames.eventOf("printer.status")).isEqualTo("printerStatusUpdate");
    assertThat(EventNames.eventOf("job.update")).isEqualTo("jobUpdate");
    assertThat(EventNames.eventOf("agent.presence")).isEqualTo("agentPresence");
    assertThat(EventNames.eventOf("welcome")).isEqualTo("welcome");
    // And the other way, as a client of the original reads and writes them.
    assertThat(EventNames.clientEventOf("printers.sync")).isEqualTo("printersSync");
    assertThat(EventNames.clientEventOf("printer.status")).isEqualTo("printerStatus");
    assertThat(EventNames.clientEventOf("job.result")).isEqualTo("printJobResult");
    assertThat(EventNames.clientEventOf("subscribe")).isEqualTo("subscribe");
    assertThat(EventNames.typeOfServerEvent("printJob")).isEqualTo("job.dispatch");
    assertThat(EventNames.typeOfServerEvent("printerTest")).isEqualTo("printer.test");
    assertThat(EventNames.typeOfServerEvent("printerStatusUpdate")).isEqualTo("printer.status");
    assertThat(EventNames.typeOfServerEvent("welcome")).isEqualTo("welcome");
  }
}
