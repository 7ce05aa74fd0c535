package org.thespian.testsupport;

import java.util.Map;

/** One line as Loki received it: its stream's labels, its structured metadata, its timestamp and its text. */
public record ReceivedLogLine(
        Map<String, String> streamLabels, Map<String, String> structuredMetadata, long timestampNanos, String line) {
}
