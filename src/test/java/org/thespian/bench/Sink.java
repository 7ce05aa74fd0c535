package org.thespian.bench;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.grpc.HandlerRegistry;
import io.grpc.InsecureServerCredentials;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerMethodDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** The bare grpc-java server of the benchmarks, and their OTLP receiver: see {@link Bench}. */
final class Sink {

    private Sink() {
    }

    static void run(Bench.Options options) throws Exception {
        Map<String, Counts> counts = new ConcurrentHashMap<>();
        Map<String, ServerMethodDefinition<byte[], byte[]>> methods = new ConcurrentHashMap<>();
        // The fallback registry is asked for every call, so definitions are cached per method name.
        HandlerRegistry anyMethod = new HandlerRegistry() {
            @Override
            public ServerMethodDefinition<?, ?> lookupMethod(String name, String authority) {
                return methods.computeIfAbsent(name, ignored -> ServerMethodDefinition.create(
                        MethodDescriptor.newBuilder(BYTES, BYTES)
                                .setType(MethodDescriptor.MethodType.UNARY)
                                .setFullMethodName(name)
                                .build(),
                        ServerCalls.asyncUnaryCall((byte[] request, StreamObserver<byte[]> responses) -> {
                            counts.computeIfAbsent(name, key -> new Counts()).add(request);
                            responses.onNext(new byte[0]);
                            responses.onCompleted();
                        })));
            }
        };
        // directExecutor like Thespian itself, so that as a floor it differs from Thespian only by Thespian.
        Server server = NettyServerBuilder
                .forAddress(new InetSocketAddress(Bench.HOST, options.integer("port", 0)), InsecureServerCredentials.create())
                .directExecutor()
                .fallbackHandlerRegistry(anyMethod)
                .build()
                .start();
        System.out.println("listening " + server.getPort());
        System.out.flush();
        Map<String, Long> printed = new HashMap<>();
        while (!Thread.currentThread().isInterrupted()) {
            Thread.sleep(1000);
            counts.forEach((name, count) -> {
                long requests = count.requests.sum();
                if (!Long.valueOf(requests).equals(printed.put(name, requests))) {
                    System.out.printf(Locale.ROOT, "sink %s requests=%d bytes=%d items=%d%n",
                            name, requests, count.bytes.sum(), count.items.sum());
                }
            });
            System.out.flush();
        }
    }

    private static final class Counts {
        final LongAdder requests = new LongAdder();
        final LongAdder bytes = new LongAdder();
        final LongAdder items = new LongAdder();

        void add(byte[] message) {
            requests.increment();
            bytes.add(message.length);
            items.add(otlpItems(message));
        }
    }

    /**
     * The innermost items of an OTLP export request: field 1 (resource_spans / _metrics / _logs), in it field 2
     * (scope_*), in it field 2 (spans / metrics / log_records). All three signals nest the same way. A message
     * of another shape counts what happens to match, e.g. 0 for an empty {@code Nothing}.
     */
    static long otlpItems(byte[] message) {
        try {
            return countNested(CodedInputStream.newInstance(message), new int[] {1, 2, 2}, 0);
        } catch (IOException e) {
            return 0;
        }
    }

    private static long countNested(CodedInputStream in, int[] path, int depth) throws IOException {
        long count = 0;
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            boolean onPath = WireFormat.getTagFieldNumber(tag) == path[depth]
                    && WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED;
            if (onPath && depth == path.length - 1) {
                count++;
                in.skipField(tag);
            } else if (onPath) {
                int limit = in.pushLimit(in.readRawVarint32());
                count += countNested(in, path, depth + 1);
                in.popLimit(limit);
            } else {
                in.skipField(tag);
            }
        }
        return count;
    }

    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };
}
