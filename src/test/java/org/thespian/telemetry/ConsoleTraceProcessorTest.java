package org.thespian.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.thespian.config.ConfigParser;
import org.thespian.engine.Dice;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;
import org.thespian.server.ThespianServer;
import org.thespian.testsupport.StalledStream;

class ConsoleTraceProcessorTest {

    private static final long MS = 1_000_000;
    private static final long T0 = 1_700_000_000_000L * MS;

    private final ByteArrayOutputStream console = new ByteArrayOutputStream();
    private final ConsoleTraceProcessor processor =
            new ConsoleTraceProcessor(new PrintStream(console, true, StandardCharsets.UTF_8));

    @Test
    void concurrentStepsOverlapAndSequentialStepsFormAStaircase() {
        Tracer tracer = tracer("checkout");
        Span root = tracer.spanBuilder("root").setSpanKind(SpanKind.SERVER).setStartTimestamp(T0, TimeUnit.NANOSECONDS)
                .startSpan();
        Context parent = Context.root().with(root);
        child(tracer, parent, "together one", 0, 40);
        child(tracer, parent, "together two", 0, 40);
        child(tracer, parent, "first", 40, 70);
        child(tracer, parent, "then", 70, 100);
        root.end(T0 + 100 * MS, TimeUnit.NANOSECONDS);

        List<String> lines = awaitTree("then");
        assertTrue(lines.get(0).matches("trace [0-9a-f]{32}  100\\.0 ms"), lines.toString());
        assertEquals("      0.0 ms     100.0 ms  |########################|  root [SERVER] (checkout)", lines.get(1));
        assertEquals("      0.0 ms      40.0 ms  |##########              |    together one", lines.get(2));
        assertEquals("      0.0 ms      40.0 ms  |##########              |    together two", lines.get(3));
        assertEquals("     40.0 ms      30.0 ms  |         ########       |    first", lines.get(4));
        assertEquals("     70.0 ms      30.0 ms  |                ########|    then", lines.get(5));
    }

    @Test
    void peersInOneProcessShareOneTree() {
        Tracer frontend = tracer("frontend");
        Tracer inventory = tracer("inventory");
        Span server = frontend.spanBuilder("page").setSpanKind(SpanKind.SERVER).startSpan();
        Span call = frontend.spanBuilder("ask inventory").setSpanKind(SpanKind.CLIENT)
                .setParent(Context.root().with(server)).startSpan();
        // What the peer sees: the caller's span context, arrived over the wire.
        Context remote = Context.root().with(Span.wrap(io.opentelemetry.api.trace.SpanContext.createFromRemoteParent(
                call.getSpanContext().getTraceId(), call.getSpanContext().getSpanId(),
                call.getSpanContext().getTraceFlags(), call.getSpanContext().getTraceState())));
        Span peer = inventory.spanBuilder("thespian.Thespian/A").setSpanKind(SpanKind.SERVER).setParent(remote)
                .startSpan();
        peer.end();
        call.end();
        server.end();

        List<String> lines = awaitTree("thespian.Thespian/A");
        assertEquals(4, lines.size(), lines.toString());
        assertTrue(lines.get(1).endsWith("  page [SERVER] (frontend)"), lines.toString());
        assertTrue(lines.get(2).endsWith("    ask inventory [CLIENT]"), lines.toString());
        assertTrue(lines.get(3).endsWith("      thespian.Thespian/A [SERVER] (inventory)"), lines.toString());
    }

    @Test
    void whatTheBehavioursDecidedIsShownBesideTheSpan() {
        Tracer tracer = tracer("payment");
        Span root = tracer.spanBuilder("charge").setSpanKind(SpanKind.SERVER).startSpan();
        Context parent = Context.root().with(root);
        tracer.spanBuilder("bank").setParent(parent).setAttribute(SpanAttributes.LATENCY, "lognormal median 50 ms, p99 400 ms")
                .setAttribute(SpanAttributes.LATENCY_MS, 53.24)
                .setAttribute(SpanAttributes.FAILURE_CODE, "UNAVAILABLE").startSpan().end();
        tracer.spanBuilder("retry").setParent(parent).setSpanKind(SpanKind.CLIENT)
                .setAttribute(SpanAttributes.ATTEMPT, 2L).startSpan().end();
        tracer.spanBuilder("audit").setParent(parent).setSpanKind(SpanKind.CLIENT)
                .setAttribute(SpanAttributes.SKIPPED, true).startSpan().end();
        tracer.spanBuilder("injected delay").setParent(parent)
                .setAttribute(RuntimeTelemetry.FAULT_INJECTED, true).startSpan().end();
        tracer.spanBuilder("hedged").setParent(parent).setSpanKind(SpanKind.CLIENT).setAttribute(SpanAttributes.ATTEMPT, 1L)
                .setAttribute(SpanAttributes.HEDGE, true).setAttribute(SpanAttributes.CIRCUIT_STATE, "half-open")
                .startSpan().end();
        tracer.spanBuilder("limited").setParent(parent)
                .setAttribute(SpanAttributes.RATE_LIMIT, "100 calls a second, burst 20").startSpan().end();
        root.end();

        String text = String.join("\n", awaitTree("injected delay"));
        assertTrue(text.contains("  bank  {drew 53.2 ms, UNAVAILABLE}"), text);
        assertTrue(text.contains("  retry [CLIENT]  {attempt 2}"), text);
        assertTrue(text.contains("  audit [CLIENT]  {skipped}"), text);
        assertTrue(text.contains("  injected delay  {injected}"), text);
        assertTrue(text.contains("  hedged [CLIENT]  {hedge attempt 1, circuit half-open}"), text);
        assertTrue(text.contains("  limited  {rate limit 100 calls a second, burst 20}"), text);
        assertTrue(text.contains("  charge [SERVER] (payment)\n"), text);
    }

    /** What the scenario headers send readers to look at: a SERVER span's answer and which replica answered. */
    @Test
    void aServerSpansAnswerAndTheReplicaThatGaveItAreShown() {
        Tracer checkout = tracer("checkout");
        Tracer replica = SdkTracerProvider.builder()
                .setResource(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "payment",
                        AttributeKey.stringKey("service.instance.id"), "payment-2")))
                .addSpanProcessor(processor).build().get("test");
        Tracer hostNamed = SdkTracerProvider.builder()
                .setResource(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "inventory",
                        AttributeKey.stringKey("service.instance.id"), "build-host")))
                .addSpanProcessor(processor).build().get("test");
        Tracer firstInstance = SdkTracerProvider.builder()
                .setResource(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "ledger",
                        AttributeKey.stringKey("service.instance.id"), "ledger-1")))
                .addSpanProcessor(processor).build().get("test");
        Span root = checkout.spanBuilder("checkout").setSpanKind(SpanKind.SERVER).startSpan();
        Context parent = Context.root().with(root);
        Span charge = replica.spanBuilder("charge").setSpanKind(SpanKind.SERVER).setParent(parent)
                .setAttribute(SpanAttributes.RPC_GRPC_STATUS_CODE, 14L).startSpan();
        charge.setStatus(io.opentelemetry.api.trace.StatusCode.ERROR, "injected fault: payment-2:abort=UNAVAILABLE");
        charge.end();
        hostNamed.spanBuilder("reserve").setSpanKind(SpanKind.SERVER).setParent(parent)
                .setAttribute(SpanAttributes.RPC_GRPC_STATUS_CODE, 0L).startSpan().end();
        firstInstance.spanBuilder("record").setSpanKind(SpanKind.SERVER).setParent(parent).startSpan().end();
        root.setAttribute(SpanAttributes.RPC_GRPC_STATUS_CODE, 8L)
                .setAttribute(SpanAttributes.STATUS_MESSAGE, "rate limited: over the limit");
        root.end();

        String text = String.join("\n", awaitTree("record [SERVER]")) + "\n";
        assertTrue(text.contains("  checkout [SERVER] (checkout)  {status 8 RESOURCE_EXHAUSTED}  answered: rate limited:"
                + " over the limit\n"), text);
        assertTrue(text.contains("  charge [SERVER] (payment-2)  {status 14 UNAVAILABLE}  ERROR: injected fault:"), text);
        assertTrue(text.contains("  reserve [SERVER] (inventory)\n"), text);
        assertTrue(text.contains("  record [SERVER] (ledger)\n"), text);
    }

    @Test
    void controlCharactersInNamesAndMessagesAreEscaped() {
        Span span = tracer("svc").spanBuilder("clear\u001b[2J\nfake line\u202e").startSpan();
        span.setStatus(io.opentelemetry.api.trace.StatusCode.ERROR, "bad\rnews\u0007");
        span.end();

        String text = String.join("\n", awaitTree("fake line"));
        assertTrue(text.contains("clear\\u001b[2J\\u000afake line\\u202e"), text);
        assertTrue(text.contains("ERROR: bad\\u000dnews\\u0007"), text);
        assertFalse(text.chars().anyMatch(c -> c < 0x20 && c != '\n'), text);
        assertEquals(2, text.lines().count(), text);
    }

    @Test
    void anUnreadConsoleDropsTreesWithACountAndNeverBlocks() throws Exception {
        StalledStream stuck = new StalledStream();
        ConsoleTraceProcessor blocked = new ConsoleTraceProcessor(new PrintStream(stuck, true, StandardCharsets.UTF_8));
        Tracer tracer = tracer(blocked, "svc");
        int traces = ConsoleTraceProcessor.PRINT_QUEUE_TRACES * 5;
        long started = System.nanoTime();
        for (int i = 0; i < traces; i++) {
            tracer.spanBuilder("request " + i).startSpan().end();
        }
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertTrue(took.compareTo(Duration.ofSeconds(5)) < 0, traces + " traces on a stuck console took " + took);

        stuck.release();
        await(() -> blocked.forceFlush().join(5, TimeUnit.SECONDS).isSuccess());
        tracer.spanBuilder("after the jam").startSpan().end();
        await(() -> stuck.text().contains("after the jam"));
        String text = stuck.text();
        long printed = text.lines().filter(line -> line.startsWith("trace ")).count();
        long dropped = text.lines().filter(line -> line.endsWith(" dropped: the console was not keeping up)"))
                .mapToLong(line -> Long.parseLong(line.substring(1, line.indexOf(' ')))).sum();
        assertEquals(traces + 1, printed + dropped, "printed " + printed + ", dropped " + dropped);
        assertTrue(dropped >= traces - ConsoleTraceProcessor.PRINT_QUEUE_TRACES - 1, "dropped " + dropped);
    }

    @Test
    void tenThousandCancelledCallsLeaveNothingBehindAndChildSpansStillPrint() throws Exception {
        SdkTracerProvider provider = SdkTracerProvider.builder().addSpanProcessor(processor)
                .setResource(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "svc"))).build();
        ThespianServer server = ThespianServer.start(0, ConfigParser.parse("""
                {"grpc_method_a": {"tracing_name": "slow", "operations": [
                   {"Action": {"Sleep": {"tracing_name": "nap", "duration_ms": 50}}}]},
                 "grpc_method_b": {"tracing_name": "quick", "operations": [
                   {"Action": {"Sleep": {"tracing_name": "blink", "duration_ms": 1}}}]}}"""),
                Dice.of(OptionalLong.empty()), TlsChannelCredentials.create(),
                Telemetry.instrument(OpenTelemetrySdk.builder().setTracerProvider(provider).build()));
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
        try {
            var stub = ThespianGrpc.newFutureStub(channel);
            List<com.google.common.util.concurrent.ListenableFuture<Nothing>> calls = new java.util.ArrayList<>();
            for (int i = 0; i < 10_000; i++) {
                calls.add(stub.withDeadlineAfter(5, TimeUnit.MILLISECONDS).a(Nothing.getDefaultInstance()));
                if (calls.size() == 1_000) {
                    assertAllExpired(calls);
                }
            }
            assertAllExpired(calls);
            await(() -> processor.openTraces() == 0);
            // The console drops what it cannot keep up with; on a busy machine its queue is still full here.
            await(() -> processor.forceFlush().join(5, TimeUnit.SECONDS).isSuccess());

            // Calls that expired in the client's queue can still reach the server now and fill the console's queue,
            // which drops a tree it has no room for: a later call's tree then shows what this one would.
            for (int attempt = 0; attempt < 20 && !text(console).contains("blink"); attempt++) {
                ThespianGrpc.newBlockingStub(channel).b(Nothing.getDefaultInstance());
                awaitAtMost(Duration.ofSeconds(1), () -> text(console).contains("blink"));
            }
            List<String> tree = awaitTree("blink");
            assertTrue(tree.get(tree.size() - 3).endsWith("  thespian.Thespian/B [SERVER] (svc)"), tree.toString());
            assertTrue(tree.get(tree.size() - 2).endsWith("    quick"), tree.toString());
            assertTrue(tree.get(tree.size() - 1).endsWith("      blink"), tree.toString());
            await(() -> processor.openTraces() == 0);
        } finally {
            channel.shutdownNow();
            server.stop(Duration.ZERO);
            provider.close();
        }
    }

    private static void assertAllExpired(List<com.google.common.util.concurrent.ListenableFuture<Nothing>> calls)
            throws InterruptedException {
        for (var call : calls) {
            try {
                call.get();
            } catch (java.util.concurrent.ExecutionException e) {
                assertEquals(Status.Code.DEADLINE_EXCEEDED, ((StatusRuntimeException) e.getCause()).getStatus().getCode());
            }
        }
        calls.clear();
    }

    private Tracer tracer(String serviceName) {
        return tracer(processor, serviceName);
    }

    private static Tracer tracer(ConsoleTraceProcessor processor, String serviceName) {
        return SdkTracerProvider.builder()
                .setResource(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), serviceName)))
                .addSpanProcessor(processor)
                .build()
                .get("test");
    }

    private static void child(Tracer tracer, Context parent, String name, long fromMs, long toMs) {
        tracer.spanBuilder(name).setParent(parent).setStartTimestamp(T0 + fromMs * MS, TimeUnit.NANOSECONDS)
                .startSpan().end(T0 + toMs * MS, TimeUnit.NANOSECONDS);
    }

    /** The last tree printed, once its last line mentions {@code lastName}. */
    private List<String> awaitTree(String lastName) {
        await(() -> text(console).contains(lastName));
        processor.forceFlush().join(5, TimeUnit.SECONDS);
        // Calls that expired in the client's queue may still reach the server afterwards, so the tree asked
        // for is not always the last one printed.
        String all = text(console);
        int named = all.lastIndexOf(lastName);
        int start = all.lastIndexOf("trace ", named);
        int next = all.indexOf("\ntrace ", named);
        return all.substring(start, next < 0 ? all.length() : next + 1).lines().toList();
    }

    private static String text(ByteArrayOutputStream out) {
        synchronized (out) {
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    /** Waits for {@code condition} until {@code limit} has passed, whether it came true or not. */
    private static void awaitAtMost(Duration limit, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    private static void await(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 20 s");
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
