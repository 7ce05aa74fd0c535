package org.thespian.testsupport;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;

/**
 * A peer that answers every method of thespian.Thespian OK at once and counts the calls: a configured peer, one
 * replica, or one pod.
 */
public final class CountingPeer implements AutoCloseable {

    private final AtomicInteger calls = new AtomicInteger();
    private final Server server;

    private CountingPeer(InetSocketAddress address) throws IOException {
        server = NettyServerBuilder.forAddress(address)
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

    /** On a free port of 127.0.0.1. */
    public static CountingPeer start() throws IOException {
        return on(Loopback.HOST, 0);
    }

    public static CountingPeer on(String host, int port) throws IOException {
        return new CountingPeer(new InetSocketAddress(host, port));
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
