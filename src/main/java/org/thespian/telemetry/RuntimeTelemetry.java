package org.thespian.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.thespian.server.FaultPlan;
import org.thespian.server.RuntimeEvents;

/**
 * Makes every change to a running Thespian visible: a JSON log line (with the trace id of the span current
 * at the time, if any), a metric, and span attributes.
 */
final class RuntimeTelemetry implements RuntimeEvents {

    static final AttributeKey<Long> CONFIG_REVISION = AttributeKey.longKey("thespian.config.revision");
    static final AttributeKey<Boolean> FAULT_INJECTED = AttributeKey.booleanKey("thespian.fault.injected");
    static final AttributeKey<String> FAULT_ENTRY = AttributeKey.stringKey("thespian.fault.entry");
    static final AttributeKey<String> KIND = AttributeKey.stringKey("kind");
    static final AttributeKey<String> CODE = AttributeKey.stringKey("code");

    private static final Logger LOG = LoggerFactory.getLogger("thespian.runtime");

    private final LongCounter faults;
    private final LongCounter droppedBackgroundCalls;
    private final LongCounter shedCalls;
    private final AtomicLong revision = new AtomicLong();
    private final AtomicLong serving = new AtomicLong(1);
    private final SpanLogging logging;

    RuntimeTelemetry(Meter meter, SpanLogging logging) {
        this.logging = logging;
        this.faults = meter.counterBuilder("thespian.faults.injected")
                .setDescription("Faults injected by thespian-fault plans, by kind (delay, abort) and code")
                .build();
        this.droppedBackgroundCalls = meter.counterBuilder("thespian.background.dropped")
                .setDescription("Fire-and-forget calls dropped because THESPIAN_MAX_BACKGROUND_CALLS were in flight")
                .setUnit("{call}")
                .build();
        this.shedCalls = meter.counterBuilder("thespian.requests.shed")
                .setDescription("Calls from outside refused with RESOURCE_EXHAUSTED while the process ran behind"
                        + " (THESPIAN_OVERLOAD_LAG_MS)")
                .setUnit("{request}")
                .build();
        meter.gaugeBuilder("thespian.config.revision").ofLongs()
                .setDescription("The revision of the running config: 1 at startup, one more per change")
                .buildWithCallback(gauge -> gauge.record(revision.get()));
        meter.gaugeBuilder("thespian.health.serving").ofLongs()
                .setDescription("1 while the health service reports SERVING, 0 otherwise")
                .buildWithCallback(gauge -> gauge.record(serving.get()));
    }

    @Override
    public void requestOnRevision(long number) {
        Span.current().setAttribute(CONFIG_REVISION, number);
    }

    @Override
    public void faultInjected(FaultPlan.Entry entry) {
        Span span = Span.current();
        span.setAttribute(FAULT_INJECTED, true);
        span.setAttribute(FAULT_ENTRY, entry.text());
        faults.add(1, entry.effect().accept(new FaultPlan.Effect.Visitor<>() {
            @Override
            public Attributes delay(FaultPlan.Delay delay) {
                return Attributes.of(KIND, "delay");
            }

            @Override
            public Attributes abort(FaultPlan.Abort abort) {
                return Attributes.of(KIND, "abort", CODE, abort.code().name());
            }
        }));
        log(span.getSpanContext(), () -> LOG.info("injected fault {}", entry.text()));
    }

    @Override
    public void backgroundCallDropped() {
        droppedBackgroundCalls.add(1);
    }

    @Override
    public void callShed() {
        shedCalls.add(1);
    }

    @Override
    public void configChanged(long number, String origin) {
        revision.set(number);
        log(Span.current().getSpanContext(), () -> LOG.info("config revision {} from {} is running", number, origin));
    }

    @Override
    public void configRejected(String origin, String problem) {
        log(Span.current().getSpanContext(),
                () -> LOG.warn("new config from {} refused, the running one stays: {}", origin, problem));
    }

    @Override
    public void standingFaultsChanged(String plan, String origin) {
        log(Span.current().getSpanContext(), () -> {
            if (plan.isEmpty()) {
                LOG.warn("standing fault plan cleared by {}", origin);
            } else {
                LOG.warn("standing fault plan set by {}: {}", origin, plan);
            }
        });
    }

    @Override
    public void healthChanged(String status) {
        serving.set(status.equals("SERVING") ? 1 : 0);
        log(Span.current().getSpanContext(), () -> LOG.warn("health set to {}", status));
    }

    private void log(SpanContext span, Runnable logCall) {
        if (span.isValid()) {
            logging.withSpan(span, "runtime", logCall);
        } else {
            logging.withoutSpan(logCall);
        }
    }
}
