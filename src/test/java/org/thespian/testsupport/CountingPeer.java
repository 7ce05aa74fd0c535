package org.thespian.testsupport;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;

/** A peer on 127.0.0.1 that answers every method of thespian.Thespian OK at once and counts the calls. */
public final class CountingPeer implements AutoCloseable {

    private final AtomicInteger calls = new AtomicInteger();
    private final Server server;

    private CountingPeer() throws IOException {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new ThespianGrpc.ThespianImplBase() {
                    @Override
                    public void a(Nothing request, StreamObserver<Nothing> answer) {
                        answer(request, answer);
                    }

                    @Override
                    public void b(Nothing request, StreamObserver<Nothing> answer) {
                        answer(request, answer);
                    }

                    @Override
                    public void c(Nothing request, StreamObserver<Nothing> answer) {
                        answer(request, answer);
                    }
                })
                .build()
                .start();
    }

    public static CountingPeer start() throws IOException {
        return new CountingPeer();
    }

    private void answer(Nothing request, StreamObserver<Nothing> answer) {
        calls.incrementAndGet();
        answer.onNext(request);
        answer.onCompleted();
    }

    public int port() {
        return server.getPort();
    }

    /** Calls answered so far, of any method. */
    public int calls() {
        return calls.get();
    }

    @Override
    public void close() {
        server.shutdownNow();
    }
}
