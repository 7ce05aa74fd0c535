package org.thespian.testsupport;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Keeps every span exported to it in process, with the size of each batch and whether it was shut down. */
public final class RecordingSpanExporter implements SpanExporter {

    public final List<SpanData> spans = new CopyOnWriteArrayList<>();
    public final List<Integer> batches = new CopyOnWriteArrayList<>();
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
