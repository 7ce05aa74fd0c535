package org.thespian.server;

import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptor;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.UnaryOperator;
import org.thespian.config.Peer;
import org.thespian.engine.Engine;

/**
 * What the servers of one process share: the timer that ends every sleep, and the peer channels. A cast of fifty
 * members thus needs one timer thread and one connection per peer, not fifty of each.
 */
public final class Backstage implements AutoCloseable {

    private final ScheduledExecutorService timer;
    private final GrpcPeerCaller peers;

    private Backstage(ScheduledExecutorService timer, GrpcPeerCaller peers) {
        this.timer = timer;
        this.peers = peers;
    }

    /**
     * @param peerTls   the credentials for {@code https://} peers
     * @param directory where a configured peer really is (see {@link GrpcPeerCaller})
     */
    public static Backstage open(ChannelCredentials peerTls, List<ClientInterceptor> clientInterceptors,
            UnaryOperator<Peer> directory) {
        return new Backstage(Engine.newTimer(), new GrpcPeerCaller(peerTls, clientInterceptors, directory));
    }

    ScheduledExecutorService timer() {
        return timer;
    }

    GrpcPeerCaller peers() {
        return peers;
    }

    @Override
    public void close() {
        peers.close();
        timer.shutdownNow();
    }
}
