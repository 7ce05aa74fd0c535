package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.InsecureChannelCredentials;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.thespian.cast.FreePorts;
import org.thespian.config.Action.CallService;
import org.thespian.config.Method;
import org.thespian.config.Peer;
import org.thespian.engine.Dice;
import org.thespian.engine.Execution;
import org.thespian.engine.Scheduler;
import org.thespian.testsupport.CountingPeer;
import org.thespian.testsupport.TimingSensitive;

/** One channel over the replicas of a member in this JVM, as a cast's directory gives their addresses. */
class ReplicaChannelTest {

    private static final Peer PAYMENT = new Peer("payment", 6379, false);

    @Test
    @TimingSensitive // the late replicas must be called within 450 ms, before gRPC's own back-off would retry them
    void replicasThatStartAfterTheirCallersChannelIsReadyGetCallsOnceTheCastConnectsIt() throws Exception {
        List<Integer> ports = FreePorts.take(3);
        PeerDirectory directory = peer -> peer.equals(PAYMENT)
                ? ports.stream().map(port -> new Peer("127.0.0.1", port, false)).toList()
                : List.of(peer);
        try (CountingPeer first = CountingPeer.on("127.0.0.1", ports.get(0));
                Scheduler scheduler = Scheduler.start();
                GrpcPeerCaller caller = new GrpcPeerCaller(InsecureChannelCredentials.create(), List.of(),
                        ServerLimits.DEFAULT_PEER_TIMEOUT, directory, scheduler)) {
            // The channel is READY through the first replica; the others refuse and back off: 0.8 to 1.2 s, then,
            // refused again, at least 1.28 s more (gRPC's back-off, jittered by 20%), so none retries before 2.08 s.
            caller.use(this, Set.of(PAYMENT));
            caller.connectAll(Duration.ofSeconds(5));
            Thread.sleep(1300);
            try (CountingPeer second = CountingPeer.on("127.0.0.1", ports.get(1));
                    CountingPeer third = CountingPeer.on("127.0.0.1", ports.get(2))) {
                caller.connectAll(Duration.ofSeconds(5)); // as a cast does once all its members listen
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(450);
                while ((second.calls() == 0 || third.calls() == 0) && System.nanoTime() < deadline) {
                    caller.call(new CallService("pay", PAYMENT, Method.A),
                            new Execution(Dice.of(OptionalLong.empty()).nextRequest(), OptionalLong.empty()))
                            .get(10, TimeUnit.SECONDS);
                }
                assertTrue(second.calls() > 0 && third.calls() > 0, "the late replicas took calls at once: "
                        + List.of(first.calls(), second.calls(), third.calls()));
            }
        }
    }
}
