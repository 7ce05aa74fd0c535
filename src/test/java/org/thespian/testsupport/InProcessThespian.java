package org.thespian.testsupport;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.thespian.cli.Settings;
import org.thespian.engine.Dice;
import org.thespian.proto.ThespianGrpc;
import org.thespian.server.Instrumentation;
import org.thespian.server.ThespianServer;
import org.thespian.telemetry.Telemetry;

/**
 * A Thespian served inside the test JVM, configured from an environment map as the jar
 * is (CONFIG_JSON or CONFIG_FILE, SERVICE_NAME, THESPIAN_SEED, THESPIAN_PEER_CA_FILE, OTEL_BACKEND_ADDRESS,
 * THESPIAN_TRACE_CONSOLE), but without a JVM start: real gRPC on a real port, in milliseconds. Without PORT in
 * the map it serves on a port the OS picks.
 *
 * <p>Telemetry starts only when OTEL_BACKEND_ADDRESS or THESPIAN_TRACE_CONSOLE asks for it. The SDK's own
 * {@code OTEL_*} variables are read from the test JVM's real environment, not from the map, and logging stays the
 * test JVM's: tests about those, about stdout, exit codes or signals start the jar with {@link ThespianProcess}.
 */
public final class InProcessThespian implements AutoCloseable {

    private final ThespianServer server;
    private final Optional<Telemetry> telemetry;
    private final ManagedChannel channel;

    private InProcessThespian(ThespianServer server, Optional<Telemetry> telemetry) {
        this.server = server;
        this.telemetry = telemetry;
        this.channel = Grpc.newChannelBuilderForAddress(Loopback.HOST, server.port(), InsecureChannelCredentials.create())
                .build();
    }

    /** Serves the behaviour {@code env} describes; a bad value fails the test with the message the jar would print. */
    public static InProcessThespian start(Map<String, String> env) {
        Settings settings;
        Map<String, String> withDefaults = new java.util.HashMap<>(env);
        // The test machine's own load is not the server's: a test that wants the adaptive limit sets it.
        withDefaults.putIfAbsent("THESPIAN_OVERLOAD_LAG_MS", "0");
        try {
            settings = Settings.from(withDefaults);
        } catch (Exception invalid) {
            throw new AssertionError("the jar would refuse this environment: " + invalid.getMessage(), invalid);
        }
        Optional<Telemetry> telemetry = settings.otelBackendAddress().isPresent() || settings.traceConsole()
                ? Optional.of(Telemetry.start(settings.serviceName(), settings.otelBackendAddress(),
                        settings.traceConsole(), settings.environment()))
                : Optional.empty();
        Instrumentation instrumentation = telemetry.map(Telemetry::instrumentation).orElse(Instrumentation.NONE);
        try {
            int port = env.containsKey("PORT") ? settings.port() : 0;
            ThespianServer server = ThespianServer.start(port, settings.config(),
                    Dice.of(settings.seed(), settings.serviceName()),
                    settings.peerTls(), instrumentation, settings.limits(), settings.runtime());
            return new InProcessThespian(server, telemetry);
        } catch (IOException e) {
            telemetry.ifPresent(Telemetry::close);
            throw new AssertionError("cannot serve on a free port", e);
        }
    }

    /** Serves {@code configJson} as CONFIG_JSON, without telemetry. */
    public static InProcessThespian start(String configJson) {
        return start(Map.of("CONFIG_JSON", configJson));
    }

    public int port() {
        return server.port();
    }

    public ManagedChannel channel() {
        return channel;
    }

    public ThespianGrpc.ThespianBlockingStub blockingStub() {
        return ThespianGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    /** A stub whose calls carry {@code name: value} metadata, as grpcurl's {@code -H} sends it. */
    public ThespianGrpc.ThespianBlockingStub blockingStubWithHeader(String name, String value) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of(name, Metadata.ASCII_STRING_MARSHALLER), value);
        return blockingStub().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    public ThespianGrpc.ThespianFutureStub futureStub() {
        return ThespianGrpc.newFutureStub(channel);
    }

    /** Stops at once (calls in flight are cancelled) and exports what telemetry still holds. */
    @Override
    public void close() {
        channel.shutdownNow();
        try {
            server.stop(Duration.ZERO);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        telemetry.ifPresent(Telemetry::close);
    }
}
