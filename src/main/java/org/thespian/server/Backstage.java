package org.thespian.server;

import io.grpc.ChannelCredentials;
import io.grpc.ClientInterceptor;
import java.time.Duration;
import java.util.List;
import java.util.function.UnaryOperator;
import org.thespian.config.Peer;
import org.thespian.engine.Scheduler;

/**
 * What the servers of one process share: the scheduler that ends every sleep and runs what follows, and the
 * peer channels. A cast of fifty members thus needs one timer, one continuation pool and one connection per
 * peer, not fifty of each.
 */
public final class Backstage implements AutoCloseable {

    private final Scheduler scheduler;
    private final GrpcPeerCaller peers;

    private Backstage(Scheduler scheduler, GrpcPeerCaller peers) {
        this.scheduler = scheduler;
        this.peers = peers;
    }

    /**
     * @param peerTls     the credentials for {@code https://} peers
     * @param peerTimeout the deadline of a peer call whose request came without one (THESPIAN_PEER_TIMEOUT)
     * @param directory   where a configured peer really is (see {@link GrpcPeerCaller})
     */
    public static Backstage open(ChannelCredentials peerTls, List<ClientInterceptor> clientInterceptors,
            Duration peerTimeout, UnaryOperator<Peer> directory) {
        return new Backstage(Scheduler.start(),
                new GrpcPeerCaller(peerTls, clientInterceptors, peerTimeout, directory));
    }

    Scheduler scheduler() {
        return scheduler;
    }

    GrpcPeerCaller peers() {
        return peers;
    }

    @Override
    public void close() {
        peers.close();
        scheduler.close();
    }
}
