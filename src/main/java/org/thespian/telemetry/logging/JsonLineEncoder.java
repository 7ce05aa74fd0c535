package org.thespian.telemetry.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.EncoderBase;

/** Writes each event as one line of JSON (see {@link JsonLineLayout} for the fields). */
public final class JsonLineEncoder extends EncoderBase<ILoggingEvent> {

    private final JsonLineLayout layout = new JsonLineLayout();

    public void setServiceName(String serviceName) {
        layout.setServiceName(serviceName);
    }

    public void setInstanceId(String instanceId) {
        layout.setInstanceId(instanceId);
    }

    @Override
    public void start() {
        layout.setContext(getContext());
        layout.start();
        super.start();
    }

    @Override
    public byte[] headerBytes() {
        return null;
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        // JSON escapes every newline inside strings, so the line's own is its only one.
        return layout.toLine(event);
    }

    @Override
    public byte[] footerBytes() {
        return null;
    }
}
