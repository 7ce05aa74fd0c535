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
import org.thespian.config.ConfigException;
import org.thespian.config.ConfigSource;
import org.thespian.config.ConfigSource.LoadedConfig;
import org.thespian.engine.EngineLimits;

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
        EngineLimits engineLimits,
        Map<String, String> environment) {

    static final int DEFAULT_PORT = 6379;
    static final String DEFAULT_SERVICE_NAME = "thespian";

    /** A user mistake in the environment. */
    public static final class InvalidSetting extends Exception {
        InvalidSetting(String variable, String expected, String actual) {
            super(variable + " must be " + expected + ", got \"" + actual + "\"");
        }
    }

    public static Settings from(Map<String, String> env) throws InvalidSetting, ConfigException {
        LoadedConfig config = ConfigSource.load(env);
        String serviceName = value(env, "SERVICE_NAME")
                .or(() -> value(env, "OTEL_SERVICE_NAME"))
                .or(() -> config.config().serviceName())
                .orElse(DEFAULT_SERVICE_NAME);
        return new Settings(
                port(env),
                serviceName,
                config,
                seed(env),
                endpoint(env, "OTEL_BACKEND_ADDRESS", "http://localhost:4317"),
                endpoint(env, "LOKI_ADDRESS", "http://localhost:3100"),
                flag(env, "THESPIAN_TRACE_CONSOLE"),
                logLevel(env),
                peerTls(env),
                Duration.ofSeconds(wholeNumber(env, "THESPIAN_SHUTDOWN_GRACE_SECONDS", 10, 0, 3600)),
                engineLimits(env),
                Map.copyOf(env));
    }

    private static EngineLimits engineLimits(Map<String, String> env) throws InvalidSetting {
        return new EngineLimits((int) wholeNumber(env, "THESPIAN_MAX_ACTIONS_PER_REQUEST",
                EngineLimits.DEFAULT_MAX_ACTIONS_PER_REQUEST, 1, Integer.MAX_VALUE));
    }

    static int port(Map<String, String> env) throws InvalidSetting {
        return (int) wholeNumber(env, "PORT", DEFAULT_PORT, 1, 65535);
    }

    /** A variable that is unset or blank counts as not given, as the original treated empty addresses. */
    static Optional<String> value(Map<String, String> env, String name) {
        return Optional.ofNullable(env.get(name)).map(String::strip).filter(v -> !v.isEmpty());
    }

    private static long wholeNumber(Map<String, String> env, String name, long fallback, long min, long max)
            throws InvalidSetting {
        Optional<String> text = value(env, name);
        if (text.isEmpty()) {
            return fallback;
        }
        try {
            long number = Long.parseLong(text.get());
            if (number >= min && number <= max) {
                return number;
            }
        } catch (NumberFormatException ignored) {
            // reported below, with the range
        }
        throw new InvalidSetting(name, "a whole number from " + min + " to " + max, text.get());
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
            boolean web = "http".equals(uri.getScheme()) || "https".equals(uri.getScheme());
            if (web && uri.getHost() != null) {
                return Optional.of(uri);
            }
        } catch (URISyntaxException ignored) {
            // reported below
        }
        throw new InvalidSetting(name, expected, text.get());
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
        Optional<String> text = value(env, name);
        if (text.isEmpty()) {
            return false;
        }
        return switch (text.get().toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off" -> false;
            default -> throw new InvalidSetting(name, "true or false", text.get());
        };
    }
}
