package org.thespian.telemetry;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.context.Context;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The tracing pipeline of the process's SDK (resource, sampler, span processors), collected while autoconfigure
 * builds it, so other services in the process can have tracer providers of their own {@code service.name} that
 * feed the same processors. The SDK alone shuts those processors down.
 */
final class SharedTracing {

    private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
    private static final AttributeKey<String> SERVICE_INSTANCE_ID = AttributeKey.stringKey("service.instance.id");

    final List<SpanProcessor> processors = new CopyOnWriteArrayList<>();
    volatile Resource resource = Resource.getDefault();
    volatile Sampler sampler = Sampler.parentBased(Sampler.alwaysOn());

    static Resource serviceResource(String serviceName, String instanceId) {
        return Resource.create(Attributes.of(SERVICE_NAME, serviceName, SERVICE_INSTANCE_ID, instanceId));
    }

    SpanProcessor add(SpanProcessor processor) {
        processors.add(processor);
        return processor;
    }

    /** The process's resource, for another service (or replica) of the process. */
    Resource resourceOf(String serviceName, String instanceId) {
        return resource.merge(serviceResource(serviceName, instanceId));
    }

    SdkTracerProvider tracerProvider(String serviceName, String instanceId) {
        return SdkTracerProvider.builder()
                .setResource(resourceOf(serviceName, instanceId))
                .setSampler(sampler)
                .addSpanProcessor(new Borrowed(SpanProcessor.composite(processors)))
                .build();
    }

    /** Passes spans on to processors owned by the SDK; shutting a member's provider down leaves them running. */
    private record Borrowed(SpanProcessor owner) implements SpanProcessor {
        @Override
        public void onStart(Context parentContext, ReadWriteSpan span) {
            owner.onStart(parentContext, span);
        }

        @Override
        public boolean isStartRequired() {
            return owner.isStartRequired();
        }

        @Override
        public void onEnd(ReadableSpan span) {
            owner.onEnd(span);
        }

        @Override
        public boolean isEndRequired() {
            return owner.isEndRequired();
        }

        @Override
        public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode forceFlush() {
            return owner.forceFlush();
        }
    }
}
