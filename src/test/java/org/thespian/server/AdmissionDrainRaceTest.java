package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.Attributes;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.thespian.proto.ThespianGrpc;

/**
 * A call that passed the drain check a moment before the drain began, and reached admission after the drain cut
 * off what was running: it is cut off as it arrives, by the server, not left to be reported later as "the caller
 * cancelled". The interleaving cannot be forced over a socket, so the call here is a recording stand-in.
 */
class AdmissionDrainRaceTest {

    @Test
    void aCallAdmittedAfterTheCutOffIsCutOffAtOnceSayingSo() {
        HeapPressure heap = HeapPressure.watch();
        try {
            Admission admission = new Admission(10, new AdaptiveLimit(10, Duration.ZERO), heap, new CallStats());
            admission.cutOffAll("the server is shutting down");
            RecordingCall call = new RecordingCall();
            admission.interceptCall(call, new Metadata(), (admitted, headers) -> {
                throw new AssertionError("the service must not start a call that was cut off");
            });
            assertEquals(List.of(Status.Code.UNAVAILABLE), call.codes);
            assertEquals(0, admission.inFlight());
            assertEquals("cut off by the server: the server is shutting down", call.descriptions.get(0));
            assertEquals("refused", call.trailers.get(0).get(PeerFailures.ANSWERED_BY_THESPIAN));
        } finally {
            heap.close();
        }
    }

    private static final class RecordingCall extends ServerCall<Object, Object> {
        final List<Status.Code> codes = new ArrayList<>();
        final List<String> descriptions = new ArrayList<>();
        final List<Metadata> trailers = new ArrayList<>();

        @Override
        public void close(Status status, Metadata trailers) {
            codes.add(status.getCode());
            descriptions.add(status.getDescription());
            this.trailers.add(trailers);
        }

        @Override
        @SuppressWarnings("unchecked")
        public MethodDescriptor<Object, Object> getMethodDescriptor() {
            return (MethodDescriptor<Object, Object>) (MethodDescriptor<?, ?>) ThespianGrpc.getAMethod();
        }

        @Override
        public void request(int numMessages) {
        }

        @Override
        public void sendHeaders(Metadata headers) {
        }

        @Override
        public void sendMessage(Object message) {
        }

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public Attributes getAttributes() {
            return Attributes.EMPTY;
        }
    }
}
