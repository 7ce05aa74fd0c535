package org.thespian.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;
import org.thespian.testsupport.InProcessThespian;

/** Many requests at once on few threads, and abandoned requests that stop their remaining work. */
class ConcurrencyTest {

    private static final Nothing NOTHING = Nothing.getDefaultInstance();
    /** Server and client share this JVM; neither may add a thread per request. */
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    @Test
    void fiveThousandSleepingRequestsRunAtOnceOnAFixedSmallNumberOfThreads() throws Exception {
        try (InProcessThespian thespian = InProcessThespian.start("""
                {"grpc_method_a": {"tracing_name": "nap", "operations": [
                  {"Action": {"Sleep": {"tracing_name": "sleep", "duration_ms": 1000}}}]}}""")) {
            // The client shares this JVM: it answers on the transport's threads, so it adds none of its own.
            ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", thespian.port(),
                    InsecureChannelCredentials.create()).directExecutor().build();
            ThespianGrpc.ThespianFutureStub stub = ThespianGrpc.newFutureStub(channel);
            // Warm-up at a concurrency of 100, so that every pool has the threads it keeps before counting.
            List<ListenableFuture<Nothing>> warmUp = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                warmUp.add(stub.withDeadlineAfter(60, TimeUnit.SECONDS).a(NOTHING));
            }
            Futures.allAsList(warmUp).get();
            int threadsBefore = THREADS.getThreadCount();
            List<ListenableFuture<Nothing>> calls = new ArrayList<>();
            long start = System.nanoTime();
            for (int i = 0; i < 5000; i++) {
                calls.add(stub.withDeadlineAfter(60, TimeUnit.SECONDS).a(NOTHING));
            }
            Thread.sleep(500); // all 5,000 are asleep now
            int threadsDuring = THREADS.getThreadCount();
            for (ListenableFuture<Nothing> call : calls) {
                call.get();
            }
            long elapsedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(threadsDuring <= threadsBefore + 2,
                    "threads grew from " + threadsBefore + " to " + threadsDuring + " with 5,000 requests asleep");
            // Sleeps that held one of these threads each would take at least 5,000 / threadsDuring seconds (over
            // 100 s); concurrent ones take one sleep plus the time to send and answer 5,000 calls, which both
            // share this JVM: a few seconds, more on a machine loaded by other work.
            long blockingMs = 5_000_000L / threadsDuring;
            assertTrue(elapsedMs < blockingMs / 4, "5,000 concurrent 1 s sleeps took " + elapsedMs + " ms; blocking"
                    + " sleeps on " + threadsDuring + " threads would take at least " + blockingMs + " ms");
            channel.shutdownNow();
        }
    }

    @Test
    void anExpiredCallStopsItsRemainingWorkAndPassesItsDeadlineOn() throws Exception {
        AtomicInteger callsReceived = new AtomicInteger();
        CountDownLatch peerSawCancel = new CountDownLatch(1);
        Server peer = Grpc.newServerBuilderForPort(0, InsecureServerCredentials.create())
                .addService(new ThespianGrpc.ThespianImplBase() {
                    @Override
                    public void a(Nothing request, StreamObserver<Nothing> responses) {
                        callsReceived.incrementAndGet(); // must never happen: it comes after an expired sleep
                    }

                    @Override
                    public void b(Nothing request, StreamObserver<Nothing> responses) {
                        // never answers: only the propagated deadline can end this call
                        ((ServerCallStreamObserver<Nothing>) responses).setOnCancelHandler(peerSawCancel::countDown);
                    }
                }).build().start();
        try (InProcessThespian thespian = InProcessThespian.start("""
                {"grpc_method_a": {"tracing_name": "slow then call", "operations": [
                  {"Action": {"Sleep": {"tracing_name": "slow", "duration_ms": 300}}},
                  {"Action": {"CallService": {"service_address": "127.0.0.1", "service_port": %1$d, "grpc_method": "A"}}}]},
                 "grpc_method_b": {"tracing_name": "call a hanging peer", "operations": [
                  {"Action": {"CallService": {"service_address": "127.0.0.1", "service_port": %1$d, "grpc_method": "B"}}}]}}"""
                .formatted(peer.getPort()))) {
            expectDeadlineExceeded(() -> thespian.blockingStub().withDeadlineAfter(100, TimeUnit.MILLISECONDS).a(NOTHING));
            expectDeadlineExceeded(() -> thespian.blockingStub().withDeadlineAfter(300, TimeUnit.MILLISECONDS).b(NOTHING));
            assertTrue(peerSawCancel.await(5, TimeUnit.SECONDS), "the hanging peer's call was never cancelled");
            Thread.sleep(500);
            assertEquals(0, callsReceived.get(), "the call after the expired sleep still went out");
        } finally {
            peer.shutdownNow();
        }
    }

    private static void expectDeadlineExceeded(Runnable call) {
        try {
            call.run();
            throw new AssertionError("the call should have run past its deadline");
        } catch (StatusRuntimeException e) {
            assertEquals(io.grpc.Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
        }
    }
}
