package org.thespian.cast;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.thespian.cast.Cast.Member;

/**
 * A cast as a Compose file on top of the observability stack in {@code instrumentation/}: one service per member
 * built from this repository's Dockerfile, listening on 6379 in the network and published on its cast port,
 * with telemetry wired to the stack, a health check, a memory limit and a start order (callees first).
 */
public final class ComposeFile {

    /** Where the stack and the Dockerfile are, relative to a Thespian checkout. */
    public static final String STACK = "instrumentation/docker-compose.yaml";
    /** The image sizes its heap from this (-XX:MaxRAMPercentage=75); without it each JVM may grow towards a quarter of the host. */
    static final String MEMORY_LIMIT = "384m";
    private static final String CONFIG_DIR = "/etc/thespian/";

    /**
     * @param castFile    the cast's file, for the header
     * @param composeFile where the Compose file will be: Compose resolves relative paths from its folder
     * @param checkout    the Thespian checkout with the stack and the Dockerfile
     */
    public record Target(Path castFile, Path composeFile, Path checkout, URI otelBackendAddress, URI lokiAddress) {
        Path composeDir() {
            return composeFile.toAbsolutePath().normalize().getParent();
        }
    }

    private ComposeFile() {
    }

    public static String render(Cast cast, Target target) {
        ObjectNode compose = YamlText.object();
        // The stack's own project name: the cast and `docker compose -f instrumentation/docker-compose.yaml` then
        // share one stack instead of starting a second.
        compose.put("name", "thespian");
        compose.putArray("include").add(relative(target, target.checkout().resolve(STACK)));
        ObjectNode services = compose.putObject("services");
        Map<String, List<String>> startAfter = startOrder(cast);
        for (Member member : cast.members()) {
            services.set(member.name(), service(member, target, startAfter.get(member.name())));
        }
        return header(cast, target) + YamlText.write(compose);
    }

    private static ObjectNode service(Member member, Target target, List<String> callees) {
        ObjectNode service = YamlText.object();
        ObjectNode build = service.putObject("build");
        build.put("context", relative(target, target.checkout()));
        build.put("dockerfile", "Dockerfile");
        service.put("image", "thespian:local");
        ObjectNode environment = service.putObject("environment");
        environment.put("SERVICE_NAME", member.name());
        member.config().file().ifPresentOrElse(
                file -> environment.put("CONFIG_FILE", CONFIG_DIR + configFileName(file)),
                // Compose would substitute ${...} in the config; $$ is its literal dollar.
                () -> environment.put("CONFIG_JSON", YamlText.compactJson(member.config().text()).replace("$", "$$")));
        environment.put("OTEL_BACKEND_ADDRESS", target.otelBackendAddress().toString());
        environment.put("LOKI_ADDRESS", target.lokiAddress().toString());
        member.env().forEach(environment::put);
        member.config().file().ifPresent(file -> service.putArray("volumes")
                .add(relative(target, file) + ":" + CONFIG_DIR + configFileName(file) + ":ro"));
        if (member.replicas() == 1) {
            ObjectNode port = service.putArray("ports").addObject();
            // Loopback only: a member may serve the admin service, which can replace its config.
            port.put("host_ip", "127.0.0.1");
            port.put("target", Cast.MEMBER_PORT);
            port.put("published", member.port());
        } else {
            // Replicas cannot share one published port; they are reached through the network, by name.
            service.putObject("deploy").put("replicas", member.replicas());
        }
        ObjectNode dependsOn = service.putObject("depends_on");
        for (String stackService : List.of("otel-collector", "loki")) {
            dependsOn.putObject(stackService).put("condition", "service_started");
        }
        callees.forEach(callee -> dependsOn.putObject(callee).put("condition", "service_healthy"));
        ObjectNode healthcheck = service.putObject("healthcheck");
        ArrayNode test = healthcheck.putArray("test");
        List.of("CMD", "java", "-jar", "/app/thespian.jar", "healthcheck").forEach(test::add);
        healthcheck.put("interval", "5s");
        healthcheck.put("timeout", "5s");
        healthcheck.put("retries", 3);
        healthcheck.put("start_period", "30s");
        service.put("mem_limit", MEMORY_LIMIT);
        service.put("restart", "unless-stopped");
        return service;
    }

    /**
     * The members each member calls, to start first. A call back up the order (a cycle) gives no edge, since
     * Compose refuses cyclic dependencies; the peer then reconnects when it is up.
     */
    static Map<String, List<String>> startOrder(Cast cast) {
        Set<String> names = new HashSet<>();
        cast.members().forEach(member -> names.add(member.name()));
        Map<String, List<String>> after = new HashMap<>();
        cast.members().forEach(member -> after.put(member.name(), new ArrayList<>()));
        for (Member member : cast.members()) {
            for (var peer : member.config().config().peers()) {
                String callee = peer.host();
                boolean inCast = names.contains(callee) && peer.port() == Cast.MEMBER_PORT && !peer.tls();
                if (inCast && !after.get(member.name()).contains(callee)
                        && !dependsOn(after, callee, member.name(), new HashSet<>())) {
                    after.get(member.name()).add(callee);
                }
            }
        }
        return after;
    }

    private static boolean dependsOn(Map<String, List<String>> after, String from, String to, Set<String> seen) {
        if (from.equals(to)) {
            return true;
        }
        return seen.add(from) && after.get(from).stream().anyMatch(next -> dependsOn(after, next, to, seen));
    }

    private static String header(Cast cast, Target target) {
        String castFile = fromCheckout(target, target.castFile());
        String composeFile = fromCheckout(target, target.composeFile());
        return String.format(Locale.ROOT, """
                # The cast "%s" for Docker Compose, on top of the observability stack (%s).
                # Generated from %s by
                #   java -jar target/thespian.jar cast %s --emit compose --out %s
                # Change the cast and generate again rather than editing this file.
                #
                #   docker compose -f %s up -d --build
                #   grpcurl -plaintext localhost:%d thespian.Thespian/A
                #
                # Every member listens on %d inside the network, where the others call it by name, and is published
                # on its port from the cast on 127.0.0.1 only (replicated members are not published).
                """, cast.name(), STACK, castFile, castFile, composeFile, composeFile, cast.members().get(0).port(),
                Cast.MEMBER_PORT);
    }

    /** The container keeps the extension: CONFIG_FILE accepts .json and .jsonc. */
    private static String configFileName(Path file) {
        return file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jsonc") ? "config.jsonc" : "config.json";
    }

    private static String relative(Target target, Path path) {
        String relative = slashes(target.composeDir().relativize(path.toAbsolutePath().normalize()));
        return relative.isEmpty() ? "." : relative.startsWith(".") ? relative : "./" + relative;
    }

    private static String fromCheckout(Target target, Path path) {
        return slashes(target.checkout().toAbsolutePath().normalize().relativize(path.toAbsolutePath().normalize()));
    }

    private static String slashes(Path path) {
        return path.toString().replace('\\', '/');
    }

}
