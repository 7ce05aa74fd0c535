package org.thespian.cli;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The standard OpenTelemetry variables that this build of the SDK understands, checked up front: the SDK
 * itself would only find a mistake while starting, and then throw a page of stack trace.
 */
final class OtelSettings {

    private static final List<String> SIGNALS = List.of("", "TRACES_", "METRICS_", "LOGS_");
    private static final Set<String> SAMPLERS = Set.of("always_on", "always_off", "traceidratio",
            "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio");
    private static final Set<String> PROTOCOLS = Set.of("grpc", "http/protobuf");
    private static final Set<String> EXPORTERS = Set.of("otlp", "console", "logging", "logging-otlp", "none");
    private static final Set<String> PROPAGATORS = Set.of("tracecontext", "baggage", "none");
    private static final List<String> DURATIONS = List.of("OTEL_BSP_SCHEDULE_DELAY", "OTEL_BSP_EXPORT_TIMEOUT",
            "OTEL_BLRP_SCHEDULE_DELAY", "OTEL_BLRP_EXPORT_TIMEOUT", "OTEL_METRIC_EXPORT_INTERVAL",
            "OTEL_METRIC_EXPORT_TIMEOUT");
    private static final List<String> SIZES = List.of("OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
            "OTEL_BLRP_MAX_QUEUE_SIZE", "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", "OTEL_ATTRIBUTE_COUNT_LIMIT",
            "OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT", "OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT", "OTEL_SPAN_EVENT_COUNT_LIMIT",
            "OTEL_SPAN_LINK_COUNT_LIMIT");
    /** What the SDK's duration parser takes: milliseconds, or a number with a unit. */
    private static final Pattern SDK_DURATION = Pattern.compile("[0-9]{1,12}(ms|s|m|h|d)?");
    private static final Pattern SIZE = Pattern.compile("[0-9]{1,9}");
    /** key=value pairs, comma separated, values percent-encoded (W3C Baggage octets). */
    private static final Pattern PAIR = Pattern.compile("\\s*[^=,\\s][^=,]*=([^%,]|%[0-9A-Fa-f]{2})*\\s*");

    private OtelSettings() {
    }

    static void validate(Map<String, String> env) throws Settings.InvalidSetting {
        oneOf(env, "OTEL_TRACES_SAMPLER", SAMPLERS);
        Optional<String> ratio = Settings.value(env, "OTEL_TRACES_SAMPLER_ARG");
        if (ratio.isPresent() && !isRatio(ratio.get())) {
            throw new Settings.InvalidSetting("OTEL_TRACES_SAMPLER_ARG", "a number from 0 to 1", ratio.get());
        }
        for (String signal : SIGNALS) {
            oneOf(env, "OTEL_EXPORTER_OTLP_" + signal + "PROTOCOL", PROTOCOLS);
            endpoint(env, "OTEL_EXPORTER_OTLP_" + signal + "ENDPOINT");
            oneOf(env, "OTEL_EXPORTER_OTLP_" + signal + "COMPRESSION", Set.of("gzip", "none"));
            matching(env, "OTEL_EXPORTER_OTLP_" + signal + "TIMEOUT", SDK_DURATION,
                    "milliseconds or a duration such as 10s");
            pairs(env, "OTEL_EXPORTER_OTLP_" + signal + "HEADERS");
        }
        for (String signal : List.of("TRACES", "METRICS", "LOGS")) {
            listOf(env, "OTEL_" + signal + "_EXPORTER", EXPORTERS);
        }
        listOf(env, "OTEL_PROPAGATORS", PROPAGATORS);
        pairs(env, "OTEL_RESOURCE_ATTRIBUTES");
        oneOf(env, "OTEL_SDK_DISABLED", Set.of("true", "false"));
        for (String name : DURATIONS) {
            matching(env, name, SDK_DURATION, "milliseconds or a duration such as 10s");
        }
        for (String name : SIZES) {
            matching(env, name, SIZE, "a whole number");
        }
    }

    private static boolean isRatio(String text) {
        try {
            double ratio = Double.parseDouble(text);
            return ratio >= 0 && ratio <= 1;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static void oneOf(Map<String, String> env, String name, Set<String> allowed)
            throws Settings.InvalidSetting {
        Optional<String> text = Settings.value(env, name);
        if (text.isPresent() && !allowed.contains(text.get())) {
            throw new Settings.InvalidSetting(name, "one of " + String.join(", ", allowed.stream().sorted().toList()),
                    text.get());
        }
    }

    private static void listOf(Map<String, String> env, String name, Set<String> allowed)
            throws Settings.InvalidSetting {
        Optional<String> text = Settings.value(env, name);
        if (text.isPresent() && !List.of(text.get().split(",", -1)).stream().map(String::strip)
                .allMatch(allowed::contains)) {
            throw new Settings.InvalidSetting(name, "a comma-separated list of "
                    + String.join(", ", allowed.stream().sorted().toList()), text.get());
        }
    }

    private static void matching(Map<String, String> env, String name, Pattern pattern, String expected)
            throws Settings.InvalidSetting {
        Optional<String> text = Settings.value(env, name);
        if (text.isPresent() && !pattern.matcher(text.get()).matches()) {
            throw new Settings.InvalidSetting(name, expected, text.get());
        }
    }

    private static void pairs(Map<String, String> env, String name) throws Settings.InvalidSetting {
        Optional<String> text = Settings.value(env, name);
        if (text.isPresent() && !List.of(text.get().split(",", -1)).stream()
                .allMatch(pair -> PAIR.matcher(pair).matches())) {
            throw new Settings.InvalidSetting(name, "comma-separated key=value pairs with percent-encoded values",
                    text.get());
        }
    }

    private static void endpoint(Map<String, String> env, String name) throws Settings.InvalidSetting {
        Optional<String> text = Settings.value(env, name);
        if (text.isEmpty()) {
            return;
        }
        try {
            if (Settings.isWebEndpoint(new URI(text.get()))) {
                return;
            }
        } catch (URISyntaxException ignored) {
            // reported below
        }
        throw new Settings.InvalidSetting(name, "an http:// or https:// URL with a host and a port up to 65535,"
                + " such as http://localhost:4317", text.get());
    }
}
