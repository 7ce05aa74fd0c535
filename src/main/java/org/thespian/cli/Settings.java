package org.thespian.cli;

import ch.qos.logback.classic.Level;
import io.grpc.ChannelCredentials;
import io.grpc.TlsChannelCredentials;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.thespian.config.ConfigException;
import org.thespian.config.ConfigSource;
import org.thespian.config.ConfigSource.LoadedConfig;
import org.thespian.config.InvisibleText;
import org.thespian.engine.EngineLimits;
import org.thespian.server.InstanceId;
import org.thespian.server.RuntimeOptions;
import org.thespian.server.ServerLimits;

/**
 * Everything Thespian reads from its environment, checked once at start. A bad value names its variable
 * and what was expected.
 */
public record Settings(
        int port,
        String serviceName,
        LoadedConfig config,
        OptionalLong seed,
        Optional<URI> otelBackendAddress,
        Optional<URI> lokiAddress,
        boolean traceConsole,
        Level logLevel,
        ChannelCredentials peerTls,
        Duration shutdownGrace,
        Duration shutdownDelay,
        ServerLimits limits,
        RuntimeOptions runtime,
        Map<String, String> environment,
        boolean warmup) {

    static final int DEFAULT_PORT = 6379;
    static final String DEFAULT_SERVICE_NAME = "thespian";
    private static final Pattern DIGITS = Pattern.compile("[0-9]{1,18}");
    private static final Pattern DURATION = Pattern.compile("([0-9]{1,12})(ms|s|m|)");
    private static final long MEGABYTE = 1024 * 1024;
    static final int MIN_ADMIN_TOKEN_CHARS = 16;

    /** A user mistake in the environment. */
    public static final class InvalidSetting extends Exception {
        InvalidSetting(String variable, String expected, String actual) {
            super(variable + " must be " + expected + ", got \"" + actual + "\"");
        }
    }

    /** Checks every variable before the config is read, so a typo in one is not hidden by a slow file. */
    public static Settings from(Map<String, String> env) throws InvalidSetting, ConfigException {
        int port = port(env);
        Optional<String> serviceName = name(env, "SERVICE_NAME");
        Optional<String> otelServiceName = name(env, "OTEL_SERVICE_NAME");
        OptionalLong seed = seed(env);
        Optional<URI> otelBackendAddress = endpoint(env, "OTEL_BACKEND_ADDRESS", "http://localhost:4317");
        Optional<URI> lokiAddress = endpoint(env, "LOKI_ADDRESS", "http://localhost:3100");
        boolean traceConsole = flag(env, "THESPIAN_TRACE_CONSOLE");
        boolean warmup = flag(env, "THESPIAN_WARMUP", true);
        Level logLevel = logLevel(env);
        ChannelCredentials peerTls = peerTls(env);
        Duration shutdownGrace = Duration.ofSeconds(wholeNumber(env, "THESPIAN_SHUTDOWN_GRACE_SECONDS", 10, 0, 3600));
        Duration shutdownDelay = Duration.ofSeconds(wholeNumber(env, "THESPIAN_SHUTDOWN_DELAY_SECONDS", 0, 0, 3600));
        ServerLimits limits = ServerLimits.of(
                (int) wholeNumber(env, "THESPIAN_MAX_IN_FLIGHT",
                        ServerLimits.defaultMaxInFlight(Runtime.getRuntime().maxMemory()), 1, 100_000_000),
                duration(env, "THESPIAN_PEER_TIMEOUT", ServerLimits.DEFAULT_PEER_TIMEOUT))
                .withEngine(engineLimits(env))
                .withOverloadLag(Duration.ofMillis(wholeNumber(env, "THESPIAN_OVERLOAD_LAG_MS",
                        ServerLimits.DEFAULT_OVERLOAD_LAG.toMillis(), 0, 60_000)));
        OtelSettings.validate(env);
        RuntimeOptions runtime = runtime(env);
        LoadedConfig config = ConfigSource.load(env);
        String name = serviceName.or(() -> otelServiceName).or(() -> config.config().serviceName())
                .orElse(DEFAULT_SERVICE_NAME);
        return new Settings(
                port,
                name,
                config,
                seed,
                otelBackendAddress,
                lokiAddress,
                traceConsole,
                logLevel,
                peerTls,
                shutdownGrace,
                shutdownDelay,
                limits,
                runtime.withServiceName(name),
                Map.copyOf(env),
                warmup);
    }

    private static EngineLimits engineLimits(Map<String, String> env) throws InvalidSetting {
        return new EngineLimits(
                (int) wholeNumber(env, "THESPIAN_MAX_ACTIONS_PER_REQUEST",
                        EngineLimits.DEFAULT_MAX_ACTIONS_PER_REQUEST, 1, Integer.MAX_VALUE),
                (int) wholeNumber(env, "THESPIAN_MAX_BACKGROUND_CALLS",
                        EngineLimits.DEFAULT_MAX_BACKGROUND_CALLS, 0, Integer.MAX_VALUE),
                (int) wholeNumber(env, "THESPIAN_CPU_THREADS", EngineLimits.defaultCpuThreads(), 1,
                        EngineLimits.defaultCpuThreads()),
                wholeNumber(env, "THESPIAN_MEMORY_CAP_MB", EngineLimits.defaultMemoryCapBytes() / MEGABYTE, 0,
                        EngineLimits.maxMemoryCapBytes() / MEGABYTE, " (more would leave the "
                        + Runtime.getRuntime().maxMemory() / MEGABYTE + " MB heap too little room for the rest of"
                        + " Thespian; give the JVM more heap with -Xmx)") * MEGABYTE,
                (int) wholeNumber(env, "THESPIAN_MAX_ACTIONS_IN_FLIGHT",
                        EngineLimits.defaultMaxActionsInFlight(Runtime.getRuntime().maxMemory()), 1,
                        Integer.MAX_VALUE / 2),
                wholeNumber(env, "THESPIAN_MAX_ACTIONS_PER_TRACE", EngineLimits.DEFAULT_MAX_ACTIONS_PER_TRACE, 1,
                        1_000_000_000));
    }

    /** The runtime switches (fault headers, admin service, config watch) and the hop limit. */
    private static RuntimeOptions runtime(Map<String, String> env) throws InvalidSetting {
        boolean watch = flag(env, "THESPIAN_WATCH_CONFIG");
        name(env, InstanceId.VARIABLE); // one of invisible characters is refused like a blank name
        Optional<String> file = value(env, "CONFIG_FILE");
        if (watch && file.isEmpty()) {
            throw new InvalidSetting("THESPIAN_WATCH_CONFIG", "false unless CONFIG_FILE names the file to watch",
                    env.get("THESPIAN_WATCH_CONFIG"));
        }
        return new RuntimeOptions(
                DEFAULT_SERVICE_NAME,
                flag(env, "THESPIAN_FAULT_HEADERS", true),
                (int) wholeNumber(env, "THESPIAN_MAX_HOPS", RuntimeOptions.DEFAULT_MAX_HOPS, 1, 1000),
                flag(env, "THESPIAN_ADMIN"),
                adminToken(env),
                watch ? file.map(Path::of) : Optional.empty(),
                InstanceId.of(env));
    }

    /**
     * A token that is set but blank is refused rather than read as "no token": that mistake would open the
     * admin service to anyone who can reach the port. A short one would open it to anyone who guesses.
     */
    static Optional<String> adminToken(Map<String, String> env) throws InvalidSetting {
        String token = env.get("THESPIAN_ADMIN_TOKEN");
        if (token == null) {
            return Optional.empty();
        }
        if (token.isBlank() || !token.chars().allMatch(c -> c > ' ' && c < 127)) {
            throw new InvalidSetting("THESPIAN_ADMIN_TOKEN", "printable ASCII without spaces (it is sent as"
                    + " authorization: Bearer <token>)", token.isBlank() ? token : "<hidden>");
        }
        if (token.length() < MIN_ADMIN_TOKEN_CHARS) {
            throw new InvalidSetting("THESPIAN_ADMIN_TOKEN", "at least " + MIN_ADMIN_TOKEN_CHARS
                    + " characters (e.g. openssl rand -hex 16)", "<hidden, length " + token.length() + ">");
        }
        return Optional.of(token);
    }

    /** A token while the admin service is off protects nothing: most likely THESPIAN_ADMIN=true was forgotten. */
    public Optional<String> adminTokenWarning() {
        return runtime.adminToken().isPresent() && !runtime.admin()
                ? Optional.of("THESPIAN_ADMIN_TOKEN is set but THESPIAN_ADMIN is not true: the admin service is off"
                        + " and the token is not used")
                : Optional.empty();
    }

    static int port(Map<String, String> env) throws InvalidSetting {
        return (int) wholeNumber(env, "PORT", DEFAULT_PORT, 1, 65535);
    }

    /** A variable that is unset or blank counts as not given, as the original treated empty addresses. */
    static Optional<String> value(Map<String, String> env, String name) {
        return Optional.ofNullable(env.get(name)).map(String::strip).filter(v -> !v.isEmpty());
    }

    /** A name that only invisible characters make up would show as nothing on every span and log line. */
    private static Optional<String> name(Map<String, String> env, String variable) throws InvalidSetting {
        Optional<String> text = value(env, variable);
        if (text.isPresent() && InvisibleText.isInvisible(text.get())) {
            throw new InvalidSetting(variable, "a name with a visible character", text.get());
        }
        return text;
    }

    /** ASCII digits only: no sign, no spaces inside, no other scripts' digits that Long.parseLong accepts. */
    static long wholeNumber(Map<String, String> env, String name, long fallback, long min, long max)
            throws InvalidSetting {
        return wholeNumber(env, name, fallback, min, max, "");
    }

    /** As above, with {@code why} the range is what it is, for the error. */
    private static long wholeNumber(Map<String, String> env, String name, long fallback, long min, long max,
            String why) throws InvalidSetting {
        Optional<String> text = value(env, name);
        if (text.isEmpty()) {
            return fallback;
        }
        if (DIGITS.matcher(text.get()).matches()) {
            long number = Long.parseLong(text.get());
            if (number >= min && number <= max) {
                return number;
            }
        }
        throw new InvalidSetting(name, "a whole number from " + min + " to " + max + why, text.get());
    }

    /** {@code 30} (seconds), {@code 30s}, {@code 500ms} or {@code 2m}, from 1 ms to one hour. */
    private static Duration duration(Map<String, String> env, String name, Duration fallback) throws InvalidSetting {
        Optional<String> text = value(env, name);
        if (text.isEmpty()) {
            return fallback;
        }
        Matcher parts = DURATION.matcher(text.get());
        if (parts.matches()) {
            long amount = Long.parseLong(parts.group(1));
            Duration duration = switch (parts.group(2)) {
                case "ms" -> Duration.ofMillis(amount);
                case "m" -> Duration.ofMinutes(amount);
                default -> Duration.ofSeconds(amount);
            };
            if (!duration.isZero() && duration.compareTo(Duration.ofHours(1)) <= 0) {
                return duration;
            }
        }
        throw new InvalidSetting(name, "a duration from 1ms to 1h such as 30s, 500ms or 2m", text.get());
    }

    private static OptionalLong seed(Map<String, String> env) throws InvalidSetting {
        Optional<String> text = value(env, "THESPIAN_SEED");
        if (text.isEmpty()) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(text.get()));
        } catch (NumberFormatException e) {
            throw new InvalidSetting("THESPIAN_SEED", "a whole number", text.get());
        }
    }

    private static Optional<URI> endpoint(Map<String, String> env, String name, String example)
            throws InvalidSetting {
        Optional<String> text = value(env, name);
        if (text.isEmpty()) {
            return Optional.empty();
        }
        String expected = "an http:// or https:// URL with a host, such as " + example;
        try {
            URI uri = new URI(text.get());
            if (isWebEndpoint(uri)) {
                return Optional.of(uri);
            }
        } catch (URISyntaxException ignored) {
            // reported below
        }
        throw new InvalidSetting(name, expected, text.get());
    }

    /** http or https, a host, and a port (if any) from 1 to 65535. */
    static boolean isWebEndpoint(URI uri) {
        boolean web = "http".equals(uri.getScheme()) || "https".equals(uri.getScheme());
        return web && uri.getHost() != null && uri.getPort() >= -1 && uri.getPort() != 0 && uri.getPort() <= 65535;
    }

    /**
     * The credentials for {@code https://} peers: the JDK's trusted CAs, or only the certificates in
     * THESPIAN_PEER_CA_FILE (a private CA, a mesh's, or a self-signed peer), checked now rather than at the
     * first call.
     */
    private static ChannelCredentials peerTls(Map<String, String> env) throws InvalidSetting {
        Optional<String> file = value(env, "THESPIAN_PEER_CA_FILE");
        if (file.isEmpty()) {
            return TlsChannelCredentials.create();
        }
        try (InputStream pem = Files.newInputStream(Path.of(file.get()))) {
            if (!CertificateFactory.getInstance("X.509").generateCertificates(pem).isEmpty()) {
                return TlsChannelCredentials.newBuilder().trustManager(Path.of(file.get()).toFile()).build();
            }
        } catch (IOException | CertificateException | InvalidPathException e) {
            // reported below
        }
        throw new InvalidSetting("THESPIAN_PEER_CA_FILE", "a readable file of PEM certificates", file.get());
    }

    private static Level logLevel(Map<String, String> env) throws InvalidSetting {
        Optional<String> text = value(env, "THESPIAN_LOG_LEVEL");
        if (text.isEmpty()) {
            return Level.INFO;
        }
        return switch (text.get().toUpperCase(Locale.ROOT)) {
            case "DEBUG" -> Level.DEBUG;
            case "INFO" -> Level.INFO;
            case "WARN" -> Level.WARN;
            case "ERROR" -> Level.ERROR;
            default -> throw new InvalidSetting("THESPIAN_LOG_LEVEL", "DEBUG, INFO, WARN or ERROR", text.get());
        };
    }

    private static boolean flag(Map<String, String> env, String name) throws InvalidSetting {
        return flag(env, name, false);
    }

    private static boolean flag(Map<String, String> env, String name, boolean fallback) throws InvalidSetting {
        Optional<String> text = value(env, name);
        if (text.isEmpty()) {
            return fallback;
        }
        return switch (text.get().toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off" -> false;
            default -> throw new InvalidSetting(name, "true or false", text.get());
        };
    }
}
