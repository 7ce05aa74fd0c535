package org.thespian.server;

import io.grpc.ManagedChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.Channel;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.ServerChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import io.grpc.netty.shaded.io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The event loops that read, decode and (the engine never blocks) act out the calls of every server of this
 * process, and carry its calls to peers: grpc's own would serve as well, but these are the process's to watch.
 * Requests that arrive faster than a loop handles them wait in the socket, out of admission's sight, so
 * {@link ProcessLag} asks each loop how late it runs a task.
 *
 * <p>Why the peer channels run here too: on grpc's own client loops, a cast's hops between its members waited in a
 * queue no probe saw (measured under an open loop at twice a three-member chain's capacity: 18,000 hops queued in
 * the one client loop while every probed thread ran on time, and the adaptive limit kept doubling), and every hop
 * crossed from a server's loop to a client's and back. On the same loops the limit sees that backlog, and the
 * chain's capacity on one CPU rose by about a third.
 */
final class TransportThreads implements AutoCloseable {

    private final EventLoopGroup group;
    private final Class<? extends ServerChannel> channelType;
    private final Class<? extends Channel> clientChannelType;

    private TransportThreads(EventLoopGroup group, Class<? extends ServerChannel> channelType,
            Class<? extends Channel> clientChannelType) {
        this.group = group;
        this.channelType = channelType;
        this.clientChannelType = clientChannelType;
    }

    /** As many loops as grpc would start (twice the cores), on epoll where it is available, as grpc would. */
    static TransportThreads start() {
        DefaultThreadFactory threads = new DefaultThreadFactory("thespian-transport", true);
        return Epoll.isAvailable()
                ? new TransportThreads(new EpollEventLoopGroup(0, threads), EpollServerSocketChannel.class,
                        EpollSocketChannel.class)
                : new TransportThreads(new NioEventLoopGroup(0, threads), NioServerSocketChannel.class,
                        NioSocketChannel.class);
    }

    /** Has {@code builder}'s server accept and serve its connections on these loops. */
    NettyServerBuilder serve(NettyServerBuilder builder) {
        return builder.bossEventLoopGroup(group).workerEventLoopGroup(group).channelType(channelType);
    }

    /**
     * Has {@code builder}'s channel connect and run on these loops. Every channel builder grpc hands out here is
     * Netty's (the only transport in the jar); another would keep grpc's own loops.
     */
    ManagedChannelBuilder<?> carry(ManagedChannelBuilder<?> builder) {
        if (builder instanceof NettyChannelBuilder netty) {
            netty.eventLoopGroup(group).channelType(clientChannelType);
        }
        return builder;
    }

    List<EventExecutor> loops() {
        List<EventExecutor> loops = new ArrayList<>();
        group.forEach(loops::add);
        return loops;
    }

    /** After every server on these loops has stopped. */
    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
