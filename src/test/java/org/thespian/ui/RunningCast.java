package org.thespian.ui;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.thespian.cast.Cast;
import org.thespian.cast.CastParser;
import org.thespian.cast.CastServers;
import org.thespian.engine.Dice;
import org.thespian.proto.ThespianGrpc;
import org.thespian.server.RuntimeOptions;
import org.thespian.server.ServerLimits;
import org.thespian.telemetry.Telemetry;
import org.thespian.testsupport.ThespianProcess;

/** A cast of three (front → middle → back, back failing now and then) in the test JVM, with its live view. */
final class RunningCast implements AutoCloseable {

    static final String TRIO = """
            name: trio
            members:
              - name: front
                port: 1
                config: {grpc_method_a: {tracing_name: serve, operations: [
                  {Action: {CallService: {tracing_name: ask middle, service_address: "http://middle",
                    service_port: 6379, grpc_method: B}}}]}}
              - name: middle
                port: 2
                config: {grpc_method_b: {tracing_name: work, operations: [
                  {Action: {CallService: {tracing_name: store, service_address: "http://back", service_port: 6379,
                    grpc_method: C}}}]}}
              - name: back
                port: 3
                config: {grpc_method_c: {tracing_name: write, operations: [
                  {Action: {Sleep: {tracing_name: disk, duration_ms: 2, failure_chance: %s}}}]}}
            """;

    final Telemetry telemetry;
    final CastServers servers;
    final LiveView view;
    private final ManagedChannel channel;

    private RunningCast(Telemetry telemetry, CastServers servers, LiveView view) {
        this.telemetry = telemetry;
        this.servers = servers;
        this.view = view;
        this.channel = Grpc.newChannelBuilderForAddress("127.0.0.1", servers.members().get(0).server().port(),
                InsecureChannelCredentials.create()).build();
    }

    /** @param backFailureChance how often back's sleep fails (0 to 1) */
    static RunningCast start(double backFailureChance, LiveViewSettings settings) throws Exception {
        Cast cast = CastParser.parse("trio.cast.yaml", TRIO.formatted(backFailureChance), path -> {
            throw new IOException("no files here");
        }).withPorts(index -> ThespianProcess.freePort());
        SpanCollector collector = new SpanCollector();
        Telemetry telemetry = Telemetry.start("trio", Optional.empty(), false, Map.of(), Optional.of(collector));
        CastServers servers = CastServers.start(cast, TlsChannelCredentials.create(),
                telemetry.instrumentation().clientInterceptors(), ServerLimits.defaults(),
                replica -> new CastServers.ReplicaSetup(telemetry.instrumentationFor(replica.member().name(), replica.instanceId()),
                        Dice.of(OptionalLong.empty()), ServerLimits.defaults(),
                        RuntimeOptions.defaults(replica.member().name())));
        LiveView view = LiveView.start(settings, Topology.of(servers), collector, servers.standingFaults(),
                telemetry.instrumentation().runtimeEvents());
        return new RunningCast(telemetry, servers, view);
    }

    static LiveViewSettings onAnyPort() throws LiveViewSettings.Invalid {
        return LiveViewSettings.parse("127.0.0.1:0", "--ui", Optional.empty(), Map.of()).orElseThrow();
    }

    ThespianGrpc.ThespianBlockingStub front() {
        return ThespianGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    ThespianGrpc.ThespianBlockingStub front(String faultHeader) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("thespian-fault", Metadata.ASCII_STRING_MARSHALLER), faultHeader);
        return front().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
    }

    /** Waits until the spans ended so far are in the view's stores. */
    void settle() {
        telemetry.flushTraces();
    }

    @Override
    public void close() {
        channel.shutdownNow();
        view.close();
        servers.stop(Duration.ofSeconds(1));
        telemetry.close();
    }
}
