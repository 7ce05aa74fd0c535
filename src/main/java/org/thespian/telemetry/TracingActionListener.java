package org.thespian.telemetry;

import static org.thespian.telemetry.SpanAttributes.ACTION;
import static org.thespian.telemetry.SpanAttributes.ACTION_NAME;
import static org.thespian.telemetry.SpanAttributes.ATTEMPT;
import static org.thespian.telemetry.SpanAttributes.CANCELLED_BY;
import static org.thespian.telemetry.SpanAttributes.CIRCUIT_STATE;
import static org.thespian.telemetry.SpanAttributes.DURATION_MS;
import static org.thespian.telemetry.SpanAttributes.EXCEPTION_MESSAGE;
import static org.thespian.telemetry.SpanAttributes.EXCEPTION_TYPE;
import static org.thespian.telemetry.SpanAttributes.FAILURE_CHANCE;
import static org.thespian.telemetry.SpanAttributes.FAILURE_CODE;
import static org.thespian.telemetry.SpanAttributes.HEDGE;
import static org.thespian.telemetry.SpanAttributes.HOLD;
import static org.thespian.telemetry.SpanAttributes.LATENCY;
import static org.thespian.telemetry.SpanAttributes.LATENCY_MS;
import static org.thespian.telemetry.SpanAttributes.MEGABYTES;
import static org.thespian.telemetry.SpanAttributes.PEER;
import static org.thespian.telemetry.SpanAttributes.RATE_LIMIT;
import static org.thespian.telemetry.SpanAttributes.REPETITION;
import static org.thespian.telemetry.SpanAttributes.RESOURCE;
import static org.thespian.telemetry.SpanAttributes.ROLL;
import static org.thespian.telemetry.SpanAttributes.RPC_METHOD;
import static org.thespian.telemetry.SpanAttributes.RPC_SERVICE;
import static org.thespian.telemetry.SpanAttributes.RPC_SYSTEM;
import static org.thespian.telemetry.SpanAttributes.SERVER_ADDRESS;
import static org.thespian.telemetry.SpanAttributes.SERVER_PORT;
import static org.thespian.telemetry.SpanAttributes.SKIPPED;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.thespian.config.Action;
import org.thespian.config.Action.CallService;
import org.thespian.config.Action.Sleep;
import org.thespian.config.Function;
import org.thespian.config.Latency;
import org.thespian.config.Resource;
import org.thespian.engine.ActionFailure;
import org.thespian.engine.ActionListener;
import org.thespian.engine.ActionScope;
import org.thespian.engine.Circuit;
import org.thespian.engine.CircuitState;
import org.thespian.engine.Step;
import org.thespian.proto.ThespianGrpc;

/**
 * A span per action, named by its {@code tracing_name}, so the trace tree mirrors the config. A failure is
 * recorded (exception event, failure metric, one ERROR log line) where it originates; the spans above it only
 * turn to ERROR as it propagates.
 */
final class TracingActionListener implements ActionListener {

    private static final Logger LOG = LoggerFactory.getLogger("thespian.action");

    private final Tracer tracer;
    private final LongCounter failures;
    private final SpanLogging logging;
    private final CircuitTelemetry circuits;

    TracingActionListener(Tracer tracer, LongCounter failures, SpanLogging logging, CircuitTelemetry circuits) {
        this.tracer = tracer;
        this.failures = failures;
        this.logging = logging;
        this.circuits = circuits;
    }

    @Override
    public void circuitChanged(Circuit circuit, CircuitState from, String why) {
        circuits.changed(circuit, from, why);
    }

    @Override
    public void watchCircuits(Supplier<List<Circuit>> readings) {
        circuits.watch(readings);
    }

    @Override
    public ActionScope requestScope() {
        return new SpanScope(Context.current(), null, false);
    }

    /** The config's own {@code attributes}, after the ones Thespian sets. */
    private static SpanBuilder withAttributes(SpanBuilder builder, Action action) {
        action.attributes().forEach(builder::setAttribute);
        return builder;
    }

    /** What each kind of action puts on its span; a CallService here is one call, so its span is the CLIENT span. */
    private record KindAttributes(SpanBuilder builder) implements Action.Visitor<SpanBuilder> {
        @Override
        public SpanBuilder sleep(Sleep sleep) {
            sleep.failureChance().ifPresent(chance -> builder.setAttribute(FAILURE_CHANCE, chance));
            return withLatency(builder, sleep.latency());
        }

        @Override
        public SpanBuilder cpu(Action.Cpu cpu) {
            return withLatency(builder, cpu.latency());
        }

        @Override
        public SpanBuilder memory(Action.Memory memory) {
            return builder.setAttribute(MEGABYTES, (long) memory.megabytes()).setAttribute(HOLD,
                    memory.holdMs().isPresent() ? Long.toString(memory.holdMs().getAsLong()) : "forever");
        }

        @Override
        public SpanBuilder callService(CallService call) {
            return asClientCall(builder, call);
        }

        @Override
        public SpanBuilder function(Function function) {
            function.resource().ifPresent(resource -> builder.setAttribute(RESOURCE, resource.name()));
            function.rateLimit().ifPresent(limit -> builder.setAttribute(RATE_LIMIT, limit.describe()));
            return builder;
        }
    }

    /** A fixed time as the original's duration_ms; a distribution described (the draw comes later). */
    private static SpanBuilder withLatency(SpanBuilder builder, Latency latency) {
        return latency instanceof Latency.Fixed fixed ? builder.setAttribute(DURATION_MS, fixed.ms())
                : builder.setAttribute(LATENCY, latency.describe());
    }

    private static SpanBuilder asClientCall(SpanBuilder builder, CallService call) {
        return builder.setSpanKind(SpanKind.CLIENT)
                .setAttribute(RPC_SYSTEM, "grpc")
                .setAttribute(RPC_SERVICE, ThespianGrpc.SERVICE_NAME)
                .setAttribute(RPC_METHOD, call.method().name())
                .setAttribute(SERVER_ADDRESS, call.peer().host())
                .setAttribute(SERVER_PORT, (long) call.peer().port())
                .setAttribute(PEER, call.peer().display());
    }

    private static String kind(Action action) {
        return action.getClass().getSimpleName();
    }

    private final class SpanScope implements ActionScope {
        private final Context context;
        private final Action action;
        /** Whether a failure starting here is logged and counted: not for one attempt of several. */
        private final boolean reportsOrigin;

        SpanScope(Context context, Action action, boolean reportsOrigin) {
            this.context = context;
            this.action = action;
            this.reportsOrigin = reportsOrigin;
        }

        @Override
        public void drew(double millis) {
            Span.fromContext(context).setAttribute(LATENCY_MS, millis);
        }

        @Override
        public void skipped() {
            Span.fromContext(context).setAttribute(SKIPPED, true);
        }

        @Override
        public void circuit(CircuitState state) {
            Span.fromContext(context).setAttribute(CIRCUIT_STATE, state.label());
        }

        @Override
        public ActionScope begin(Step step) {
            return step.accept(new Step.Visitor<>() {
                @Override
                public ActionScope act(Action begun) {
                    return child(withAttributes(begun.accept(new KindAttributes(actionSpan(begun))), begun),
                            begun, true);
                }

                @Override
                public ActionScope calls(CallService call) {
                    // A CLIENT span per attempt below it.
                    return child(withAttributes(actionSpan(call).setAttribute(PEER, call.peer().display()), call),
                            call, true);
                }

                @Override
                public ActionScope attempt(Step.Attempt attempt) {
                    CallService call = attempt.call();
                    SpanBuilder builder = asClientCall(tracer.spanBuilder(call.tracingName()).setParent(context), call)
                            .setAttribute(ATTEMPT, (long) attempt.number());
                    if (call.policy().repeat().times() > 1) {
                        builder.setAttribute(REPETITION, (long) attempt.repetition());
                    }
                    if (call.policy().hedge().isPresent()) {
                        builder.setAttribute(HEDGE, true);
                    }
                    return child(builder, call, false);
                }

                @Override
                public ActionScope waiting(Resource resource) {
                    return child(tracer.spanBuilder("waiting for " + resource.name()).setParent(context)
                            .setAttribute(RESOURCE, resource.name()), null, false);
                }
            });
        }

        private SpanBuilder actionSpan(Action action) {
            return tracer.spanBuilder(action.tracingName())
                    .setParent(context)
                    .setAttribute(ACTION, kind(action))
                    .setAttribute(ACTION_NAME, action.tracingName());
        }

        private ActionScope child(SpanBuilder builder, Action origin, boolean reportsOrigin) {
            return new SpanScope(context.with(builder.startSpan()), origin, reportsOrigin);
        }

        @Override
        public <T> T enter(Supplier<T> work) {
            try (Scope ignored = context.makeCurrent()) {
                return work.get();
            }
        }

        @Override
        public void rolled(double chance, double roll) {
            Span.fromContext(context).setAttribute(ROLL, roll);
        }

        @Override
        public void succeeded() {
            Span.fromContext(context).end();
        }

        @Override
        public void failed(ActionFailure failure) {
            Span span = Span.fromContext(context);
            if (failure.isCancellation()) {
                // The request ended under the action: not the action's failure, so no error, event, count or log.
                span.setAttribute(CANCELLED_BY, failure.reason());
            } else if (failure.origin() == action) {
                span.setStatus(StatusCode.ERROR, failure.reason());
                span.setAttribute(FAILURE_CODE, failure.code().name());
                if (!failure.fromPeer() && reportsOrigin) {
                    recordOrigin(span, failure);
                }
            } else {
                span.setStatus(StatusCode.ERROR, failure.getMessage());
            }
            span.end();
        }

        private void recordOrigin(Span span, ActionFailure failure) {
            span.addEvent("exception", Attributes.of(
                    EXCEPTION_TYPE, ActionFailure.class.getName(),
                    EXCEPTION_MESSAGE, failure.reason()));
            failures.add(1, Attributes.of(ACTION, kind(action), ACTION_NAME, action.tracingName()));
            logging.withSpan(span.getSpanContext(), action.tracingName(),
                    () -> LOG.error("{} failed: {}", action.tracingName(), failure.reason()));
        }
    }
}
