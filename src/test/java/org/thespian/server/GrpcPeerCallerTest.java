package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.InsecureChannelCredentials;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.OptionalLong;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.thespian.config.Action.CallService;
import org.thespian.config.ConfigParser;
import org.thespian.config.FailureCode;
import org.thespian.config.Method;
import org.thespian.config.Peer;
import org.thespian.engine.ActionFailure;
import org.thespian.engine.Dice;
import org.thespian.engine.Execution;
import org.thespian.engine.Scheduler;
import org.thespian.engine.TraceBudget;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;

/** Peer calls against real servers on free ports: cancellation races and what each kind of failure says. */
class GrpcPeerCallerTest {

    private final ExecutorService cancellers = Executors.newSingleThreadExecutor();
    private final Scheduler scheduler = Scheduler.start();
    private final GrpcPeerCaller caller = new GrpcPeerCaller(InsecureChannelCredentials.create(), List.of(),
            ServerLimits.DEFAULT_PEER_TIMEOUT, scheduler);
    private ThespianServer peer;

    @BeforeEach
    void startPeer() throws Exception {
        peer = ThespianServer.start(0, ConfigParser.parse("""
                {"grpc_method_a": {"tracing_name": "nap", "operations": [
                    {"Action": {"Sleep": {"tracing_name": "short", "duration_ms": 2}}}]},
                 "grpc_method_b": {"tracing_name": "broken", "operations": [
                    {"Action": {"Sleep": {"tracing_name": "disk full", "duration_ms": 0, "failure_chance": 1}}}]},
                 "grpc_method_c": {"tracing_name": "slow", "operations": [
                    {"Action": {"Sleep": {"tracing_name": "long", "duration_ms": 3000}}}]}}
                """), Dice.of(OptionalLong.empty()), InsecureChannelCredentials.create(), Instrumentation.NONE);
    }

    @AfterEach
    void stop() throws InterruptedException {
        caller.close();
        scheduler.close();
        cancellers.shutdownNow();
        peer.stop(Duration.ZERO);
    }

    @Test
    void aCallOnACancelledRequestFailsAsCancelledWithoutStarting() {
        Execution execution = execution();
        execution.cancel();
        ActionFailure failure = failureOf(caller.call(call(peer.port(), Method.A), execution));
        assertEquals(FailureCode.CANCELLED, failure.code());
        assertTrue(failure.reason().startsWith("cancelled"), failure.getMessage());
    }

    @Test
    void aCancelRacingTheStartIsACancellationNeverAnInternalError() throws Exception {
        CallService call = call(peer.port(), Method.A);
        caller.call(call, execution()).get(5, TimeUnit.SECONDS); // connected
        List<CompletableFuture<Void>> outcomes = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            Execution execution = execution();
            long delayNanos = i % 5 * 50_000L;
            cancellers.execute(() -> {
                LockSupport.parkNanos(delayNanos);
                execution.cancel();
            });
            outcomes.add(caller.call(call, execution));
        }
        for (CompletableFuture<Void> outcome : outcomes) {
            Throwable error = outcome.handle((ignored, e) -> e).get(5, TimeUnit.SECONDS);
            if (error != null) {
                ActionFailure failure = assertInstanceOf(ActionFailure.class, error);
                assertEquals(FailureCode.CANCELLED, failure.code(), failure.getMessage());
            }
        }
    }

    /**
     * A hop runs on the process's transport loops, where {@link ProcessLag} probes: on grpc's own client loop, a
     * backlog of hops was out of the adaptive limit's sight.
     */
    @Test
    void callsToPeersRunOnTheTransportLoopsTheLagProbes() throws Exception {
        List<String> threads = new CopyOnWriteArrayList<>();
        ClientInterceptor recordingThreads = new ClientInterceptor() {
            @Override
            public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options,
                    Channel next) {
                return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
                    @Override
                    public void start(Listener<R> listener, Metadata headers) {
                        super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                            @Override
                            public void onClose(Status status, Metadata trailers) {
                                threads.add(Thread.currentThread().getName());
                                super.onClose(status, trailers);
                            }
                        }, headers);
                    }
                };
            }
        };
        try (TransportThreads transport = TransportThreads.start();
                GrpcPeerCaller onTransport = new GrpcPeerCaller(InsecureChannelCredentials.create(),
                        List.of(recordingThreads), ServerLimits.DEFAULT_PEER_TIMEOUT, PeerDirectory.AS_CONFIGURED,
                        scheduler, transport::carry)) {
            for (int i = 0; i < 3; i++) {
                onTransport.call(call(peer.port(), Method.A), execution()).get(5, TimeUnit.SECONDS);
            }
        }
        assertEquals(3, threads.size(), threads.toString());
        assertTrue(threads.stream().allMatch(name -> name.startsWith("thespian-transport")), threads.toString());
    }

    @Test
    void aRefusedConnectionSaysSoWithHostAndPort() throws IOException {
        int closed = closedPort();
        ActionFailure failure = failureOf(caller.call(call(closed, Method.A), execution()));
        assertEquals(FailureCode.INTERNAL, failure.code());
        assertFalse(failure.fromPeer());
        assertEquals("peer http://127.0.0.1:" + closed + " (thespian.Thespian/A) is unavailable: connection refused"
                + " by 127.0.0.1:" + closed, failure.reason());
    }

    /**
     * A peer that starts after its callers (a cast's member, a pod behind a slow readiness gate) is answered by the
     * first call that comes after it listens: that call makes the failing channel try again and waits for the
     * attempt, rather than failing with the refusal from before the peer was up.
     */
    @Test
    void aPeerThatStartsAfterItsChannelFailedAnswersTheNextCall() throws Exception {
        int late = closedPort();
        Peer latePeer = new Peer("127.0.0.1", late, false);
        caller.use(this, Set.of(latePeer));
        caller.connectAll(Duration.ofMillis(300)); // refused: the channel is failing when the peer comes up
        ThespianServer startedLate = ThespianServer.start(late, ConfigParser.parse("{}"), Dice.of(OptionalLong.empty()),
                InsecureChannelCredentials.create(), Instrumentation.NONE);
        try {
            CallService call = call(late, Method.A);
            Execution execution = execution();
            caller.ready(call, execution).thenCompose(ignored -> caller.call(call, execution)).get(5, TimeUnit.SECONDS);
        } finally {
            startedLate.stop(Duration.ZERO);
        }
    }

    /** Only the call that makes the channel try again waits; the others fail at once with its last error. */
    @Test
    void aRefusingPeerMakesOneCallASecondWaitForTheNextConnectAttempt() throws Exception {
        int closed = closedPort();
        Peer down = new Peer("127.0.0.1", closed, false);
        caller.use(this, Set.of(down));
        caller.connectAll(Duration.ofMillis(300));
        CallService call = call(closed, Method.A);
        Execution execution = execution();
        CompletableFuture<Void> first = caller.ready(call, execution);
        CompletableFuture<Void> second = caller.ready(call, execution);
        assertTrue(second.isDone(), "a second call within the reconnect interval must not wait");
        first.get(5, TimeUnit.SECONDS); // the bounded wait ends even though a refused attempt changes no state
        ActionFailure failure = failureOf(caller.call(call, execution));
        assertTrue(failure.reason().contains("connection refused"), failure.reason());
    }

    @Test
    void aPortThatDoesNotSpeakGrpcIsThisActionsOwnFailure() throws Exception {
        try (ServerSocket http = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> answerHttp(http));
            server.setDaemon(true);
            server.start();
            ActionFailure failure = failureOf(caller.call(call(http.getLocalPort(), Method.A), execution()));
            assertEquals(FailureCode.INTERNAL, failure.code());
            assertFalse(failure.fromPeer(), failure.getMessage());
            assertTrue(failure.reason().startsWith("peer http://127.0.0.1:" + http.getLocalPort()
                    + " (thespian.Thespian/A) "), failure.reason());
        }
    }

    @Test
    void aThespianPeersFailureIsRelayedAsItsOwn() {
        ActionFailure failure = failureOf(caller.call(call(peer.port(), Method.B), execution()));
        assertTrue(failure.fromPeer());
        assertEquals(FailureCode.INTERNAL, failure.code());
        assertEquals("peer http://127.0.0.1:" + peer.port() + " (thespian.Thespian/B) answered INTERNAL:"
                + " broken > disk full: failed by chance (failure_chance 1.0, rolled ", failure.reason()
                .substring(0, failure.reason().lastIndexOf(' ') + 1));
    }

    @Test
    void aResetConnectionIsNamedAsAReset() throws Exception {
        try (ServerSocket resetting = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread server = new Thread(() -> {
                while (!resetting.isClosed()) {
                    try (Socket socket = resetting.accept()) {
                        socket.setSoLinger(true, 0); // close with RST
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
            server.setDaemon(true);
            server.start();
            int port = resetting.getLocalPort();
            ActionFailure failure = failureOf(caller.call(call(port, Method.A), execution()));
            assertEquals(FailureCode.INTERNAL, failure.code());
            // Which one depends on when the reset arrives: before, during or after the client's HTTP/2 preface.
            assertTrue(failure.reason().matches(".* is unavailable: connection (reset|refused|closed) by 127\\.0\\.0\\.1:"
                    + port + "( during the HTTP/2 handshake)?"), failure.reason());
        }
    }

    @Test
    void aPeersOwnCancelIsCancelledByThePeerNotACancellationOfOurs() throws Exception {
        io.grpc.Server cancelling = io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder.forPort(0)
                .addService(new org.thespian.proto.ThespianGrpc.ThespianImplBase() {
                    @Override
                    public void a(org.thespian.proto.Nothing request,
                            io.grpc.stub.StreamObserver<org.thespian.proto.Nothing> responses) {
                        responses.onError(io.grpc.Status.CANCELLED.withDescription("gave up").asRuntimeException());
                    }
                }).build().start();
        try {
            Execution execution = execution();
            ActionFailure failure = failureOf(caller.call(call(cancelling.getPort(), Method.A), execution));
            assertFalse(failure.isCancellation(), failure.getMessage());
            assertFalse(execution.isCancelled());
            assertEquals(FailureCode.INTERNAL, failure.code());
            assertEquals(FailureCode.CANCELLED, failure.callStatus());
            assertEquals("peer http://127.0.0.1:" + cancelling.getPort() + " (thespian.Thespian/A) ended the call:"
                    + " cancelled by the peer: gave up", failure.reason());
        } finally {
            cancelling.shutdownNow();
        }
    }

    @Test
    void theCallersDeadlinePassingEndsTheRequestAsACancellation() {
        Execution execution = new Execution(Dice.of(OptionalLong.empty()).nextRequest(),
                OptionalLong.of(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200)));
        ActionFailure failure = failureOf(caller.call(call(peer.port(), Method.C), execution));
        assertTrue(failure.isCancellation(), failure.getMessage());
        assertEquals("cancelled: the caller's deadline passed", failure.reason());
        assertEquals("the caller's deadline passed", execution.cancelledBecause(),
                "the whole request ends, not just this call");
    }

    /** Before, the request was cancelled as if its own deadline had passed, and its caller waited for that deadline. */
    @Test
    void aPeerAnsweringDeadlineExceededOfItsOwnAccordFailsTheCallButNotTheRequest() throws Exception {
        ThespianServer timingOut = ThespianServer.start(0, ConfigParser.parse("""
                {"grpc_method_a": {"tracing_name": "payment", "operations": [
                    {"Action": {"Sleep": {"tracing_name": "bank", "duration_ms": 0, "failure_chance": 1,
                        "failure_codes": {"DEADLINE_EXCEEDED": 1}}}}]}}"""), Dice.of(OptionalLong.empty()),
                InsecureChannelCredentials.create(), Instrumentation.NONE);
        try {
            Execution execution = new Execution(Dice.of(OptionalLong.empty()).nextRequest(),
                    OptionalLong.of(System.nanoTime() + TimeUnit.SECONDS.toNanos(60)));
            ActionFailure failure = failureOf(caller.call(call(timingOut.port(), Method.A), execution));
            assertEquals(FailureCode.DEADLINE_EXCEEDED, failure.code());
            assertTrue(failure.reason().contains("answered DEADLINE_EXCEEDED: payment > bank: failed by chance"),
                    failure.reason());
            assertFalse(execution.isCancelled(), "the request was ended: " + execution.cancelledBecause());
        } finally {
            timingOut.stop(Duration.ZERO);
        }
    }

    @Test
    void droppingAPeerUnderLoadFailsNoCallAndClosesItsChannelOnceIdle() throws Exception {
        Peer target = new Peer("127.0.0.1", peer.port(), false);
        Object member = new Object();
        caller.use(member, Set.of(target));
        ExecutorService callers = Executors.newFixedThreadPool(2);
        try {
            List<java.util.concurrent.Future<List<CompletableFuture<Void>>>> started = new ArrayList<>();
            for (int thread = 0; thread < 2; thread++) {
                started.add(callers.submit(() -> {
                    List<CompletableFuture<Void>> outcomes = new ArrayList<>();
                    for (int i = 0; i < 300; i++) {
                        outcomes.add(caller.call(call(peer.port(), Method.A), execution()));
                    }
                    return outcomes;
                }));
            }
            for (int round = 0; round < 300; round++) { // SetConfig dropping and re-adding the peer, meanwhile
                caller.use(member, round % 2 == 0 ? Set.of() : Set.of(target));
            }
            for (var outcomes : started) {
                for (CompletableFuture<Void> outcome : outcomes.get(10, TimeUnit.SECONDS)) {
                    outcome.get(10, TimeUnit.SECONDS); // fails the test if any call failed
                }
            }
        } finally {
            callers.shutdownNow();
        }
        caller.use(member, Set.of());
        assertEquals(Set.of(), caller.connectedPeers());
    }

    /** An HTTP/1.1 server: answers whatever arrives with 400 and closes. */
    private static void answerHttp(ServerSocket http) {
        while (!http.isClosed()) {
            try (Socket socket = http.accept(); OutputStream out = socket.getOutputStream()) {
                socket.getInputStream().read(new byte[4096]);
                out.write("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
            } catch (IOException closed) {
                return;
            }
        }
    }

    @Test
    void aPeerPastTheDefaultDeadlineIsReportedAgainstThespianPeerTimeout() {
        try (GrpcPeerCaller impatient = new GrpcPeerCaller(InsecureChannelCredentials.create(), List.of(),
                Duration.ofMillis(200), scheduler)) {
            ActionFailure failure = failureOf(impatient.call(call(peer.port(), Method.C), execution()));
            assertEquals(FailureCode.DEADLINE_EXCEEDED, failure.code());
            assertEquals("peer http://127.0.0.1:" + peer.port() + " (thespian.Thespian/C) did not answer within"
                    + " THESPIAN_PEER_TIMEOUT (200 ms; the request came without a deadline)", failure.reason());
        }
    }

    @Test
    void aConfigChangeRetiresOnlyTheChannelsNoServerOfTheProcessNamesAnyMore() {
        Peer shared = new Peer("127.0.0.1", peer.port(), false);
        Peer onlyMine = new Peer("localhost", peer.port(), false);
        Object member = new Object();
        Object otherMember = new Object();
        caller.use(otherMember, Set.of(shared));
        caller.use(member, Set.of(shared, onlyMine));
        assertEquals(Set.of(shared, onlyMine), caller.connectedPeers());

        caller.use(member, Set.of());

        assertEquals(Set.of(shared), caller.connectedPeers(), "the other member's channel must stay open");
        assertEquals(FailureCode.INTERNAL, failureOf(caller.call(call(peer.port(), Method.B), execution())).code(), "a call on the kept channel still reaches the peer");
    }

    /**
     * What a request carries from hop to hop travels with its execution: a call started on a thread that has never
     * seen the request (as a timer's or a peer answer's continuation is) still forwards its hops, fault header and a
     * loan of its trace budget, and the callee's trailer settles the loan.
     */
    @Test
    void aCallCarriesItsRequestsMetadataFromTheExecutionOnAnyThread() throws Exception {
        BlockingQueue<Metadata> seen = new LinkedBlockingQueue<>();
        Server recorder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(ServerInterceptors.intercept(new ThespianGrpc.ThespianImplBase() {
                    @Override
                    public void a(Nothing request, StreamObserver<Nothing> responses) {
                        responses.onNext(request);
                        responses.onCompleted();
                    }
                }, new ServerInterceptor() {
                    @Override
                    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                            ServerCallHandler<Q, R> next) {
                        seen.add(headers);
                        return next.startCall(new SimpleForwardingServerCall<>(call) {
                            @Override
                            public void close(Status status, Metadata trailers) {
                                trailers.put(RequestMetadata.BUDGET_HEADER, "40"); // the callee spent the rest
                                super.close(status, trailers);
                            }
                        }, headers);
                    }
                })).build().start();
        try {
            TraceBudget budget = new TraceBudget(100);
            Execution execution = new Execution(Dice.of(OptionalLong.empty()).nextRequest(), OptionalLong.empty(),
                    new RequestMetadata(2, "leaf:delay=5ms", Optional.empty(), budget));
            CallService call = call(recorder.getPort(), Method.A);

            CompletableFuture.supplyAsync(() -> caller.call(call, execution), cancellers).get(10, TimeUnit.SECONDS)
                    .get(10, TimeUnit.SECONDS);

            Metadata headers = seen.poll(10, TimeUnit.SECONDS);
            assertEquals("3", headers.get(RequestMetadata.HOPS_HEADER));
            assertEquals("leaf:delay=5ms", headers.get(RequestMetadata.FAULT_HEADER));
            assertEquals("99", headers.get(RequestMetadata.BUDGET_HEADER), "all that is left, less the call's unit");
            assertEquals(40, budget.giveBack(), "the callee's 40 unspent units came back; the rest is spent");
        } finally {
            recorder.shutdownNow();
        }
    }

    /** A loopback port nothing listens on (until a test starts something there). */
    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private static CallService call(int port, Method method) {
        return new CallService("call", new Peer("127.0.0.1", port, false), method);
    }

    private static Execution execution() {
        return new Execution(Dice.of(OptionalLong.empty()).nextRequest(), OptionalLong.empty());
    }

    private static ActionFailure failureOf(CompletableFuture<Void> outcome) {
        try {
            outcome.get(10, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            return assertInstanceOf(ActionFailure.class, e.getCause());
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("expected a failure");
    }
}
