package org.thespian.server;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.time.Duration;
import java.util.OptionalLong;
import org.thespian.config.Config;
import org.thespian.config.ConfigParser;
import org.thespian.config.ConfigSource.LoadedConfig;
import org.thespian.engine.Dice;

/** A ThespianServer in the test's JVM on a free port, without telemetry, and a plaintext channel to it. */
record RunningThespian(ThespianServer server, ManagedChannel channel) implements AutoCloseable {

    static RunningThespian start(Config config, ServerLimits limits) throws IOException {
        return connectedTo(ThespianServer.start(0, config, Dice.of(OptionalLong.empty()),
                TlsChannelCredentials.create(), Instrumentation.NONE, limits));
    }

    /** With {@code options}: the admin service, fault headers, the hop limit. */
    static RunningThespian start(String configJson, RuntimeOptions options) throws Exception {
        return connectedTo(ThespianServer.start(0, new LoadedConfig(ConfigParser.parse(configJson), "test",
                configJson), Dice.of(OptionalLong.empty()), TlsChannelCredentials.create(), Instrumentation.NONE,
                ServerLimits.defaults(), options));
    }

    /** With {@code options} (such as the admin service) and {@code config}'s text as the one GetConfig answers. */
    static RunningThespian start(LoadedConfig config, ServerLimits limits, RuntimeOptions options) throws IOException {
        return connectedTo(ThespianServer.start(0, config, Dice.of(OptionalLong.empty()), TlsChannelCredentials.create(),
                Instrumentation.NONE, limits, options));
    }

    private static RunningThespian connectedTo(ThespianServer server) {
        return new RunningThespian(server, Grpc.newChannelBuilderForAddress("127.0.0.1", server.port(),
                InsecureChannelCredentials.create()).build());
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow();
        server.stop(Duration.ZERO);
    }
}
