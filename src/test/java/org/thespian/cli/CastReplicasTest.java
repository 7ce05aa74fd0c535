package org.thespian.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.thespian.admin.proto.AdminGrpc;
import org.thespian.admin.proto.GetStatsRequest;
import org.thespian.cast.Cast;
import org.thespian.cast.CastParser;
import org.thespian.cast.CastServers;
import org.thespian.cast.FreePorts;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;
import org.thespian.testsupport.OtlpReceiver;
import org.thespian.testsupport.ReceivedSpan;

/**
 * A member with {@code replicas: 3} in one JVM, through {@link CastRunner} as {@code cast FILE} runs it, over real
 * gRPC on loopback: every replica serves on a port of its own, one channel to {@code http://payment} takes turns at
 * them, a fault plan can name one replica, and each reports its own instance id.
 */
@Execution(ExecutionMode.CONCURRENT) // each test runs a cast of its own; most of their time is spent waiting
class CastReplicasTest {

    private static final Nothing NOTHING = Nothing.getDefaultInstance();
    private static final String FAULT = "thespian-fault";
    private static final int CALLS = 300;

    /** front's A calls http://payment's B; payment runs three replicas, each with the admin service for its stats. */
    private static final String CAST = """
            name: replicas
            members:
              - name: front
                port: %d
                config: {grpc_method_a: {tracing_name: order, operations: [
                  {Action: {CallService: {tracing_name: pay, service_address: "http://payment", service_port: 6379,
                    grpc_method: B}}}]}}
              - name: payment
                port: %d
                replicas: 3
                env: {THESPIAN_ADMIN: "true"}
                config: {grpc_method_b: {tracing_name: charge, operations: [
                  {Action: {Sleep: {tracing_name: bank, duration_ms: 1}}}]}}
            """;

    @Test
    void threeReplicasServeOnPortsOfTheirOwnAndCallsToTheMemberSpreadOverThem() throws Exception {
        List<Integer> ports = FreePorts.take(2);
        playing(cast(ports), Map.of(), servers -> {
            List<CastServers.Running> payment = replicasOf(servers, "payment");
            assertEquals(List.of("payment-1", "payment-2", "payment-3"),
                    payment.stream().map(CastServers.Running::name).toList());
            assertEquals(ports.get(1), payment.get(0).server().port(), "the first replica keeps the member's port");
            assertEquals(3, payment.stream().map(replica -> replica.server().port()).distinct().count());
            for (CastServers.Running replica : payment) {
                call(replica.server().port(), stub -> stub.b(NOTHING)); // each port serves on its own
            }

            // One client channel to front: front's one channel to payment takes turns at the replicas call by call.
            ManagedChannel front = channel(ports.get(0));
            try {
                for (int i = 0; i < CALLS; i++) {
                    assertEquals(Status.Code.OK, outcome(front, null, stub -> stub.a(NOTHING)));
                }
            } finally {
                front.shutdownNow();
            }

            List<Long> spread = payment.stream().map(replica -> callsOfB(replica.server().port()) - 1).toList();
            assertEquals(CALLS, spread.stream().mapToLong(Long::longValue).sum(), spread.toString());
            for (long calls : spread) {
                assertTrue(calls >= CALLS * 20 / 100 && calls <= CALLS * 47 / 100,
                        "each replica gets about a third of " + CALLS + " calls: " + spread);
            }
        });
    }

    @Test
    void theMemberTableListsEachReplicaWithItsAddress() throws Exception {
        List<Integer> ports = FreePorts.take(2);
        playing(cast(ports), Map.of(), servers -> {
            String table = MemberTable.render("replicas", servers, Optional.empty());
            assertTrue(table.startsWith("cast replicas: 2 members, 4 instances in one JVM\n"), table);
            assertTrue(table.contains("\n  front      127.0.0.1:" + ports.get(0) + " "), table);
            for (CastServers.Running replica : replicasOf(servers, "payment")) {
                assertTrue(table.matches("(?s).*\\n  " + replica.name() + " +127\\.0\\.0\\.1:" + replica.server().port()
                        + " +-\\n.*"), table);
            }
        });
    }

    @Test
    void aFaultPlanNamingAReplicasInstanceIdFailsThatReplicaAlone() throws Exception {
        List<Integer> ports = FreePorts.take(2);
        playing(cast(ports), Map.of(), servers -> {
            List<CastServers.Running> payment = replicasOf(servers, "payment");
            for (CastServers.Running replica : payment) {
                Status.Code code = outcome(replica.server().port(), "payment-2:abort=UNAVAILABLE",
                        stub -> stub.b(NOTHING));
                assertEquals(replica.name().equals("payment-2") ? Status.Code.UNAVAILABLE : Status.Code.OK, code,
                        replica.name());
            }

            long before = callsOfB(payment.get(1).server().port());
            Map<Status.Code, Integer> outcomes = new HashMap<>();
            for (int i = 0; i < 30; i++) {
                outcomes.merge(outcome(ports.get(0), "payment-2:abort=UNAVAILABLE", stub -> stub.a(NOTHING)), 1,
                        Integer::sum);
            }
            long reachedSecond = callsOfB(payment.get(1).server().port()) - before;
            assertEquals(Set.of(Status.Code.OK, Status.Code.UNAVAILABLE), outcomes.keySet(), outcomes.toString());
            assertEquals(reachedSecond, (long) outcomes.get(Status.Code.UNAVAILABLE),
                    "exactly the calls that reached payment-2 failed: " + outcomes);
        });
    }

    @Test
    void eachReplicaReportsTheMembersServiceNameAndItsOwnInstanceId() throws Exception {
        List<Integer> ports = FreePorts.take(2);
        try (OtlpReceiver otlp = OtlpReceiver.start()) {
            // Warmed up, as a cast starts by default: every replica rehearsed, and none of it was exported.
            Map<String, String> env = Map.of("OTEL_BACKEND_ADDRESS", otlp.grpcEndpoint(), "THESPIAN_WARMUP", "on");
            playing(cast(ports), env, running -> {
                for (int i = 0; i < 3; i++) {
                    call(ports.get(0), stub -> stub.a(NOTHING));
                }
                List<ReceivedSpan> servers = otlp.awaitSpans(spans -> servers(spans).size() == 6,
                        Duration.ofSeconds(20));
                Map<String, List<String>> instances = servers(servers).stream().collect(Collectors.groupingBy(
                        ReceivedSpan::serviceName, Collectors.mapping(
                                span -> String.valueOf(span.resourceAttributes().get("service.instance.id")),
                                Collectors.toList())));
                assertEquals(List.of("front-1", "front-1", "front-1"), instances.get("front"));
                assertEquals(Set.of("payment-1", "payment-2", "payment-3"), Set.copyOf(instances.get("payment")),
                        "three calls in turn reach the three replicas: " + instances);
            });
        }
    }

    @Test
    void replicasWithTheSameSeedRollDiceOfTheirOwn() throws Exception {
        Cast cast = CastParser.parse("coins.cast.yaml", """
                name: coins
                members:
                  - name: coin
                    port: %d
                    replicas: 2
                    config: {grpc_method_a: {tracing_name: coin, operations: [
                      {Action: {Sleep: {tracing_name: flip, duration_ms: 0, failure_chance: 0.5}}}]}}
                """.formatted(FreePorts.take(1).get(0)), relative -> {
                    throw new AssertionError("no files");
                });
        playing(cast, Map.of("THESPIAN_SEED", "7"), servers -> {
            List<List<Status.Code>> outcomes = new ArrayList<>();
            for (CastServers.Running replica : servers.members()) {
                List<Status.Code> flips = new ArrayList<>();
                for (int i = 0; i < 40; i++) {
                    flips.add(outcome(replica.server().port(), null, stub -> stub.a(NOTHING)));
                }
                outcomes.add(flips);
            }
            assertNotEquals(outcomes.get(0), outcomes.get(1), "two replicas failed in lockstep");
        });
    }

    /** The bad-replica scenario of example-configs/, on free ports, with the header its comment says to send. */
    @Test
    void theBadReplicaScenarioFailsEveryThirdCallAllOnPayment2AsItsTracesShow() throws Exception {
        Cast scenario = CastParser.parse(Path.of(System.getProperty("thespian.basedir", "")).toAbsolutePath()
                .resolve("example-configs/bad-replica.cast.yaml"));
        List<Integer> free = FreePorts.take(scenario.members().size());
        Cast cast = scenario.withPorts(free::get);
        try (OtlpReceiver otlp = OtlpReceiver.start()) {
            playing(cast, Map.of("OTEL_BACKEND_ADDRESS", otlp.grpcEndpoint()), servers -> {
                Map<Status.Code, Integer> outcomes = new HashMap<>();
                for (int i = 0; i < 30; i++) {
                    outcomes.merge(outcome(free.get(0), "payment-2:abort=UNAVAILABLE", stub -> stub.a(NOTHING)), 1,
                            Integer::sum);
                }
                int failed = outcomes.getOrDefault(Status.Code.UNAVAILABLE, 0);
                assertTrue(failed >= 6 && failed <= 14 && failed + outcomes.getOrDefault(Status.Code.OK, 0) == 30,
                        "about one call in three reaches payment-2: " + outcomes);
                List<ReceivedSpan> payment = otlp.awaitSpans(spans -> servers(spans).stream()
                        .filter(span -> span.serviceName().equals("payment")).count() == 30, Duration.ofSeconds(20))
                        .stream().filter(span -> span.kind().equals("SERVER") && span.serviceName().equals("payment"))
                        .toList();
                Map<Object, Set<String>> statusByReplica = payment.stream().collect(Collectors.groupingBy(
                        span -> span.resourceAttributes().get("service.instance.id"),
                        Collectors.mapping(ReceivedSpan::statusCode, Collectors.toSet())));
                assertEquals(Map.of("payment-1", Set.of("UNSET"), "payment-2", Set.of("ERROR"),
                        "payment-3", Set.of("UNSET")), statusByReplica);
                List<ReceivedSpan> errors = payment.stream().filter(span -> span.statusCode().equals("ERROR")).toList();
                assertEquals(failed, errors.size(), "each failed call failed on payment-2");
                assertTrue(errors.stream().allMatch(span ->
                        span.statusMessage().equals("injected fault: payment-2:abort=UNAVAILABLE")), errors.toString());
            });
        }
    }

    private static Cast cast(List<Integer> ports) throws Exception {
        return CastParser.parse("replicas.cast.yaml", CAST.formatted(ports.get(0), ports.get(1)), relative -> {
            throw new AssertionError("no files");
        });
    }

    private interface Play {
        void accept(CastServers servers) throws Exception;
    }

    /**
     * Runs {@code cast} as {@code cast FILE} does, with {@code env} as the process's environment, then stops it;
     * without a warm-up unless {@code env} asks for one, which must then have rehearsed.
     */
    private static void playing(Cast cast, Map<String, String> env, Play play) throws Exception {
        Map<String, String> process = new HashMap<>(env);
        process.putIfAbsent("THESPIAN_WARMUP", "off");
        Serving.Running<CastServers> running = CastRunner.start(CastRunner.check(cast, process), false,
                member -> List.of());
        try {
            if (process.get("THESPIAN_WARMUP").equals("on")) {
                assertTrue(running.warmUp().matches("warm-up: \\d+ calls rehearsed in .*"), running.warmUp());
            }
            play.accept(running.servers());
        } finally {
            running.stop(Duration.ZERO, Duration.ZERO);
        }
    }

    private static List<CastServers.Running> replicasOf(CastServers servers, String member) {
        return servers.members().stream().filter(running -> running.member().name().equals(member)).toList();
    }

    private static List<ReceivedSpan> servers(List<ReceivedSpan> spans) {
        return spans.stream().filter(span -> span.kind().equals("SERVER")).toList();
    }

    private static void call(int port, Consumer<ThespianGrpc.ThespianBlockingStub> call) {
        assertEquals(Status.Code.OK, outcome(port, null, call));
    }

    /** The status of one call on a channel of its own, with {@code fault} as its thespian-fault header if given. */
    private static Status.Code outcome(int port, String fault, Consumer<ThespianGrpc.ThespianBlockingStub> call) {
        ManagedChannel channel = channel(port);
        try {
            return outcome(channel, fault, call);
        } finally {
            channel.shutdownNow();
        }
    }

    private static Status.Code outcome(ManagedChannel channel, String fault,
            Consumer<ThespianGrpc.ThespianBlockingStub> call) {
        ThespianGrpc.ThespianBlockingStub stub = ThespianGrpc.newBlockingStub(channel)
                .withDeadlineAfter(10, TimeUnit.SECONDS);
        if (fault != null) {
            Metadata headers = new Metadata();
            headers.put(Metadata.Key.of(FAULT, Metadata.ASCII_STRING_MARSHALLER), fault);
            stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
        }
        try {
            call.accept(stub);
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }

    private static ManagedChannel channel(int port) {
        return Grpc.newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create()).build();
    }

    /** Calls of thespian.Thespian/B a replica has taken, from its admin service's GetStats. */
    private static long callsOfB(int port) {
        ManagedChannel channel = channel(port);
        try {
            return AdminGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .getStats(GetStatsRequest.getDefaultInstance()).getMethodsList().stream()
                    .filter(method -> method.getMethod().equals("thespian.Thespian/B"))
                    .mapToLong(method -> method.getCalls()).sum();
        } finally {
            channel.shutdownNow();
        }
    }
}
