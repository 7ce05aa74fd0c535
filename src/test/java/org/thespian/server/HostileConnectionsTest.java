package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.thespian.engine.EngineLimits;
import org.thespian.config.Config;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;
import org.thespian.testsupport.RawHttp2;
import org.thespian.testsupport.TimingSensitive;

/** What a hostile client does to the transport, against a real server on a free port. */
class HostileConnectionsTest {

    private static final Duration SHORT = Duration.ofSeconds(1);
    private static final Duration BOUND = Duration.ofSeconds(6);

    private RunningThespian thespian;
    private ThespianServer server;
    private ManagedChannel channel;

    private void start(ServerLimits limits) throws IOException {
        thespian = RunningThespian.start(Config.empty(), limits);
        server = thespian.server();
        channel = thespian.channel();
    }

    @AfterEach
    void stop() throws InterruptedException {
        thespian.close();
    }

    @Test
    void aConnectionThatSendsOnlyThePrefaceIsClosedAfterTheHandshakeTimeout() throws IOException {
        start(new ServerLimits(100, ServerLimits.DEFAULT_PEER_TIMEOUT, SHORT, Duration.ofMinutes(5),
                EngineLimits.DEFAULT));
        try (RawHttp2 connection = RawHttp2.connect(server.port()).sendPrefaceOnly()) {
            assertTrue(connection.awaitClosedByServer(BOUND), "still open after " + BOUND);
        }
        assertServing();
    }

    @Test
    void aConnectionThatNeverCallsIsClosedWhenIdleTooLong() throws IOException {
        start(new ServerLimits(100, ServerLimits.DEFAULT_PEER_TIMEOUT, Duration.ofMinutes(5), SHORT,
                EngineLimits.DEFAULT));
        // GOAWAY at once; the close follows the answer to grpc-java's graceful-shutdown PING, which this client
        // sends as any HTTP/2 stack would (without it, the close waits 10 s for the PING to time out).
        try (RawHttp2 connection = RawHttp2.connect(server.port()).handshake(BOUND)) {
            assertTrue(connection.awaitClosedByServerAnsweringPings(BOUND), "still open after " + BOUND);
        }
        assertServing();
    }

    @Test
    @TimingSensitive
    void aConnectionThatResetsStreamsRapidlyGetsGoAway() throws IOException {
        start(ServerLimits.defaults());
        try (RawHttp2 connection = RawHttp2.connect(server.port()).handshake(BOUND)) {
            int resets = 0;
            RawHttp2.Frame frame = null;
            try {
                for (; resets <= 2 * ThespianServer.MAX_RESETS_PER_WINDOW; resets++) {
                    int stream = 2 * resets + 1;
                    connection.headers(stream, "/thespian.Thespian/A", false);
                    connection.reset(stream);
                }
                connection.flush();
            } catch (IOException closedOnUs) {
                // the server may close before every reset is written
            }
            do {
                frame = connection.read(BOUND);
            } while (frame.type() != RawHttp2.GOAWAY);
            // GOAWAY's error code follows the last stream id: ENHANCE_YOUR_CALM (0xb)
            assertEquals(0xb, frame.payload()[7], "error code of " + Arrays.toString(frame.payload()));
        }
        assertServing();
    }

    @Test
    void aMalformedRequestIsInvalidArgumentNotUnknown() throws IOException {
        start(ServerLimits.defaults());
        byte[] groupsTooDeep = new byte[202];
        Arrays.fill(groupsTooDeep, 0, 101, (byte) 0x0B); // start group, field 1
        Arrays.fill(groupsTooDeep, 101, 202, (byte) 0x0C); // end group, field 1
        byte[] truncatedVarint = {0x08, (byte) 0xFF};
        for (byte[] request : new byte[][] {groupsTooDeep, truncatedVarint}) {
            for (String method : new String[] {"thespian.Thespian/A", "grpc.health.v1.Health/Check"}) {
                Status status = callWithRawBytes(method, request);
                assertEquals(Status.Code.INVALID_ARGUMENT, status.getCode(), method + ": " + status);
                assertTrue(status.getDescription().startsWith("the request message is not a valid " + method),
                        status.getDescription());
            }
        }
        assertServing();
    }

    private Status callWithRawBytes(String method, byte[] request) {
        MethodDescriptor<InputStream, InputStream> descriptor = MethodDescriptor.<InputStream, InputStream>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(method)
                .setRequestMarshaller(AS_IS)
                .setResponseMarshaller(AS_IS)
                .build();
        try {
            ClientCalls.blockingUnaryCall(channel, descriptor, CallOptions.DEFAULT.withDeadlineAfter(10,
                    TimeUnit.SECONDS), new ByteArrayInputStream(request));
            return Status.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus();
        }
    }

    private void assertServing() {
        assertEquals(ServingStatus.SERVING, HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                .check(HealthCheckRequest.getDefaultInstance()).getStatus());
        ThespianGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS).a(Nothing.getDefaultInstance());
    }

    /** Bytes go out exactly as given; what comes back is not looked at. */
    private static final MethodDescriptor.Marshaller<InputStream> AS_IS = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(InputStream value) {
            return value;
        }

        @Override
        public InputStream parse(InputStream stream) {
            return stream;
        }
    };
}
