package dev.printfleet.gateway.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.printfleet.common.protocol.Envelope;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The transport-free half of a session: the type table, the limits, encoding once per format. */
class SessionModelTest {

  /** A session whose wire is a list: what a transport would write, and how it closed. */
  private static final class ListSession extends RecordingSession {

    ListSession(int burst) {
      super(
          Kind.AGENT,
          RecordingSession.agent(Duration.ofSeconds(60)),
          new Limits(burst, 0.0001, 3, Duration.ofSeconds(10)));
    }

    /** The code of each message written: an error response's, an error event's, or "-". */
    List<String> errorCodes() {
      return written.stream()
          .map(
              o ->
                  o.envelope().error() != null
                      ? o.envelope().error().code()
                      : Envelope.ERROR.equals(o.type())
                          ? o.envelope().data().getString("code")
                          : "-")
          .toList();
    }
  }

  @Test
  void eachTypeGoesToItsHandlerAndAnUnknownOneIsAnsweredUnknownType() {
    List<String> handled = new ArrayList<>();
    var inbound =
        Inbound.handling()
            .on("a", (s, m) -> handled.add("a:" + m.id()))
            .on("b", (s, m) -> handled.add("b:" + m.id()))
            .build();
    var session = new ListSession(10);

    inbound.receive(session, Envelope.request("b", "1", new JsonObject()));
    inbound.receive(session, Envelope.request("a", "2", new JsonObject()));
    inbound.receive(session, Envelope.request("c", "3", new JsonObject()));

    assertThat(handled).containsExactly("b:1", "a:2");
    assertThat(session.written)
        .singleElement()
        .satisfies(
            o -> {
              assertThat(o.envelope().id()).isEqualTo("3");
              assertThat(o.envelope().error().code()).isEqualTo("unknown_type");
            });
  }

  @Test
  void malformedAndBinaryMessagesCountAgainstTheLimitAndSustainedAbuseCloses() {
    var inbound = Inbound.handling().on("a", (s, m) -> {}).build();
    var session = new ListSession(2);

    inbound.malformed(
        session, new Envelope.ParseException(Envelope.Code.BAD_JSON, "not JSON", null));
    inbound.binary(session);
    assertThat(session.errorCodes()).containsExactly("bad_json", "bad_envelope");

    // The burst of 2 is spent: each further message is refused, the third refusal closes 1008.
    inbound.receive(session, Envelope.event("a", new JsonObject()));
    inbound.receive(session, Envelope.event("a", new JsonObject()));
    assertThat(session.errorCodes()).endsWith("rate_limited", "rate_limited");
    assertThat(session.isClosed()).isFalse();
    inbound.receive(session, Envelope.event("a", new JsonObject()));
    assertThat(session.closedCode).isEqualTo(CloseCodes.POLICY_VIOLATION);
    assertThat(session.closedWith()).isEqualTo(CloseCodes.POLICY_VIOLATION);

    int before = session.written.size();
    session.send(Envelope.event("a", new JsonObject()));
    assertThat(session.written).as("nothing is sent once closed").hasSize(before);
  }

  @Test
  void answersTheServerAskedForDoNotCountAgainstTheLimit() {
    List<String> handled = new ArrayList<>();
    var inbound = Inbound.handling().on("response", (s, m) -> handled.add(m.id())).build();
    var session = new ListSession(1);
    session.expectAnswers(3);

    for (int i = 0; i < 4; i++) {
      inbound.receive(session, Envelope.response("r" + i, new JsonObject()));
    }

    assertThat(handled).containsExactly("r0", "r1", "r2", "r3");
    inbound.receive(session, Envelope.response("r4", new JsonObject()));
    assertThat(handled).as("the burst of 1 and the 3 answers are spent").hasSize(4);
  }

  @Test
  void aMessageIsEncodedOncePerWireFormatHoweverManySessionsSendIt() {
    var encodings = new AtomicInteger();
    WireFormat<String> text =
        envelope -> {
          encodings.incrementAndGet();
          return envelope.encode();
        };
    WireFormat<String> other =
        envelope -> {
          encodings.incrementAndGet();
          return "other:" + envelope.type();
        };
    var message = Outgoing.of(Envelope.event("job.update", new JsonObject().put("jobId", "j1")));

    for (int i = 0; i < 5; i++) {
      assertThat(message.encoded(text)).contains("\"jobId\":\"j1\"");
      assertThat(message.encoded(other)).isEqualTo("other:job.update");
    }

    assertThat(encodings).hasValue(2);
  }
}
