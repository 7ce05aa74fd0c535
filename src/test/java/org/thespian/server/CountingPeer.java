package org.thespian.server;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;

/** A peer on one address that answers A at once and counts the calls it took: one replica, or one pod. */
final class CountingPeer implements AutoCloseable {

    private final AtomicInteger calls = new AtomicInteger();
    private final Server server;

    CountingPeer(String host, int port) throws IOException {
        server = NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
                .addService(new ThespianGrpc.ThespianImplBase() {
                    @Override
                    public void a(Nothing request, StreamObserver<Nothing> responses) {
                        calls.incrementAndGet();
                        responses.onNext(request);
                        responses.onCompleted();
                    }
                }).build().start();
    }

    int calls() {
        return calls.get();
    }

    @Override
    public void close() {
        server.shutdownNow();
    }
}
