package org.thespian.testsupport;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.thespian.config.ConfigException;
import org.thespian.config.ConfigSource;
import org.thespian.engine.Dice;
import org.thespian.proto.ThespianGrpc;
import org.thespian.server.Instrumentation;
import org.thespian.server.RuntimeOptions;
import org.thespian.server.ServerLimits;
import org.thespian.server.ThespianServer;

/** A Thespian server in the test JVM on a free port (or a chosen one), with a channel to it; closed after use. */
public final class InProcessThespian implements AutoCloseable {

    private final ThespianServer server;
    private final ManagedChannel channel;

    private InProcessThespian(ThespianServer server) {
        this.server = server;
        this.channel = Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(), InsecureChannelCredentials.create())
                .build();
    }

    /** Starts {@code configJson} on {@code port} (0: any free port) with {@code options}. */
    public static InProcessThespian start(int port, String configJson, RuntimeOptions options, OptionalLong seed) {
        try {
            ConfigSource.LoadedConfig config = ConfigSource.load(Map.of("CONFIG_JSON", configJson));
            return new InProcessThespian(ThespianServer.start(port, config, Dice.of(seed),
                    TlsChannelCredentials.create(), Instrumentation.NONE, ServerLimits.defaults(), options));
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static InProcessThespian start(String configJson, RuntimeOptions options) {
        return start(0, configJson, options, OptionalLong.empty());
    }

    public int port() {
        return server.port();
    }

    public ManagedChannel channel() {
        return channel;
    }

    public ThespianGrpc.ThespianBlockingStub stub() {
        return ThespianGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    /** A stub whose calls carry {@code name: value} metadata, as grpcurl's {@code -H} would send it. */
    public ThespianGrpc.ThespianBlockingStub stubWithHeader(String name, String value) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value);
        return stub().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
            server.stop(Duration.ofSeconds(1));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
