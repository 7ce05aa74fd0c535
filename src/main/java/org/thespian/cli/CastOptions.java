package org.thespian.cli;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The arguments of {@code cast FILE [--emit compose|kubernetes] [--out DIR] [--otel-backend-address URL]
 * [--loki-address URL] [--image IMAGE] [--ui HOST:PORT|off]}.
 *
 * @param otelBackendAddress where generated members send traces and metrics (default: the stack's Collector)
 * @param lokiAddress        where generated members push logs (default: the stack's Loki)
 * @param image              the image Kubernetes runs
 * @param ui                 where the live view listens (HOST:PORT or off); empty for the default
 */
record CastOptions(Path file, Optional<Emit> emit, Optional<Path> out, URI otelBackendAddress, URI lokiAddress,
        String image, Optional<String> ui) {

    enum Emit { COMPOSE, KUBERNETES }

    /** What {@code --emit} takes, for the completion script: each {@link Emit} as the flag spells it. */
    static final class EmitValues extends ArrayList<String> {
        EmitValues() {
            super(Stream.of(Emit.values()).map(emit -> emit.name().toLowerCase(Locale.ROOT)).toList());
        }
    }

    static final String STACK_COLLECTOR_TEXT = "http://otel-collector:4317";
    static final String STACK_LOKI_TEXT = "http://loki:3100";
    static final URI STACK_COLLECTOR = URI.create(STACK_COLLECTOR_TEXT);
    static final URI STACK_LOKI = URI.create(STACK_LOKI_TEXT);
    static final String LOCAL_IMAGE = "thespian:local";

    /** A mistake in the arguments, said in one line. */
    static final class Invalid extends Exception {
        Invalid(String message) {
            super(message);
        }
    }

    /** Checks the flags of {@code cast} together; each is empty when not given. */
    static CastOptions of(Path file, Optional<String> emit, Optional<Path> out, Optional<String> otelBackendAddress,
            Optional<String> lokiAddress, Optional<String> image, Optional<String> ui) throws Invalid {
        if (emit.isEmpty() && (out.isPresent() || otelBackendAddress.isPresent() || lokiAddress.isPresent()
                || image.isPresent())) {
            throw new Invalid("--out, --otel-backend-address, --loki-address and --image go with --emit");
        }
        if (emit.isPresent() && ui.isPresent()) {
            throw new Invalid("--ui goes with running the cast, not with --emit");
        }
        Optional<Emit> target = Optional.empty();
        if (emit.isPresent()) {
            target = Optional.of(switch (emit.get()) {
                case "compose" -> Emit.COMPOSE;
                case "kubernetes" -> Emit.KUBERNETES;
                default -> throw new Invalid("--emit must be compose or kubernetes, got \"" + emit.get() + "\"");
            });
        }
        return new CastOptions(file, target, given(out.map(Path::toString), "--out").map(Path::of),
                url(given(otelBackendAddress, "--otel-backend-address"), "--otel-backend-address", STACK_COLLECTOR),
                url(given(lokiAddress, "--loki-address"), "--loki-address", STACK_LOKI),
                given(image, "--image").orElse(LOCAL_IMAGE), given(ui, "--ui"));
    }

    private static Optional<String> given(Optional<String> value, String flag) throws Invalid {
        if (value.isPresent() && value.get().isBlank()) {
            throw new Invalid(flag + " needs a value");
        }
        return value;
    }

    private static URI url(Optional<String> text, String flag, URI fallback) throws Invalid {
        return text.isEmpty() ? fallback : url(text.get(), flag);
    }

    private static URI url(String text, String flag) throws Invalid {
        try {
            URI uri = new URI(text);
            if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) && uri.getHost() != null) {
                return uri;
            }
        } catch (URISyntaxException ignored) {
            // reported below
        }
        throw new Invalid(flag + " must be an http:// or https:// URL with a host, got \"" + text + "\"");
    }
}
