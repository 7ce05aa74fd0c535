package org.thespian.testsupport;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;

/** Keeps every span exported to it in process, with the size of each batch and whether it was shut down. */
public final class RecordingSpanExporter implements SpanExporter {

    /**
     * Appended to a span at a time behind a SimpleSpanProcessor: a copy-on-write list copied itself at each of
     * TraceStoreTest's 80,000 spans, which took most of that class's time.
     */
    public final List<SpanData> spans = Collections.synchronizedList(new ArrayList<>());
    public final List<Integer> batches = Collections.synchronizedList(new ArrayList<>());
    public volatile boolean shutDown;

    @Override
    public CompletableResultCode export(Collection<SpanData> batch) {
        spans.addAll(batch);
        batches.add(batch.size());
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
        shutDown = true;
        return CompletableResultCode.ofSuccess();
    }
}
