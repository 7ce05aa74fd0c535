package org.thespian.cli;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

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

    static final URI STACK_COLLECTOR = URI.create("http://otel-collector:4317");
    static final URI STACK_LOKI = URI.create("http://loki:3100");
    static final String LOCAL_IMAGE = "thespian:local";

    /** A mistake in the arguments, said in one line. */
    static final class Invalid extends Exception {
        Invalid(String message) {
            super(message);
        }
    }

    static CastOptions parse(List<String> args) throws Invalid {
        Path file = null;
        Optional<Emit> emit = Optional.empty();
        Optional<Path> out = Optional.empty();
        URI otel = STACK_COLLECTOR;
        URI loki = STACK_LOKI;
        String image = LOCAL_IMAGE;
        Optional<String> ui = Optional.empty();
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            switch (arg) {
                case "--emit" -> emit = Optional.of(switch (value(args, ++i, arg)) {
                    case "compose" -> Emit.COMPOSE;
                    case "kubernetes" -> Emit.KUBERNETES;
                    default -> throw new Invalid("--emit must be compose or kubernetes, got \"" + args.get(i) + "\"");
                });
                case "--out" -> out = Optional.of(Path.of(value(args, ++i, arg)));
                case "--otel-backend-address" -> otel = url(value(args, ++i, arg), arg);
                case "--loki-address" -> loki = url(value(args, ++i, arg), arg);
                case "--image" -> image = value(args, ++i, arg);
                case "--ui" -> ui = Optional.of(value(args, ++i, arg));
                default -> {
                    if (arg.startsWith("-") || file != null) {
                        throw new Invalid("cast: unexpected argument \"" + arg + "\"");
                    }
                    file = Path.of(arg);
                }
            }
        }
        if (file == null) {
            throw new Invalid("cast needs a cast file: java -jar thespian.jar cast FILE [--emit compose|kubernetes]");
        }
        if (emit.isEmpty() && (out.isPresent() || otel != STACK_COLLECTOR || loki != STACK_LOKI || image != LOCAL_IMAGE)) {
            throw new Invalid("--out, --otel-backend-address, --loki-address and --image go with --emit");
        }
        if (emit.isPresent() && ui.isPresent()) {
            throw new Invalid("--ui goes with running the cast, not with --emit");
        }
        return new CastOptions(file, emit, out, otel, loki, image, ui);
    }

    private static String value(List<String> args, int index, String flag) throws Invalid {
        if (index >= args.size() || args.get(index).isBlank()) {
            throw new Invalid(flag + " needs a value");
        }
        return args.get(index);
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
