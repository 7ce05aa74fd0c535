package org.thespian.load;

import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;
import picocli.CommandLine;

/**
 * What the load tool was asked to do, from its command-line flags: checked once, so a run never starts with a
 * value it cannot use.
 */
public record LoadOptions(
        String host,
        int port,
        String methodName,
        Pacing pacing,
        Duration duration,
        Duration warmup,
        Optional<Duration> timeout,
        List<Header> headers,
        int connections,
        int maxInFlight,
        boolean json,
        Optional<Duration> reportEvery) {

    static final int DEFAULT_CONCURRENCY = 16;
    static final int DEFAULT_MAX_IN_FLIGHT = 10_000;
    private static final int MAX_CONCURRENCY = 100_000;
    private static final double MAX_RATE = 1_000_000;
    private static final int MAX_CONNECTIONS = 64;
    // Each interval holds a histogram of its own until it is reported: a floor keeps that to a few a second.
    private static final Duration SHORTEST_REPORT_INTERVAL = Duration.ofMillis(100);
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)");
    private static final Pattern RATE = Pattern.compile("(\\d+(?:\\.\\d+)?)(?:/s)?");
    private static final Pattern TARGET = Pattern.compile("(\\[[0-9a-fA-F:.]+\\]|[^:\\[\\]\\s]+):(\\d+)");

    public LoadOptions {
        headers = List.copyOf(headers);
    }

    /** Closed loop (a fixed number of calls in flight) or open loop (a fixed rate of new calls). */
    public sealed interface Pacing {
        record Closed(int concurrency) implements Pacing {
        }

        record Open(double perSecond) implements Pacing {
        }
    }

    /** One {@code -H key=value}. */
    public record Header(Metadata.Key<String> key, String value) {
    }

    /** A flag the tool cannot use; the message names the flag and what it expected. */
    public static final class BadFlag extends Exception {
        BadFlag(String message) {
            super(message);
        }
    }

    public String target() {
        return host + ":" + port;
    }

    @SuppressWarnings("unchecked") // every method of thespian.Thespian takes and returns Nothing
    public MethodDescriptor<Nothing, Nothing> method() {
        return (MethodDescriptor<Nothing, Nothing>) ThespianGrpc.getServiceDescriptor().getMethods().stream()
                .filter(method -> method.getBareMethodName().equals(methodName))
                .findFirst()
                .orElseThrow();
    }

    /** The flags after {@code load}, as the command reads them; {@code --flag value} and {@code --flag=value}. */
    public static LoadOptions parse(List<String> args) throws BadFlag {
        LoadFlags flags = new LoadFlags();
        try {
            new CommandLine(flags).parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
            throw new BadFlag(e.getMessage());
        }
        return of(flags);
    }

    /** Checks the flags together. */
    static LoadOptions of(LoadFlags flags) throws BadFlag {
        String target = Optional.ofNullable(flags.target)
                .orElseThrow(() -> new BadFlag("--target HOST:PORT is required, e.g. --target 127.0.0.1:6379"));
        Matcher address = TARGET.matcher(target);
        if (!address.matches()) {
            throw new BadFlag("--target must be HOST:PORT such as 127.0.0.1:6379, got \"" + target + "\"");
        }
        int port = wholeNumber("--target's port", address.group(2), 1, 65_535);
        String host = address.group(1).replaceAll("^\\[|\\]$", "");

        Optional<String> concurrency = Optional.ofNullable(flags.concurrency);
        Optional<String> rate = Optional.ofNullable(flags.rate);
        if (concurrency.isPresent() && rate.isPresent()) {
            throw new BadFlag("--concurrency (closed loop) and --rate (open loop) exclude each other: give one");
        }
        Pacing pacing = rate.isPresent()
                ? new Pacing.Open(rate(rate.get()))
                : new Pacing.Closed(wholeNumber("--concurrency",
                        concurrency.orElse(Integer.toString(DEFAULT_CONCURRENCY)), 1, MAX_CONCURRENCY));

        Optional<String> maxInFlight = Optional.ofNullable(flags.maxInFlight);
        if (maxInFlight.isPresent() && rate.isEmpty()) {
            throw new BadFlag("--max-in-flight bounds an open loop (--rate); a closed loop keeps --concurrency calls"
                    + " in flight");
        }

        Duration duration = duration("--duration", Optional.ofNullable(flags.duration).orElse("10s"));
        if (duration.isZero()) {
            throw new BadFlag("--duration must be more than 0");
        }
        List<Header> headers = new ArrayList<>();
        for (String header : flags.headers) {
            headers.add(header(header));
        }
        return new LoadOptions(
                host,
                port,
                method(Optional.ofNullable(flags.method).orElse("A")),
                pacing,
                duration,
                duration("--warmup", Optional.ofNullable(flags.warmup).orElse("0s")),
                optionalDuration(flags.timeout, "--timeout", Duration.ofNanos(1), "more than 0"),
                headers,
                wholeNumber("--connections", Optional.ofNullable(flags.connections).orElse("1"), 1, MAX_CONNECTIONS),
                wholeNumber("--max-in-flight", maxInFlight.orElse(Integer.toString(DEFAULT_MAX_IN_FLIGHT)), 1,
                        MAX_CONCURRENCY),
                flags.json,
                optionalDuration(flags.reportEvery, "--report-every", SHORTEST_REPORT_INTERVAL, "at least 100ms"));
    }

    private static Optional<Duration> optionalDuration(String text, String flag, Duration shortest,
            String shortestText) throws BadFlag {
        if (text == null) {
            return Optional.empty();
        }
        Duration value = duration(flag, text);
        if (value.compareTo(shortest) < 0) {
            throw new BadFlag(flag + " must be " + shortestText + ", got \"" + text + "\"");
        }
        return Optional.of(value);
    }

    /** The bare names of thespian.Thespian's methods, in order: A, B, C. */
    static List<String> methodNames() {
        return ThespianGrpc.getServiceDescriptor().getMethods().stream()
                .map(MethodDescriptor::getBareMethodName)
                .sorted()
                .toList();
    }

    private static String method(String name) throws BadFlag {
        List<String> names = methodNames();
        String bare = name.startsWith(ThespianGrpc.SERVICE_NAME + "/")
                ? name.substring(ThespianGrpc.SERVICE_NAME.length() + 1)
                : name;
        if (!names.contains(bare)) {
            throw new BadFlag("--method must be one of " + String.join(", ", names) + " (methods of "
                    + ThespianGrpc.SERVICE_NAME + "), got \"" + name + "\"");
        }
        return bare;
    }

    private static int wholeNumber(String flag, String text, int min, int max) throws BadFlag {
        try {
            int value = Integer.parseInt(text);
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new BadFlag(flag + " must be a whole number from " + min + " to " + max + ", got \"" + text + "\"");
    }

    private static double rate(String text) throws BadFlag {
        Matcher matcher = RATE.matcher(text);
        if (matcher.matches()) {
            double perSecond = Double.parseDouble(matcher.group(1));
            if (perSecond > 0 && perSecond <= MAX_RATE) {
                return perSecond;
            }
        }
        throw new BadFlag("--rate must be calls per second from more than 0 to " + (long) MAX_RATE
                + ", such as 500/s, got \"" + text + "\"");
    }

    static Duration duration(String flag, String text) throws BadFlag {
        Matcher matcher = DURATION.matcher(text);
        if (!matcher.matches()) {
            throw new BadFlag(flag + " must be a duration such as 500ms, 30s, 10m or 1h, got \"" + text + "\"");
        }
        double amount = Double.parseDouble(matcher.group(1));
        double millis = switch (matcher.group(2)) {
            case "ms" -> amount;
            case "s" -> amount * 1e3;
            case "m" -> amount * 60e3;
            default -> amount * 3600e3;
        };
        if (millis > Duration.ofDays(7).toMillis()) {
            throw new BadFlag(flag + " must be at most a week, got \"" + text + "\"");
        }
        return Duration.ofNanos(Math.round(millis * 1e6));
    }

    private static Header header(String text) throws BadFlag {
        int equals = text.indexOf('=');
        if (equals <= 0) {
            throw new BadFlag("-H must be key=value, got \"" + text + "\"");
        }
        String key = text.substring(0, equals).toLowerCase(Locale.ROOT);
        if (key.endsWith(Metadata.BINARY_HEADER_SUFFIX)) {
            throw new BadFlag("-H " + key + ": binary (-bin) metadata is not supported");
        }
        try {
            return new Header(Metadata.Key.of(key, Metadata.ASCII_STRING_MARSHALLER), text.substring(equals + 1));
        } catch (IllegalArgumentException e) {
            throw new BadFlag("-H " + key + ": not a valid metadata key (lower-case letters, digits, - _ .)");
        }
    }
}
