package org.thespian.telemetry.logging;

import ch.qos.logback.core.status.Status;
import ch.qos.logback.core.status.StatusListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * loki4j reports a failed push (refused, timed out, or answered 4xx/5xx) only as logback status, which nobody reads.
 * This listener says it through the JSON logger instead, naming Loki's push URL and what went wrong; the
 * {@link RepeatedWarningFilter} keeps that to one line a minute. Every other status message stays quiet, as logback's
 * own chatter should.
 */
final class LokiTroubleReport implements StatusListener {

    private static final Logger LOG = LoggerFactory.getLogger("thespian.telemetry.loki");

    private static final String LOKI4J_PACKAGE = "com.github.loki4j.";
    // How loki4j says that Loki answered with an error status (4xx or 5xx).
    private static final String LOKI4J_REFUSAL = "non-success status";

    private final String pushUrl;

    LokiTroubleReport(String pushUrl) {
        this.pushUrl = pushUrl;
    }

    @Override
    public void addStatusEvent(Status status) {
        if (status.getLevel() >= Status.WARN && fromLoki4j(status.getOrigin())) {
            // Two templates, so that an answer such as 400 or 503 is said even after a timeout was.
            if (status.getMessage().contains(LOKI4J_REFUSAL)) {
                LOG.warn("Loki at {} refused the logs: {}", pushUrl, describe(status));
            } else {
                LOG.warn("pushing logs to Loki at {} failed: {}", pushUrl, describe(status));
            }
        }
    }

    /** loki4j reports from its pipeline and sender objects, not from the appender. */
    private static boolean fromLoki4j(Object origin) {
        return origin != null && origin.getClass().getName().startsWith(LOKI4J_PACKAGE);
    }

    @Override
    public boolean isResetResistant() {
        return false;
    }

    private static String describe(Status status) {
        Throwable cause = status.getThrowable();
        String message = status.getMessage().strip();
        while (cause != null) {
            String text = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
            if (!message.contains(text)) {
                message += ": " + text;
            }
            cause = cause.getCause();
        }
        return message;
    }
}
