package org.thespian.telemetry;

import static org.thespian.telemetry.SpanAttributes.CANCELLED_BY;
import static org.thespian.telemetry.SpanAttributes.RPC_GRPC_STATUS_CODE;
import static org.thespian.telemetry.SpanAttributes.RPC_METHOD;
import static org.thespian.telemetry.SpanAttributes.RPC_SERVICE;
import static org.thespian.telemetry.SpanAttributes.RPC_SYSTEM;
import static org.thespian.telemetry.SpanAttributes.STATUS_MESSAGE;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapPropagator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.thespian.server.CallHeaders;
import org.thespian.server.Cancellations;

/**
 * A SERVER span per incoming RPC, continuing the caller's trace when the call carries W3C trace context,
 * plus the request's duration metric and its one log line. The span is current while the handler runs, so
 * the engine's spans hang below it.
 *
 * <p>A failure's path (its status description) grows by a segment at every hop on its way up, so every instance
 * knows only the part below it, and the first instance the whole of it. That one writes the path on its request
 * line; an instance answering another Thespian in the same trace writes only the code, or a failure through four
 * instances would repeat its path four times.
 */
final class ServerTracing implements ServerInterceptor {

    private static final Logger LOG = LoggerFactory.getLogger("thespian.request");

    private final TextMapPropagator propagator;
    private final Tracer tracer;
    private final DoubleHistogram duration;
    private final LongCounter cancelled;
    private final SpanLogging logging;
    private final Map<String, MethodTelemetry> methods = new ConcurrentHashMap<>();

    ServerTracing(TextMapPropagator propagator, Tracer tracer, DoubleHistogram duration, LongCounter cancelled,
            SpanLogging logging) {
        this.logging = logging;
        this.propagator = propagator;
        this.tracer = tracer;
        this.duration = duration;
        this.cancelled = cancelled;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
            ServerCallHandler<Q, R> next) {
        MethodTelemetry method = methodOf(call.getMethodDescriptor());
        Context caller = propagator.extract(Context.root(), headers, MetadataCarrier.INSTANCE);
        // A fire-and-forget caller has moved on: its call starts a trace of its own, linked to the caller's.
        boolean detached = headers.containsKey(CallHeaders.FIRE_AND_FORGET);
        Context parent = detached ? Context.root() : caller;
        SpanBuilder builder = tracer.spanBuilder(method.fullName)
                .setParent(parent)
                .setSpanKind(SpanKind.SERVER)
                .setAttribute(RPC_SYSTEM, "grpc")
                .setAttribute(RPC_SERVICE, method.service)
                .setAttribute(RPC_METHOD, method.bare);
        if (detached && Span.fromContext(caller).getSpanContext().isValid()) {
            builder.addLink(Span.fromContext(caller).getSpanContext());
        }
        Span span = builder.startSpan();
        TracedCall<Q, R> traced = new TracedCall<>(call, span, method, detached ? null : headers);
        // Interceptors further in and the request's own message need no span: only the handler that acts the request
        // out (on its end of stream, or on a cancel) runs with it current.
        return new TracedListener<>(next.startCall(traced, headers), traced, parent.with(span));
    }

    private MethodTelemetry methodOf(MethodDescriptor<?, ?> descriptor) {
        MethodTelemetry known = methods.get(descriptor.getFullMethodName());
        return known != null ? known
                : methods.computeIfAbsent(descriptor.getFullMethodName(), name -> new MethodTelemetry(descriptor));
    }

    /** What every call of one method shares, made once per method rather than once per call. */
    private static final class MethodTelemetry {
        private final String fullName;
        private final String service;
        private final String bare;
        /** The duration metric's attributes, by status code. */
        private final Attributes[] byCode;

        MethodTelemetry(MethodDescriptor<?, ?> method) {
            this.fullName = method.getFullMethodName();
            this.service = method.getServiceName();
            this.bare = method.getBareMethodName();
            Status.Code[] codes = Status.Code.values();
            this.byCode = new Attributes[codes.length];
            for (Status.Code code : codes) {
                byCode[code.value()] = Attributes.of(RPC_SERVICE, service, RPC_METHOD, bare, RPC_GRPC_STATUS_CODE,
                        (long) code.value());
            }
        }
    }

    private final class TracedListener<Q> extends SimpleForwardingServerCallListener<Q> {
        private final TracedCall<?, ?> call;
        private final Context context;

        TracedListener(ServerCall.Listener<Q> listener, TracedCall<?, ?> call, Context context) {
            super(listener);
            this.call = call;
            this.context = context;
        }

        @Override
        public void onHalfClose() {
            try (Scope ignored = context.makeCurrent()) {
                super.onHalfClose();
            }
        }

        @Override
        public void onCancel() {
            // gRPC runs a call's callbacks in the call's own context, which holds its deadline.
            String why = Cancellations.why(io.grpc.Context.current());
            if (call.finish(Status.CANCELLED.withDescription(why))) {
                cancelled.add(1, Attributes.of(RPC_SERVICE, call.method.service, RPC_METHOD, call.method.bare,
                        CANCELLED_BY, why));
            }
            try (Scope ignored = context.makeCurrent()) {
                super.onCancel();
            }
        }
    }

    /**
     * The call as the service answers it: ends the span, records the duration and logs the outcome, once, when it
     * is closed or cancelled (not both).
     */
    private final class TracedCall<Q, R> extends SimpleForwardingServerCall<Q, R> {
        private final Span span;
        private final MethodTelemetry method;
        private final long startNanos = System.nanoTime();
        /** The call's headers, unless it was fired and forgotten: read only when it fails (see below). */
        private final Metadata headers;
        private final AtomicBoolean finished = new AtomicBoolean();

        TracedCall(ServerCall<Q, R> call, Span span, MethodTelemetry method, Metadata headers) {
            super(call);
            this.span = span;
            this.method = method;
            this.headers = headers;
        }

        @Override
        public void close(Status status, Metadata trailers) {
            finish(status);
            super.close(status, trailers);
        }

        /** Whether the caller is a Thespian of the same trace, which has the failure's whole path to write. */
        private boolean pathWrittenAbove() {
            return headers != null && CallHeaders.fromThespian(headers);
        }

        /** @return whether this call finished it (false if it had finished already) */
        boolean finish(Status status) {
            if (!finished.compareAndSet(false, true)) {
                return false;
            }
            long nanos = System.nanoTime() - startNanos;
            long tenthsOfMs = Math.round(nanos / 1e5);
            Status.Code code = status.getCode();
            span.setAttribute(RPC_GRPC_STATUS_CODE, (long) code.value());
            if (isServerError(code)) {
                span.setStatus(StatusCode.ERROR, status.getDescription());
            } else if (!status.isOk() && status.getDescription() != null) {
                span.setAttribute(code == Status.Code.CANCELLED ? CANCELLED_BY : STATUS_MESSAGE,
                        status.getDescription());
            }
            span.end();
            duration.record(nanos / 1e6, method.byCode[code.value()]);
            // Concatenation of whole numbers: this runs for every request, a Formatter costs ~1 µs and a double's
            // text a tenth of that.
            String outcome = method.fullName + " answered " + code + " in " + tenthsOfMs / 10 + "." + tenthsOfMs % 10
                    + " ms";
            logging.withSpan(span.getSpanContext(), method.fullName, () -> {
                if (status.isOk()) {
                    LOG.info(outcome);
                } else if (code == Status.Code.CANCELLED) {
                    LOG.info("{}: {}", outcome, status.getDescription()); // the caller's choice, not a failure
                } else if (pathWrittenAbove()) {
                    LOG.warn("{} to another Thespian (the trace's first instance logs the failure's path)", outcome);
                } else {
                    LOG.warn("{}: {}", outcome, status.getDescription());
                }
            });
            return true;
        }
    }

    /**
     * The codes that make a SERVER span an error under OpenTelemetry's RPC conventions; the others (a cancel, a
     * refused argument, shed load) are the caller's doing or a normal answer, and leave the status unset.
     */
    private static boolean isServerError(Status.Code code) {
        return switch (code) {
            case UNKNOWN, DEADLINE_EXCEEDED, UNIMPLEMENTED, INTERNAL, UNAVAILABLE, DATA_LOSS -> true;
            default -> false;
        };
    }
}
