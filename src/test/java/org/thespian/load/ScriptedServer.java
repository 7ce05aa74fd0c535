package org.thespian.load;

import io.grpc.Grpc;
import io.grpc.InsecureServerCredentials;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;

/**
 * A bare grpc-java server for method A on a free port, on the transport threads like Thespian: each call goes
 * to {@code behaviour} with its number (from 1). It counts calls, the most in flight at once, and keeps the
 * metadata of each call.
 */
final class ScriptedServer implements AutoCloseable {

    /** What the server does with call number {@code number}; it must finish {@code answer} once, some time. */
    @FunctionalInterface
    interface Behaviour {
        void handle(int number, Answer answer);
    }

    /** Ends one call, from any thread. */
    static final class Answer {
        private final StreamObserver<Nothing> responses;
        private final AtomicInteger inFlight;

        Answer(StreamObserver<Nothing> responses, AtomicInteger inFlight) {
            this.responses = responses;
            this.inFlight = inFlight;
        }

        void ok() {
            inFlight.decrementAndGet();
            responses.onNext(Nothing.getDefaultInstance());
            responses.onCompleted();
        }
    }

    private final AtomicInteger calls = new AtomicInteger();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger mostInFlight = new AtomicInteger();
    private final List<Metadata> headers = new CopyOnWriteArrayList<>();
    private final Server server;

    ScriptedServer(Behaviour behaviour) throws IOException {
        this(0, behaviour);
    }

    /** On {@code port}, or on a free one for 0. */
    ScriptedServer(int port, Behaviour behaviour) throws IOException {
        ThespianGrpc.ThespianImplBase service = new ThespianGrpc.ThespianImplBase() {
            @Override
            public void a(Nothing request, StreamObserver<Nothing> responses) {
                mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                behaviour.handle(calls.incrementAndGet(), new Answer(responses, inFlight));
            }
        };
        ServerInterceptor keepHeaders = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata metadata,
                    ServerCallHandler<Q, R> next) {
                headers.add(metadata);
                return next.startCall(call, metadata);
            }
        };
        server = Grpc.newServerBuilderForPort(port, InsecureServerCredentials.create())
                .directExecutor()
                .addService(ServerInterceptors.intercept(service, keepHeaders))
                .build()
                .start();
    }

    int port() {
        return server.getPort();
    }

    int calls() {
        return calls.get();
    }

    int mostInFlight() {
        return mostInFlight.get();
    }

    List<Metadata> headers() {
        return List.copyOf(headers);
    }

    @Override
    public void close() throws InterruptedException {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
}
