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
        MethodDescriptor<Q, R> method = call.getMethodDescriptor();
        Context caller = propagator.extract(Context.root(), headers, MetadataCarrier.INSTANCE);
        // A fire-and-forget caller has moved on: its call starts a trace of its own, linked to the caller's.
        boolean detached = headers.containsKey(CallHeaders.FIRE_AND_FORGET);
        Context parent = detached ? Context.root() : caller;
        SpanBuilder builder = tracer.spanBuilder(method.getFullMethodName())
                .setParent(parent)
                .setSpanKind(SpanKind.SERVER)
                .setAttribute(RPC_SYSTEM, "grpc")
                .setAttribute(RPC_SERVICE, method.getServiceName())
                .setAttribute(RPC_METHOD, method.getBareMethodName());
        if (detached && Span.fromContext(caller).getSpanContext().isValid()) {
            builder.addLink(Span.fromContext(caller).getSpanContext());
        }
        Span span = builder.startSpan();
        Context context = parent.with(span);
        Completion completion = new Completion(span, method, detached ? null : headers);
        ServerCall<Q, R> traced = new SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                completion.finish(status);
                super.close(status, trailers);
            }
        };
        io.grpc.Context grpcContext = io.grpc.Context.current();
        ServerCall.Listener<Q> listener;
        try (Scope ignored = context.makeCurrent()) {
            listener = next.startCall(traced, headers);
        }
        return new SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onMessage(Q message) {
                try (Scope ignored = context.makeCurrent()) {
                    super.onMessage(message);
                }
            }

            @Override
            public void onHalfClose() {
                try (Scope ignored = context.makeCurrent()) {
                    super.onHalfClose();
                }
            }

            @Override
            public void onCancel() {
                String why = Cancellations.why(grpcContext);
                if (completion.finish(Status.CANCELLED.withDescription(why))) {
                    cancelled.add(1, Attributes.of(RPC_SERVICE, method.getServiceName(),
                            RPC_METHOD, method.getBareMethodName(), CANCELLED_BY, why));
                }
                try (Scope ignored = context.makeCurrent()) {
                    super.onCancel();
                }
            }
        };
    }

    /** Ends the span, records the duration and logs the outcome, once: a call is closed or cancelled, not both. */
    private final class Completion {
        private final Span span;
        private final MethodDescriptor<?, ?> method;
        private final long startNanos = System.nanoTime();
        private final AtomicBoolean finished = new AtomicBoolean();
        /** The call's headers, unless it was fired and forgotten: read only when it fails (see below). */
        private final Metadata headers;

        Completion(Span span, MethodDescriptor<?, ?> method, Metadata headers) {
            this.span = span;
            this.method = method;
            this.headers = headers;
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
            double millis = (System.nanoTime() - startNanos) / 1e6;
            span.setAttribute(RPC_GRPC_STATUS_CODE, (long) status.getCode().value());
            if (isServerError(status.getCode())) {
                span.setStatus(StatusCode.ERROR, status.getDescription());
            } else if (!status.isOk() && status.getDescription() != null) {
                span.setAttribute(status.getCode() == Status.Code.CANCELLED ? CANCELLED_BY : STATUS_MESSAGE,
                        status.getDescription());
            }
            span.end();
            duration.record(millis, Attributes.of(RPC_SERVICE, method.getServiceName(),
                    RPC_METHOD, method.getBareMethodName(), RPC_GRPC_STATUS_CODE, (long) status.getCode().value()));
            // Concatenation, not String.format: this runs for every request, and a Formatter costs ~1 µs.
            String outcome = method.getFullMethodName() + " answered " + status.getCode() + " in "
                    + Math.round(millis * 10) / 10.0 + " ms";
            logging.withSpan(span.getSpanContext(), method.getFullMethodName(), () -> {
                if (status.isOk()) {
                    LOG.info(outcome);
                } else if (status.getCode() == Status.Code.CANCELLED) {
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
