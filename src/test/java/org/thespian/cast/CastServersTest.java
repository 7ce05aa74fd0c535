package org.thespian.cast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.thespian.config.Peer;
import org.thespian.engine.Dice;
import org.thespian.server.RuntimeOptions;
import org.thespian.server.ServerLimits;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;
import org.thespian.telemetry.Telemetry;
import org.thespian.testsupport.OtlpReceiver;
import org.thespian.testsupport.ReceivedMetric;
import org.thespian.testsupport.ReceivedSpan;
import org.thespian.testsupport.ThespianProcess;

/**
 * A four-member cast in this JVM, over real gRPC on loopback: the configs call each other as
 * {@code http://<member>:6379}, and one request becomes one trace of four services in a real OTLP receiver.
 */
class CastServersTest {

    private static final List<String> CHAIN = List.of("edge", "orders", "stock", "ledger");
    private static final String METRIC_INTERVAL = "otel.metric.export.interval";

    @Test
    void oneRequestThroughEveryMemberIsOneTraceOfFourServices() throws Exception {
        Cast cast = chain(CHAIN.stream().map(name -> ThespianProcess.freePort()).toList());
        try (OtlpReceiver otlp = OtlpReceiver.start()) {
            System.setProperty(METRIC_INTERVAL, "300");
            Telemetry telemetry = Telemetry.start("chain", Optional.of(URI.create(otlp.grpcEndpoint())), false, Map.of());
            System.clearProperty(METRIC_INTERVAL);
            CastServers members = start(cast, telemetry);
            ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", cast.members().get(0).port(),
                    InsecureChannelCredentials.create()).build();
            try {
                ThespianGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS)
                        .a(Nothing.getDefaultInstance());
                List<ReceivedSpan> spans = otlp.awaitSpans(received -> servers(received).size() == CHAIN.size(),
                        Duration.ofSeconds(20));
                List<ReceivedSpan> servers = servers(spans);
                assertEquals(Set.copyOf(CHAIN), servers.stream().map(ReceivedSpan::serviceName).collect(Collectors.toSet()),
                        "each member reports under its own service.name");
                assertEquals(1, spans.stream().map(ReceivedSpan::traceId).distinct().count(), "one trace");
                for (int i = 1; i < CHAIN.size(); i++) {
                    ReceivedSpan server = server(servers, CHAIN.get(i));
                    ReceivedSpan caller = spans.stream().filter(span -> span.spanId().equals(server.parentSpanId()))
                            .findFirst().orElseThrow(() -> new AssertionError(server + " has no parent"));
                    assertEquals("CLIENT", caller.kind());
                    assertEquals(CHAIN.get(i - 1), caller.serviceName(), "called by the member before it");
                    assertEquals("http://" + CHAIN.get(i) + ":6379", caller.attributes().get("thespian.peer"),
                            () -> "the span keeps the configured address: " + caller.attributes());
                }
                List<ReceivedMetric> metrics = otlp.awaitMetrics(received -> CHAIN.stream().allMatch(member ->
                        ReceivedMetric.latest(received, member, "rpc.server.duration").isPresent()), Duration.ofSeconds(20));
                for (String member : CHAIN) {
                    ReceivedMetric duration = ReceivedMetric.latest(metrics, member, "rpc.server.duration").orElseThrow();
                    assertEquals(1, duration.points().get(0).count(), member + "'s own requests: " + duration);
                }
            } finally {
                channel.shutdownNow();
                members.stop(Duration.ofSeconds(1));
                telemetry.close();
            }
        }
    }

    @Test
    void aMemberThatCannotListenStopsTheOthersAndIsNamed() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int first = ThespianProcess.freePort();
            Cast cast = chain(List.of(first, ThespianProcess.freePort(), taken.getLocalPort(), ThespianProcess.freePort()));
            Telemetry telemetry = Telemetry.start("chain", Optional.empty(), false, Map.of());
            try {
                IOException error = assertThrows(IOException.class, () -> start(cast, telemetry));
                assertEquals("member \"stock\" cannot listen on port " + taken.getLocalPort(), error.getMessage());
                try (ServerSocket again = new ServerSocket(first)) {
                    assertTrue(again.isBound(), "the first member's port is free again");
                }
            } finally {
                telemetry.close();
            }
        }
    }

    @Test
    void theDirectoryMapsMembersOnTheCastPortOnly() throws Exception {
        Cast cast = chain(List.of(7101, 7102, 7103, 7104));
        var directory = CastServers.directory(CastServers.ports(cast));
        assertEquals(List.of(new Peer("127.0.0.1", 7102, false)),
                directory.addressesOf(new Peer("orders", 6379, false)));
        var elsewhere = new Peer("orders", 6380, false);
        assertEquals(List.of(elsewhere), directory.addressesOf(elsewhere));
        var tls = new Peer("orders", 6379, true);
        assertEquals(List.of(tls), directory.addressesOf(tls));
    }

    @Test
    void aMemberWithReplicasIsEveryReplicasPortTheFirstOnTheMembersOwn() throws Exception {
        Cast cast = CastParser.parse("replicas.cast.yaml", """
                name: replicas
                members:
                  - {name: front, port: 7101, config: {}}
                  - {name: payment, port: 7102, config: {}, replicas: 3}
                """, CastParserTest::noFiles);
        Map<Cast.Replica, Integer> ports = CastServers.ports(cast);
        assertEquals(List.of("front-1", "payment-1", "payment-2", "payment-3"),
                ports.keySet().stream().map(Cast.Replica::instanceId).toList());
        List<Integer> payment = ports.entrySet().stream().filter(place -> place.getKey().member().name()
                .equals("payment")).map(Map.Entry::getValue).toList();
        assertEquals(7102, payment.get(0), "the first replica keeps the member's port");
        assertEquals(3, Set.copyOf(payment).size(), "each replica has a port of its own: " + payment);
        assertEquals(payment.stream().map(port -> new Peer("127.0.0.1", port, false)).toList(),
                CastServers.directory(ports).addressesOf(new Peer("payment", 6379, false)));
        assertEquals(List.of(new Peer("127.0.0.1", 7101, false)),
                CastServers.directory(ports).addressesOf(new Peer("front", 6379, false)));
    }

    private static CastServers start(Cast cast, Telemetry telemetry) throws IOException {
        return CastServers.start(cast, TlsChannelCredentials.create(), telemetry.instrumentation().clientInterceptors(),
                ServerLimits.defaults(), replica -> new CastServers.ReplicaSetup(
                        telemetry.instrumentationFor(replica.member().name(), replica.instanceId()),
                        Dice.of(OptionalLong.empty()), ServerLimits.defaults(),
                        RuntimeOptions.defaults(replica.member().name())));
    }

    /** edge → orders → stock → ledger, each calling the next by name on 6379, as in Compose or Kubernetes. */
    private static Cast chain(List<Integer> ports) throws CastException {
        StringBuilder yaml = new StringBuilder("name: chain\nmembers:\n");
        for (int i = 0; i < CHAIN.size(); i++) {
            String call = i + 1 < CHAIN.size()
                    ? ", {Action: {CallService: {service_address: 'http://%s', service_port: 6379, grpc_method: A}}}"
                            .formatted(CHAIN.get(i + 1))
                    : "";
            yaml.append("""
                      - name: %s
                        port: %d
                        config: {grpc_method_a: {tracing_name: %s work, operations: [
                          {Action: {Sleep: {tracing_name: think, duration_ms: 5}}}%s]}}
                    """.formatted(CHAIN.get(i), ports.get(i), CHAIN.get(i), call));
        }
        return CastParser.parse("chain.cast.yaml", yaml.toString(), CastParserTest::noFiles);
    }

    private static List<ReceivedSpan> servers(List<ReceivedSpan> spans) {
        return spans.stream().filter(span -> span.kind().equals("SERVER")).toList();
    }

    private static ReceivedSpan server(List<ReceivedSpan> servers, String service) {
        return servers.stream().filter(span -> span.serviceName().equals(service)).findFirst().orElseThrow();
    }
}
