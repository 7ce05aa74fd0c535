package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.thespian.config.ConfigParser;
import org.thespian.engine.ActionListener;
import org.thespian.engine.Dice;
import org.thespian.engine.EngineLimits;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;

/**
 * Every scenario in example-configs/scenarios/ loaded and run on a real port, as its header says to run it
 * (with the port it calls itself on swapped for a free one), and showing what the header says to look for.
 */
@Execution(ExecutionMode.CONCURRENT) // each test runs its own server; most of their time is spent waiting
class ScenariosTest {

    private static final Path SCENARIOS = Path.of(System.getProperty("thespian.basedir", ""))
            .toAbsolutePath().resolve("example-configs/scenarios");
    private static final Nothing NOTHING = Nothing.getDefaultInstance();

    private final MethodCalls calls = new MethodCalls();
    private ThespianServer server;
    private ManagedChannel channel;

    @AfterEach
    void stop() throws InterruptedException {
        if (channel != null) {
            channel.shutdownNow();
        }
        if (server != null) {
            server.stop(Duration.ZERO);
        }
    }

    @Test
    void everyScenarioIsRunHere() throws IOException {
        try (Stream<Path> files = Files.list(SCENARIOS)) {
            assertEquals(Set.of("slow-dependency.jsonc", "flaky-payment.jsonc", "retry-storm.jsonc",
                    "saturated-database.jsonc", "memory-leak.jsonc", "outbox-bus-consumer.jsonc",
                    "circuit-breaker.jsonc", "rate-limited-api.jsonc", "hedged-calls.jsonc"),
                    Set.copyOf(files.map(file -> file.getFileName().toString()).toList()));
        }
    }

    @Test
    void slowDependencyAnswersWithALongTail() throws Exception {
        start("slow-dependency.jsonc", EngineLimits.DEFAULT);
        assertEquals(Map.of(Status.Code.OK, 40), outcomes(40));
    }

    @Test
    void flakyPaymentSurfacesThePaymentsCodeWithTheWholePath() throws Exception {
        start("flaky-payment.jsonc", EngineLimits.DEFAULT);
        Map<Status.Code, Integer> outcomes = outcomes(60);
        assertTrue(outcomes.containsKey(Status.Code.OK) && outcomes.containsKey(Status.Code.UNAVAILABLE), outcomes.toString());
        assertTrue(Set.of(Status.Code.OK, Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED)
                .containsAll(outcomes.keySet()), outcomes.toString());
        String message = firstFailure(Status.Code.UNAVAILABLE);
        assertTrue(message.startsWith("checkout > call payment: peer http://localhost:" + server.port()
                + " (thespian.Thespian/B) answered UNAVAILABLE: payment > charge card: payment provider unavailable"),
                message);
    }

    @Test
    void retryStormIsHeldBackByTimeouts() throws Exception {
        start("retry-storm.jsonc", EngineLimits.DEFAULT);
        long start = System.nanoTime();
        Map<Status.Code, Integer> outcomes = outcomes(20);
        assertTrue(Set.of(Status.Code.OK, Status.Code.UNAVAILABLE, Status.Code.DEADLINE_EXCEEDED)
                .containsAll(outcomes.keySet()), outcomes.toString());
        assertTrue(outcomes.containsKey(Status.Code.OK), outcomes.toString());
        // 20 calls one after another, each at most 3 attempts of 400 ms plus backoff.
        assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(20 * 13 / 10), "the timeouts did not cut");
    }

    @Test
    void saturatedDatabaseQueuesUpToItsPool() throws Exception {
        start("saturated-database.jsonc", EngineLimits.DEFAULT);
        stub().a(NOTHING); // warm
        long start = System.nanoTime();
        List<CompletableFuture<Status.Code>> calls = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            calls.add(CompletableFuture.supplyAsync(() -> call(stub()::a)));
        }
        for (CompletableFuture<Status.Code> call : calls) {
            assertEquals(Status.Code.OK, call.get(30, TimeUnit.SECONDS));
        }
        // 64 queries of 10 ms, 4 at a time, take at least 16 rounds.
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(160), "the pool let more than 4 run");
    }

    @Test
    void memoryLeakReachesTheCapAndFailsWithResourceExhausted() throws Exception {
        start("memory-leak.jsonc", new EngineLimits(100_000, 10_000, 1, 100L * 1024 * 1024));
        for (int i = 0; i < 20; i++) {
            assertEquals(Status.Code.OK, call(stub()::a), "call " + (i + 1));
        }
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, call(stub()::a));
        assertEquals(Status.Code.RESOURCE_EXHAUSTED, call(stub()::b), "a spike past the cap was allowed");
    }

    @Test
    void outboxBusConsumerAnswersWithoutWaitingForTheConsumer() throws Exception {
        start("outbox-bus-consumer.jsonc", EngineLimits.DEFAULT);
        assertEquals(Map.of(Status.Code.OK, 20), outcomes(20));
    }

    @Test
    void circuitBreakerStopsTheRetryStormAgainstTheFailingDependency() throws Exception {
        start("circuit-breaker.jsonc", EngineLimits.DEFAULT);
        Map<Status.Code, Integer> guarded = outcomes(20, stub()::a);
        int reachedWithBreaker = calls.of("thespian.Thespian/B");
        String refusal = firstFailure(Status.Code.UNAVAILABLE, "home page > call recommendations: circuit open");
        Map<Status.Code, Integer> unguarded = outcomes(20, stub()::c);
        int reachedWithout = calls.of("thespian.Thespian/B") - reachedWithBreaker;

        assertTrue(Set.of(Status.Code.OK, Status.Code.UNAVAILABLE).containsAll(guarded.keySet()), guarded.toString());
        assertTrue(Set.of(Status.Code.OK, Status.Code.UNAVAILABLE).containsAll(unguarded.keySet()), unguarded.toString());
        assertTrue(refusal.startsWith("home page > call recommendations: circuit open for peer http://localhost:"
                + server.port() + " (thespian.Thespian/B): "), refusal);
        // 20 requests of up to 3 attempts: about 54 calls without the breaker, about 10 before it opens with it.
        assertTrue(reachedWithBreaker < 20, reachedWithBreaker + " calls reached the dependency through the breaker");
        assertTrue(reachedWithout > 40, "only " + reachedWithout + " calls without the breaker");
    }

    @Test
    void rateLimitedApiFailsItsCallersOverTheLimit() throws Exception {
        start("rate-limited-api.jsonc", EngineLimits.DEFAULT);
        assertEquals(Status.Code.OK, call(stub()::a), "the first three calls fit in the burst");
        assertEquals("screen > load feed: peer http://localhost:" + server.port() + " (thespian.Thespian/B) answered"
                + " RESOURCE_EXHAUSTED: api: rate limited: over the limit of 20 calls a second, burst 10"
                + " (grpc_method_b.rate_limit)", firstFailure(Status.Code.RESOURCE_EXHAUSTED));
    }

    @Test
    void hedgingCutsThePagesTail() throws Exception {
        start("hedged-calls.jsonc", EngineLimits.DEFAULT);
        stub().a(NOTHING); // warm
        stub().c(NOTHING);
        int before = calls.of("thespian.Thespian/B");
        Map<Character, List<Long>> nanos = interleaved(400);
        int toB = calls.of("thespian.Thespian/B") - before;
        double hedged = p95Millis(nanos.get('A'));
        double plain = p95Millis(nanos.get('C'));

        // A lognormal of median 20 ms and p99 300 ms: p95 about 135 ms, and hedged after 50 ms about 75 ms. The p95
        // of 400 calls (the 20th slowest), unlike their p99 (the 4th), stays put when a busy machine stalls a few.
        assertTrue(hedged < plain, "hedged p95 " + hedged + " ms, not hedged " + plain + " ms");
        // 400 requests to each page: 400 calls to B from C, and from A 400 and the hedges (about a fifth of the
        // requests on a quiet machine; more where the machine makes B late), never more than 2 attempts each.
        assertTrue(toB > 800 && toB <= 1200, toB + " calls to B for 400 requests to each page");
    }

    /**
     * The latencies of {@code calls} calls to A and as many to C, eight at a time, the two pages' calls taking turns
     * so that both see the same machine.
     */
    private Map<Character, List<Long>> interleaved(int calls) throws Exception {
        Map<Character, List<CompletableFuture<Long>>> timings = Map.of('A', new ArrayList<>(), 'C', new ArrayList<>());
        ExecutorService clients = Executors.newFixedThreadPool(8);
        try {
            for (int i = 0; i < calls; i++) {
                for (char page : new char[] {'A', 'C'}) {
                    Function<Nothing, Nothing> method = page == 'A' ? stub()::a : stub()::c;
                    timings.get(page).add(CompletableFuture.supplyAsync(() -> {
                        long start = System.nanoTime();
                        method.apply(NOTHING);
                        return System.nanoTime() - start;
                    }, clients));
                }
            }
            Map<Character, List<Long>> nanos = new HashMap<>();
            for (Map.Entry<Character, List<CompletableFuture<Long>>> page : timings.entrySet()) {
                List<Long> list = new ArrayList<>();
                for (CompletableFuture<Long> timing : page.getValue()) {
                    list.add(timing.get(60, TimeUnit.SECONDS));
                }
                nanos.put(page.getKey(), list);
            }
            return nanos;
        } finally {
            clients.shutdownNow();
        }
    }

    private static double p95Millis(List<Long> nanos) {
        List<Long> sorted = new ArrayList<>(nanos);
        sorted.sort(null);
        return sorted.get((int) Math.ceil(sorted.size() * 0.95) - 1) / 1e6;
    }

    private void start(String scenario, EngineLimits limits) throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }
        String config = Files.readString(SCENARIOS.resolve(scenario))
                .replace("\"service_port\": 6379", "\"service_port\": " + port);
        server = ThespianServer.start(port, ConfigParser.parse(config), Dice.of(OptionalLong.of(5)),
                InsecureChannelCredentials.create(), new Instrumentation(List.of(calls), List.of(),
                        ActionListener.NONE, RuntimeEvents.NONE), ServerLimits.defaults().withEngine(limits));
        channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port, InsecureChannelCredentials.create()).build();
    }

    private ThespianGrpc.ThespianBlockingStub stub() {
        return ThespianGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
    }

    private Map<Status.Code, Integer> outcomes(int calls) {
        return outcomes(calls, request -> stub().a(request)); // a fresh deadline for each call
    }

    private static Map<Status.Code, Integer> outcomes(int calls, Function<Nothing, Nothing> method) {
        Map<Status.Code, Integer> outcomes = new EnumMap<>(Status.Code.class);
        for (int i = 0; i < calls; i++) {
            outcomes.merge(call(method), 1, Integer::sum);
        }
        return outcomes;
    }

    private String firstFailure(Status.Code code) {
        return firstFailure(code, "");
    }

    /** The message of A's first failure with {@code code} whose message starts with {@code prefix}. */
    private String firstFailure(Status.Code code, String prefix) {
        for (int i = 0; i < 200; i++) {
            try {
                stub().a(NOTHING);
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() == code && e.getStatus().getDescription().startsWith(prefix)) {
                    return e.getStatus().getDescription();
                }
            }
        }
        throw new AssertionError("no " + code + " in 200 calls");
    }

    private static Status.Code call(Function<Nothing, Nothing> method) {
        try {
            method.apply(NOTHING);
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }

    /** Counts the calls that reach the server, by full method name. */
    private static final class MethodCalls implements ServerInterceptor {
        private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();

        int of(String method) {
            return counts.getOrDefault(method, new AtomicInteger()).get();
        }

        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                ServerCallHandler<Q, R> next) {
            counts.computeIfAbsent(call.getMethodDescriptor().getFullMethodName(), name -> new AtomicInteger())
                    .incrementAndGet();
            return next.startCall(call, headers);
        }
    }
}
