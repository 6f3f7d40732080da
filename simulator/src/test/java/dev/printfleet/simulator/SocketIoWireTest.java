package dev.printfleet.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.printfleet.common.protocol.Envelope;
import dev.printfleet.common.protocol.socketio.ProtocolException;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The simulator's agent of the original system, frame by frame (PROTOCOL.md §2.5). */
class SocketIoWireTest {

  private final SocketIoWire wire = new SocketIoWire("tok");
  private final List<String> written = new ArrayList<>();
  private final List<Envelope> delivered = new ArrayList<>();

  private boolean read(String text) throws ProtocolException {
    return wire.read(text, written::add, delivered::add);
  }

  private void join() throws ProtocolException {
    read("0{\"sid\":\"s1\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":60000}");
    read("40/printing-ws,{\"sid\":\"n1\"}");
  }

  @Test
  void theConnectCarriesTheTokenAndNothingElseGoesOutBeforeItIsAccepted() throws Exception {
    var sync = Envelope.request("printers.sync", "a-1", new JsonObject().put("printers", 1));
    assertThat(wire.write(sync)).as("before the handshake").isNull();
    assertThat(read("0{\"sid\":\"s1\"}")).isTrue();
    assertThat(written).containsExactly("40/printing-ws,{\"token\":\"tok\"}");
    assertThat(wire.write(sync)).as("before the CONNECT is accepted").isNull();
    assertThat(read("40/printing-ws,{\"sid\":\"n1\"}")).isTrue();
    assertThat(wire.write(sync)).isEqualTo("42/printing-ws,1[\"printersSync\",{\"printers\":1}]");
    assertThat(read("2")).isTrue();
    assertThat(written).endsWith("3");
  }

  @Test
  void theGatewaysRequestsAndTheAgentsAnswersMapOntoAcks() throws Exception {
    join();
    read("42/printing-ws,7[\"printJob\",{\"jobId\":\"j1\"}]");
    assertThat(delivered).hasSize(1);
    Envelope dispatch = delivered.get(0);
    assertThat(dispatch.type()).isEqualTo("job.dispatch");
    assertThat(dispatch.data().getString("jobId")).isEqualTo("j1");
    assertThat(wire.write(Envelope.response(dispatch.id(), new JsonObject().put("accepted", true))))
        .isEqualTo("43/printing-ws,7[{\"accepted\":true}]");
    assertThat(wire.write(Envelope.response(dispatch.id(), new JsonObject())))
        .as("answered once")
        .isNull();

    read("42/printing-ws,[\"printerStatusUpdate\",[{\"printerId\":\"p1\"}]]");
    assertThat(delivered.get(1).type()).isEqualTo("printer.status");
    assertThat(delivered.get(1).id()).isNull();
    assertThat(delivered.get(1).data().getJsonArray("updates")).hasSize(1);
  }

  @Test
  void theAgentsRequestsComeBackAsResponsesOrErrors() throws Exception {
    join();
    wire.write(Envelope.request("job.result", "a-1", new JsonObject().put("jobId", "j1")));
    wire.write(Envelope.request("printer.status", "a-2", new JsonObject()));
    read("43/printing-ws,2[{\"error\":{\"code\":\"rate_limited\",\"message\":\"slow down\"}}]");
    read("43/printing-ws,1[{\"recorded\":true}]");
    read("43/printing-ws,1[{\"recorded\":true}]");
    assertThat(delivered).hasSize(2);
    assertThat(delivered.get(0).id()).isEqualTo("a-2");
    assertThat(delivered.get(0).error().code()).isEqualTo("rate_limited");
    assertThat(delivered.get(1).id()).isEqualTo("a-1");
    assertThat(delivered.get(1).data().getBoolean("recorded")).isTrue();
  }

  @Test
  void aRefusalOrADisconnectEndsTheSessionAndOtherNamespacesAreIgnored() throws Exception {
    read("0{\"sid\":\"s1\"}");
    assertThat(read("44/printing-ws,{\"message\":\"Not authorized\",\"data\":\"odd\"}")).isFalse();
    assertThat(delivered.get(0).type()).isEqualTo(Envelope.ERROR);
    assertThat(delivered.get(0).data().getString("code")).isEqualTo("refused");
    assertThat(read("44/printing-ws,{\"message\":\"no\",\"data\":{\"code\":\"unauthorized\"}}"))
        .isFalse();
    assertThat(delivered.get(1).data().getString("code")).isEqualTo("unauthorized");

    var other = new SocketIoWire("tok");
    assertThat(other.read("42/orders,[\"ALERT\",{}]", written::add, delivered::add)).isTrue();
    assertThat(other.read("41/orders,", written::add, delivered::add)).isTrue();
    assertThat(other.read("41/printing-ws,", written::add, delivered::add)).isFalse();
    assertThat(other.read("1", written::add, delivered::add)).as("Engine.IO close").isFalse();
    assertThat(delivered).hasSize(2);
    assertThatThrownBy(() -> other.read("b", written::add, delivered::add))
        .isInstanceOf(ProtocolException.class);
  }
}
