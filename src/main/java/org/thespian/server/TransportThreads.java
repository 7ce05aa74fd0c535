package org.thespian.server;

import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.ServerChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import io.grpc.netty.shaded.io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The event loops that read, decode and (the engine never blocks) act out the calls of every server of this
 * process: grpc's own would serve as well, but these are the process's to watch. Requests that arrive faster
 * than a loop handles them wait in the socket, out of admission's sight, so {@link ProcessLag} asks each loop how
 * late it runs a task.
 */
final class TransportThreads implements AutoCloseable {

    private final EventLoopGroup group;
    private final Class<? extends ServerChannel> channelType;

    private TransportThreads(EventLoopGroup group, Class<? extends ServerChannel> channelType) {
        this.group = group;
        this.channelType = channelType;
    }

    /** As many loops as grpc would start (twice the cores), on epoll where it is available, as grpc would. */
    static TransportThreads start() {
        DefaultThreadFactory threads = new DefaultThreadFactory("thespian-transport", true);
        return Epoll.isAvailable()
                ? new TransportThreads(new EpollEventLoopGroup(0, threads), EpollServerSocketChannel.class)
                : new TransportThreads(new NioEventLoopGroup(0, threads), NioServerSocketChannel.class);
    }

    /** Has {@code builder}'s server accept and serve its connections on these loops. */
    NettyServerBuilder serve(NettyServerBuilder builder) {
        return builder.bossEventLoopGroup(group).workerEventLoopGroup(group).channelType(channelType);
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
