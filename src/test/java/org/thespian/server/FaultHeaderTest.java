package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.thespian.proto.Nothing;
import org.thespian.testsupport.InProcessThespian;

/**
 * A {@code thespian-fault} plan travels with the request through every hop and is applied by
 * the services it names. A chain edge → payment, where payment's B has no function at all.
 */
class FaultHeaderTest {

    private static final Nothing NOTHING = Nothing.getDefaultInstance();
    private static final String FAULT = "thespian-fault";

    private static InProcessThespian payment;
    private static InProcessThespian edge;
    private static InProcessThespian passive;

    @BeforeAll
    static void startChain() {
        payment = InProcessThespian.start(Map.of("SERVICE_NAME", "payment", "THESPIAN_SEED", "7", "CONFIG_JSON", """
                {"grpc_method_a": {"tracing_name": "charge", "operations": [
                    {"Action": {"Sleep": {"tracing_name": "talk to bank", "duration_ms": 10}}}]}}"""));
        edge = InProcessThespian.start(Map.of("SERVICE_NAME", "edge", "CONFIG_JSON", calls(payment.port())));
        // Fault headers off: it forwards the plan but applies none of it, not even entries naming it.
        passive = InProcessThespian.start(Map.of("SERVICE_NAME", "passive", "CONFIG_JSON", calls(payment.port()),
                "THESPIAN_FAULT_HEADERS", "false"));
    }

    private static String calls(int port) {
        return """
                {"grpc_method_a": {"tracing_name": "checkout", "operations": [
                    {"Action": {"CallService": {"tracing_name": "pay", "service_address": "127.0.0.1",
                        "service_port": %1$d, "grpc_method": "A"}}}]},
                 "grpc_method_b": {"tracing_name": "refund", "operations": [
                    {"Action": {"CallService": {"tracing_name": "pay back", "service_address": "127.0.0.1",
                        "service_port": %1$d, "grpc_method": "B"}}}]}}""".formatted(port);
    }

    @AfterAll
    static void stopChain() {
        for (InProcessThespian thespian : new InProcessThespian[] {passive, edge, payment}) {
            if (thespian != null) {
                thespian.close();
            }
        }
    }

    private static long millis(Runnable call) {
        long start = System.nanoTime();
        call.run();
        return (System.nanoTime() - start) / 1_000_000;
    }

    @Test
    void aDelayForTheNamedServiceHappensThereBeforeItsFunction() {
        edge.blockingStub().a(NOTHING); // warm-up
        long delayed = millis(() -> edge.blockingStubWithHeader(FAULT, "payment:delay=300ms").a(NOTHING));
        assertTrue(delayed >= 310, "300 ms injected before a 10 ms function, took " + delayed + " ms");
        // A busy machine may slow any call, but one without the header is under 300 ms within a few tries.
        List<Long> plain = new ArrayList<>();
        while (plain.size() < 5 && (plain.isEmpty() || plain.get(plain.size() - 1) >= 300)) {
            plain.add(millis(() -> edge.blockingStub().a(NOTHING)));
        }
        assertTrue(plain.get(plain.size() - 1) < 300, "without the header " + plain + " ms");
    }

    @Test
    void aDelayAlsoHitsAMethodWithoutFunction() {
        long delayed = millis(() -> edge.blockingStubWithHeader(FAULT, "*:delay=200ms").b(NOTHING));
        assertTrue(delayed >= 400, "200 ms at edge and 200 ms at payment, took " + delayed + " ms");
    }

    @Test
    void anAbortAnswersWithItsCodeAtOnce() {
        StatusRuntimeException direct = assertThrows(StatusRuntimeException.class,
                () -> payment.blockingStubWithHeader(FAULT, "payment:abort=UNAVAILABLE").a(NOTHING));
        assertEquals(Status.Code.UNAVAILABLE, direct.getStatus().getCode());
        assertEquals("injected fault: payment:abort=UNAVAILABLE", direct.getStatus().getDescription());

        StatusRuntimeException chained = assertThrows(StatusRuntimeException.class,
                () -> edge.blockingStubWithHeader(FAULT, "payment:abort=DATA_LOSS").a(NOTHING));
        assertEquals(Status.Code.DATA_LOSS, chained.getStatus().getCode(), "relayed with payment's code");
        assertTrue(chained.getStatus().getDescription().contains("injected fault: payment:abort=DATA_LOSS"),
                chained.getStatus().toString());
    }

    @Test
    void entriesForOtherServicesAndZeroPercentDoNothing() {
        edge.blockingStubWithHeader(FAULT, "inventory:abort=INTERNAL,payment:abort=INTERNAL@0").a(NOTHING);
    }

    @Test
    void percentagesUseTheDice() {
        int aborted = 0;
        for (int i = 0; i < 200; i++) {
            try {
                payment.blockingStubWithHeader(FAULT, "payment:abort=ABORTED@25").a(NOTHING);
            } catch (StatusRuntimeException e) {
                assertEquals(Status.Code.ABORTED, e.getStatus().getCode());
                aborted++;
            }
        }
        assertTrue(aborted > 25 && aborted < 75, aborted + " of 200 aborted at 25%");
    }

    @Test
    void aMalformedPlanIsRefusedNamingTheEntry() {
        StatusRuntimeException error = assertThrows(StatusRuntimeException.class,
                () -> edge.blockingStubWithHeader(FAULT, "payment:delay=300ms,payment:abort=SOMETIMES").a(NOTHING));
        assertEquals(Status.Code.INVALID_ARGUMENT, error.getStatus().getCode());
        assertTrue(error.getStatus().getDescription().startsWith(
                "thespian-fault entry 2 \"payment:abort=SOMETIMES\": expected a gRPC status code name"),
                error.getStatus().getDescription());
    }

    @Test
    void withFaultHeadersOffThePlanIsForwardedButNotApplied() {
        long took = millis(() -> passive.blockingStubWithHeader(FAULT, "passive:abort=INTERNAL,passive:delay=5s").a(NOTHING));
        assertTrue(took < 4000, "passive did not apply its 5 s delay, took " + took + " ms");
        StatusRuntimeException error = assertThrows(StatusRuntimeException.class,
                () -> passive.blockingStubWithHeader(FAULT, "payment:abort=PERMISSION_DENIED").a(NOTHING));
        assertTrue(error.getStatus().getDescription().contains("injected fault: payment:abort=PERMISSION_DENIED"),
                "payment applied the forwarded plan: " + error.getStatus());
    }
}
