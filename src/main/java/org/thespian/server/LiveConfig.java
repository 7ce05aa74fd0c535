package org.thespian.server;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.thespian.config.Config;
import org.thespian.config.ConfigException;
import org.thespian.config.ConfigParser;
import org.thespian.config.ConfigSource.LoadedConfig;

/**
 * The config new calls use, replaceable while the server runs. A call reads {@link #current()} once, at its
 * start, and keeps that revision to the end, so a swap never changes a call halfway.
 */
public final class LiveConfig {

    /** One accepted config: its number (1 at startup, one more per change), model, text and origin. */
    public record Revision(long number, Config config, String text, String origin) {
    }

    private final AtomicReference<Revision> current;
    private final String serviceName;
    private final Consumer<Revision> onChange;

    /** @param serviceName the name the instance runs under, fixed for its life (spans, logs, metrics carry it) */
    LiveConfig(LoadedConfig initial, String serviceName, Consumer<Revision> onChange) {
        this.current = new AtomicReference<>(new Revision(1, initial.config(), initial.text(), initial.origin()));
        this.serviceName = serviceName;
        this.onChange = onChange;
    }

    public Revision current() {
        return current.get();
    }

    /**
     * Parses and checks {@code text} exactly as at startup and, if it is valid, makes it the running config. A
     * {@code service_name} other than the instance's and the running document's is refused: the name is on every
     * span, log line and metric from startup on, and taking the document without it would ignore it silently.
     *
     * @throws ConfigException naming {@code origin} and the JSON path; the running config stays
     */
    public synchronized Revision replace(String text, String origin) throws ConfigException {
        Config config;
        try {
            config = ConfigParser.parse(text);
            Optional<String> named = config.serviceName();
            if (named.isPresent() && !named.get().equals(serviceName)
                    && !named.equals(current.get().config().serviceName())) {
                throw new ConfigException("service_name", "\"" + named.get() + "\" is not this instance's name \""
                        + serviceName + "\", which is fixed at startup: restart it to rename it, or leave service_name"
                        + " out");
            }
        } catch (ConfigException e) {
            throw e.withOrigin(origin);
        }
        Revision next = new Revision(current.get().number() + 1, config, text, origin);
        current.set(next);
        onChange.accept(next);
        return next;
    }
}
