package org.thespian.telemetry;

import static org.thespian.telemetry.SpanAttributes.PEER;
import static org.thespian.telemetry.SpanAttributes.RPC_METHOD;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.thespian.engine.Circuit;
import org.thespian.engine.CircuitState;

/**
 * The circuit breakers of one instance, made visible: the gauge {@code thespian.circuit.state} per peer and method
 * (0 closed, 1 open, 2 half-open), and one log line per change of state, in the trace of the call that caused it.
 */
final class CircuitTelemetry {

    private static final Logger LOG = LoggerFactory.getLogger("thespian.circuit");

    private final SpanLogging logging;
    private volatile Supplier<List<Circuit>> circuits = List::of;

    CircuitTelemetry(Meter meter, SpanLogging logging) {
        this.logging = logging;
        meter.gaugeBuilder("thespian.circuit.state").ofLongs()
                .setDescription("The state of each circuit breaker, by peer and method: 0 closed, 1 open, 2 half-open")
                .buildWithCallback(gauge -> circuits.get().forEach(circuit -> gauge.record(circuit.state().code(),
                        Attributes.of(PEER, circuit.peer().display(), RPC_METHOD, circuit.method().name()))));
    }

    void watch(Supplier<List<Circuit>> circuits) {
        this.circuits = circuits;
    }

    void changed(Circuit circuit, CircuitState from, String why) {
        Runnable line = () -> {
            String format = "circuit breaker for {} is {} (was {}): {}";
            Object[] values = {circuit.target(), circuit.state().label(), from.label(), why};
            if (circuit.state() == CircuitState.OPEN) {
                LOG.warn(format, values);
            } else {
                LOG.info(format, values);
            }
        };
        SpanContext span = Span.current().getSpanContext();
        if (span.isValid()) {
            logging.withSpan(span, "circuit breaker", line);
        } else {
            logging.withoutSpan(line);
        }
    }
}
