package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.thespian.proto.Nothing;
import org.thespian.testsupport.InProcessThespian;
import org.thespian.testsupport.OtlpReceiver;
import org.thespian.testsupport.ReceivedSpan;

/**
 * What a hostile {@code thespian-fault} header costs, over real gRPC with telemetry on: a refusal naming the
 * entry at the first instance, forwarding-only instances included, and log lines and spans that quote only an
 * excerpt of it. A chain front → back, and passive → back with fault headers off.
 */
class FaultHeaderLimitsTest {

    private static final String FAULT = "thespian-fault";
    /** Far more than any refusal needs, far less than what a client can send. */
    private static final int LONGEST_LINE = 500;
    private static final String SIXTY_THOUSAND_DIGITS = "back:delay=5ms@0." + "0".repeat(59_999) + "1";

    private static OtlpReceiver otlp;
    private static InProcessThespian back;
    private static InProcessThespian front;
    private static InProcessThespian passive;
    private static final ListAppender<ILoggingEvent> LINES = new ListAppender<>();

    @BeforeAll
    static void startChain() throws Exception {
        LINES.start();
        root().addAppender(LINES);
        otlp = OtlpReceiver.start();
        back = InProcessThespian.start(Map.of("SERVICE_NAME", "back", "OTEL_BACKEND_ADDRESS", otlp.grpcEndpoint(),
                "CONFIG_JSON", "{}"));
        front = InProcessThespian.start(Map.of("SERVICE_NAME", "front", "OTEL_BACKEND_ADDRESS", otlp.grpcEndpoint(),
                "CONFIG_JSON", calls(back.port())));
        passive = InProcessThespian.start(Map.of("SERVICE_NAME", "passive", "OTEL_BACKEND_ADDRESS",
                otlp.grpcEndpoint(), "CONFIG_JSON", calls(back.port()), "THESPIAN_FAULT_HEADERS", "false"));
    }

    private static String calls(int port) {
        return """
                {"grpc_method_a": {"tracing_name": "forward", "operations": [
                    {"Action": {"CallService": {"tracing_name": "to back", "service_address": "127.0.0.1",
                        "service_port": %d, "grpc_method": "A"}}}]}}""".formatted(port);
    }

    private static Logger root() {
        return (Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
    }

    @AfterAll
    static void stopChain() throws InterruptedException {
        root().detachAppender(LINES);
        for (InProcessThespian thespian : new InProcessThespian[] {passive, front, back}) {
            if (thespian != null) {
                thespian.close();
            }
        }
        otlp.close();
    }

    private static Status refusal(InProcessThespian thespian, String plan) {
        StatusRuntimeException error = assertThrows(StatusRuntimeException.class,
                () -> thespian.blockingStubWithHeader(FAULT, plan).a(Nothing.getDefaultInstance()));
        assertEquals(Status.Code.INVALID_ARGUMENT, error.getStatus().getCode(), error.getStatus().toString());
        assertTrue(error.getStatus().getDescription().length() < LONGEST_LINE, error.getStatus().getDescription());
        return error.getStatus();
    }

    @Test
    void aSixtyThousandDigitPercentIsRefusedAtTheFirstInstanceNamingTheEntry() {
        for (InProcessThespian first : new InProcessThespian[] {front, passive}) {
            String description = refusal(first, SIXTY_THOUSAND_DIGITS).getDescription();
            // not relayed from back: the instance that only forwards plans refuses it too
            assertTrue(description.startsWith("thespian-fault entry 1 \"back:delay=5ms@0.0000"), description);
            assertTrue(description.endsWith("the plan is 60,017 characters long, at most 4,096"), description);
        }
    }

    @Test
    void anOversizedPlanIsRefusedNamingTheFirstEntryThatDoesNotFit() {
        String description = refusal(front, "back:delay=1ms," + "x".repeat(5_000) + ":delay=1ms").getDescription();
        assertTrue(description.startsWith("thespian-fault entry 2 \"xxxx"), description);
        assertTrue(description.contains("(4,930 more characters)"), description);
    }

    @Test
    void aPercentWithTooManyDigitsIsRefusedNamingTheEntry() {
        String description = refusal(front, "back:delay=1ms,back:abort=INTERNAL@0." + "0".repeat(2_000) + "1")
                .getDescription();
        assertTrue(description.startsWith("thespian-fault entry 2 \"back:abort=INTERNAL@0.000"), description);
        assertTrue(description.contains("from 0 to 100 with at most 6 decimals"), description);
    }

    @Test
    void logLinesAndSpansQuoteOnlyAnExcerptOfWhatTheClientSent() throws Exception {
        for (int i = 0; i < 5; i++) {
            refusal(front, SIXTY_THOUSAND_DIGITS);
            refusal(passive, SIXTY_THOUSAND_DIGITS);
        }
        List<String> lines = awaitLines(10);
        for (String line : lines) {
            assertTrue(line.length() < LONGEST_LINE, line.length() + " characters: " + line);
        }
        List<ReceivedSpan> spans = otlp.awaitSpans(received -> refusedSpans(received).size() >= 10,
                Duration.ofSeconds(20));
        for (ReceivedSpan span : refusedSpans(spans)) {
            assertTrue(statusMessage(span).length() < LONGEST_LINE, span.toString());
        }
    }

    private static List<ReceivedSpan> refusedSpans(List<ReceivedSpan> spans) {
        return spans.stream().filter(span -> statusMessage(span).contains(FAULT)).toList();
    }

    /** A refusal is the caller's doing: the SERVER span's status stays unset and the description is an attribute. */
    private static String statusMessage(ReceivedSpan span) {
        return span.statusMessage().isEmpty()
                ? String.valueOf(span.attributes().getOrDefault("thespian.status_message", ""))
                : span.statusMessage();
    }

    /** The formatted messages of the log lines that mention the header, once there are {@code count}. */
    private static List<String> awaitLines(int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            List<String> lines;
            synchronized (LINES) {
                lines = LINES.list.stream().map(ILoggingEvent::getFormattedMessage)
                        .filter(line -> line.contains(FAULT)).toList();
            }
            if (lines.size() >= count || System.nanoTime() > deadline) {
                assertTrue(lines.size() >= count, "only " + lines.size() + " log lines mention " + FAULT);
                return lines;
            }
            Thread.sleep(20);
        }
    }
}
