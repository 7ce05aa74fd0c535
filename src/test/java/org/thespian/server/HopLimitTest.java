package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.thespian.proto.Nothing;
import org.thespian.testsupport.InProcessThespian;
import org.thespian.testsupport.ThespianProcess;

/** Every peer call carries a hop count, so a call cycle ends at THESPIAN_MAX_HOPS instead of running forever. */
class HopLimitTest {

    private static final Nothing NOTHING = Nothing.getDefaultInstance();

    private static Map<String, String> maxHops(String name, String config, int hops) {
        return Map.of("SERVICE_NAME", name, "CONFIG_JSON", config, "THESPIAN_MAX_HOPS", Integer.toString(hops));
    }

    @Test
    void aServiceThatCallsItselfFailsFastAndStaysHealthy() {
        int port = ThespianProcess.freePort();
        try (InProcessThespian thespian = InProcessThespian.start(Map.of("PORT", Integer.toString(port),
                "CONFIG_JSON", callsItself(port)))) {
            long start = System.nanoTime();
            StatusRuntimeException error = assertThrows(StatusRuntimeException.class, () -> thespian.blockingStub().a(NOTHING));
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertEquals(Status.Code.FAILED_PRECONDITION, error.getStatus().getCode(), "relayed by every hop");
            String message = error.getStatus().getDescription();
            assertTrue(message.contains("a call cycle") && message.contains("hit the hop limit")
                    && message.contains("THESPIAN_MAX_HOPS is 16"), message);
            // Sixteen hops on loopback take milliseconds; a wait for a timeout would take THESPIAN_PEER_TIMEOUT (30 s).
            assertTrue(took.compareTo(Duration.ofSeconds(5)) < 0, "took " + took);

            assertEquals(ServingStatus.SERVING, HealthGrpc.newBlockingStub(thespian.channel())
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus());
            thespian.blockingStub().b(NOTHING); // still answers
        }
    }

    /** A service whose A calls its own A on {@code port}, and waits for the answer. */
    static String callsItself(int port) {
        return """
                {"grpc_method_a": {"tracing_name": "loop", "operations": [
                    {"Action": {"CallService": {"tracing_name": "call myself", "service_address": "127.0.0.1",
                        "service_port": %d, "grpc_method": "A"}}}]}}""".formatted(port);
    }

    /**
     * Every hop prefixes the failure it relays with its own path: uncut, the message outgrew gRPC's 8 KiB
     * metadata limit at about 70 hops and the client saw INTERNAL.
     */
    @Test
    void aThousandHopChainStillAnswersFailedPreconditionWithAMessageCutInTheMiddle() {
        int port = ThespianProcess.freePort();
        try (InProcessThespian thespian = InProcessThespian.start(Map.of("PORT", Integer.toString(port),
                "CONFIG_JSON", callsItself(port), "THESPIAN_MAX_HOPS", "1000"))) {
            StatusRuntimeException error = assertThrows(StatusRuntimeException.class,
                    () -> thespian.blockingStub().withDeadlineAfter(120, TimeUnit.SECONDS).a(NOTHING));
            assertEquals(Status.Code.FAILED_PRECONDITION, error.getStatus().getCode(), error.getStatus().toString());
            String message = error.getStatus().getDescription();
            assertTrue(message.startsWith("loop > call myself: peer http://127.0.0.1:" + port), message); // the head
            assertTrue(message.contains("characters cut"), message);
            assertTrue(message.endsWith("a too-deep chain hit the hop limit"), message); // the tail
            assertTrue(message.contains("after 1000 hops, and THESPIAN_MAX_HOPS is 1000"), message);
            // The edge's own prefix on a description its callee cut to StatusText.MAX_CHARS.
            assertTrue(message.length() <= StatusText.MAX_CHARS + 200, message.length() + " characters: " + message);
            thespian.blockingStub().b(NOTHING); // still answers
        }
    }

    @Test
    void theHopCountGrowsByOneOnEveryCall() {
        try (InProcessThespian leaf = InProcessThespian.start(maxHops("leaf", "{}", 2));
                InProcessThespian middle = InProcessThespian.start(maxHops("middle", calls(leaf.port()), 2));
                InProcessThespian edge = InProcessThespian.start(maxHops("edge", calls(middle.port()), 2))) {
            middle.blockingStub().a(NOTHING); // middle (hop 0) → leaf (hop 1): within the limit of 2
            StatusRuntimeException error = assertThrows(StatusRuntimeException.class, () -> edge.blockingStub().a(NOTHING));
            assertTrue(error.getStatus().getDescription().contains("after 2 hops, and THESPIAN_MAX_HOPS is 2"),
                    error.getStatus().toString());
        }
    }

    @Test
    void aCallStartedAfterASleepStillCarriesItsRequestsHopCount() {
        // After the sleep the call starts on a timer's continuation thread, not the request's own.
        try (InProcessThespian leaf = InProcessThespian.start(maxHops("leaf", "{}", 2));
                InProcessThespian middle = InProcessThespian.start(maxHops("middle", callsAfterASleep(leaf.port()), 2));
                InProcessThespian edge = InProcessThespian.start(maxHops("edge", callsAfterASleep(middle.port()), 2))) {
            middle.blockingStub().a(NOTHING);
            StatusRuntimeException error = assertThrows(StatusRuntimeException.class, () -> edge.blockingStub().a(NOTHING));
            assertTrue(error.getStatus().getDescription().contains("after 2 hops, and THESPIAN_MAX_HOPS is 2"),
                    error.getStatus().toString());
        }
    }

    private static String callsAfterASleep(int port) {
        return """
                {"grpc_method_a": {"tracing_name": "forward", "operations": [
                    {"Action": {"Sleep": {"tracing_name": "think", "duration_ms": 5}}},
                    {"Action": {"CallService": {"service_address": "127.0.0.1", "service_port": %d,
                        "grpc_method": "A"}}}]}}""".formatted(port);
    }

    private static String calls(int port) {
        return """
                {"grpc_method_a": {"tracing_name": "forward", "operations": [
                    {"Action": {"CallService": {"service_address": "127.0.0.1", "service_port": %d,
                        "grpc_method": "A"}}}]}}""".formatted(port);
    }

    @Test
    void aCallAtTheLimitIsRefusedWithFailedPrecondition() {
        try (InProcessThespian thespian = InProcessThespian.start("{}")) {
            thespian.blockingStubWithHeader("thespian-hops", "15").a(NOTHING);
            StatusRuntimeException error = assertThrows(StatusRuntimeException.class,
                    () -> thespian.blockingStubWithHeader("thespian-hops", "16").a(NOTHING));
            assertEquals(Status.Code.FAILED_PRECONDITION, error.getStatus().getCode());
            assertTrue(error.getStatus().getDescription().contains("THESPIAN_MAX_HOPS is 16"));
        }
    }

    @Test
    void aMalformedHopCountIsRefusedWithInvalidArgument() {
        try (InProcessThespian thespian = InProcessThespian.start("{}")) {
            for (String hops : new String[] {"-1", "two", "", "99999999999999"}) {
                StatusRuntimeException error = assertThrows(StatusRuntimeException.class,
                        () -> thespian.blockingStubWithHeader("thespian-hops", hops).a(NOTHING));
                assertEquals(Status.Code.INVALID_ARGUMENT, error.getStatus().getCode(), hops);
                assertTrue(error.getStatus().getDescription().startsWith("thespian-hops must be a whole number"));
            }
        }
    }
}
