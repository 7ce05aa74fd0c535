package org.thespian.cast;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.thespian.cast.Cast.Member;

/**
 * A cast as a Compose file on top of the observability stack in {@code instrumentation/}: one service per member
 * built from this repository's Dockerfile, listening on 6379 in the network and published on its cast port,
 * with its config mounted as a file, telemetry wired to the stack, a health check, a memory limit, a stop period
 * that covers its drain and a start order (callees first). Every value is written literally: no {@code $} in
 * it reaches Compose's interpolation, and an admin token is read from a variable rather than written.
 */
public final class ComposeFile {

    /** Where the stack and the Dockerfile are, relative to a Thespian checkout. */
    public static final String STACK = "instrumentation/docker-compose.yaml";
    /** The image sizes its heap from this (-XX:MaxRAMPercentage=75); without it each JVM may grow towards a quarter of the host. */
    static final String MEMORY_LIMIT = "384m";
    /** Compose sets no shutdown variables: a member stops with the server's defaults unless its env says otherwise. */
    static final Shutdown SERVER_DEFAULTS = new Shutdown(0, 10);
    private static final String CONFIG_DIR = "/etc/thespian/";

    /**
     * @param castFile      the cast's file, for the header
     * @param composeFile   where the Compose file will be: Compose resolves relative paths from its folder
     * @param checkout      the Thespian checkout with the stack and the Dockerfile
     * @param stackServices the stack's service names, which members cannot take ({@link #stackServices(Path)})
     */
    public record Target(Path castFile, Path composeFile, Path checkout, URI otelBackendAddress, URI lokiAddress,
            Set<String> stackServices) {
        public Target {
            stackServices = Set.copyOf(stackServices);
        }

        Path composeDir() {
            return composeFile.toAbsolutePath().normalize().getParent();
        }
    }

    private ComposeFile() {
    }

    /** The services of the stack in {@code checkout}, read from its Compose file. */
    public static Set<String> stackServices(Path checkout) throws IOException {
        JsonNode services = new YAMLMapper().readTree(checkout.resolve(STACK).toFile()).path("services");
        Set<String> names = new TreeSet<>();
        services.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /**
     * @throws CastException when a member has a stack service's name (the included stack and the cast would define
     *                       one service twice) or a shutdown delay or grace the server would refuse
     */
    public static String render(Cast cast, Target target) throws CastException {
        for (int i = 0; i < cast.members().size(); i++) {
            String name = cast.members().get(i).name();
            if (target.stackServices().contains(name)) {
                throw new CastException("member \"" + name + "\": members[" + i + "].name: the observability stack ("
                        + STACK + ") has a service named \"" + name + "\"; rename the member, e.g. \"" + cast.name()
                        + "-" + name + "\"");
            }
        }
        ObjectNode compose = YamlText.object();
        // The stack's own project name: the cast and `docker compose -f instrumentation/docker-compose.yaml` then
        // share one stack instead of starting a second.
        compose.put("name", "thespian");
        compose.putArray("include").add(relative(target, target.checkout().resolve(STACK)));
        ObjectNode services = compose.putObject("services");
        Map<String, List<String>> startAfter = startOrder(cast);
        for (Member member : cast.members()) {
            services.set(member.name(), service(member, target, startAfter.get(member.name()),
                    Shutdown.of(cast, member, SERVER_DEFAULTS)));
        }
        List<Member> inline = cast.members().stream().filter(member -> member.config().file().isEmpty()).toList();
        if (!inline.isEmpty()) {
            ObjectNode configs = compose.putObject("configs");
            inline.forEach(member -> configs.putObject(configName(member)).put("content", member.config().text()));
        }
        // Compose substitutes ${VAR} and $VAR in every value, the configs' content included; $$ is its literal $.
        ObjectNode literal = (ObjectNode) literally(compose);
        for (Member member : cast.members()) {
            if (member.env().containsKey(Cast.ADMIN_TOKEN)) {
                ((ObjectNode) literal.at("/services/" + member.name() + "/environment"))
                        .put(Cast.ADMIN_TOKEN, "${" + adminTokenVariable(member) + ":?the admin token of member "
                                + member.name() + "}");
            }
        }
        return header(cast, target) + YamlText.write(literal);
    }

    /**
     * The variable Compose reads a member's admin token from when it starts (the environment or {@code .env} beside
     * the file), so the token is never written into the file.
     */
    static String adminTokenVariable(Member member) {
        return Cast.ADMIN_TOKEN + "_" + member.name().toUpperCase(Locale.ROOT).replace('-', '_');
    }

    private static ObjectNode service(Member member, Target target, List<String> callees, Shutdown shutdown) {
        ObjectNode service = YamlText.object();
        ObjectNode build = service.putObject("build");
        build.put("context", relative(target, target.checkout()));
        build.put("dockerfile", "Dockerfile");
        service.put("image", "thespian:local");
        String configFile = CONFIG_DIR + member.config().fileName();
        ObjectNode environment = service.putObject("environment");
        environment.put("SERVICE_NAME", member.name());
        environment.put("CONFIG_FILE", configFile);
        environment.put("OTEL_BACKEND_ADDRESS", target.otelBackendAddress().toString());
        environment.put("LOKI_ADDRESS", target.lokiAddress().toString());
        member.env().forEach(environment::put);
        // Always a file: an inline config in the environment could exceed what exec takes. A config file is
        // bind-mounted in the long syntax, which never splits its path at a colon; an inline one is a Compose config.
        member.config().file().ifPresentOrElse(file -> {
            ObjectNode volume = service.putArray("volumes").addObject();
            volume.put("type", "bind");
            volume.put("source", relative(target, file));
            volume.put("target", configFile);
            volume.put("read_only", true);
        }, () -> {
            ObjectNode config = service.putArray("configs").addObject();
            config.put("source", configName(member));
            config.put("target", configFile);
        });
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
        // Docker kills after 10 s by default, before the drain (10 s by default) is over.
        service.put("stop_grace_period", shutdown.killAfterSeconds() + "s");
        service.put("mem_limit", MEMORY_LIMIT);
        service.put("restart", "unless-stopped");
        return service;
    }

    private static String configName(Member member) {
        return member.name() + "-config";
    }

    /** The document with every string value escaped for Compose's interpolation. */
    private static JsonNode literally(JsonNode node) {
        if (node.isTextual()) {
            return TextNode.valueOf(node.asText().replace("$", "$$"));
        }
        if (node.isObject()) {
            ObjectNode object = YamlText.object();
            node.properties().forEach(entry -> object.set(entry.getKey(), literally(entry.getValue())));
            return object;
        }
        if (node.isArray()) {
            ArrayNode array = JsonNodeFactory.instance.arrayNode();
            node.forEach(element -> array.add(literally(element)));
            return array;
        }
        return node;
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
                Cast.MEMBER_PORT) + adminTokenNote(cast);
    }

    private static String adminTokenNote(Cast cast) {
        List<String> variables = cast.members().stream().filter(member -> member.env().containsKey(Cast.ADMIN_TOKEN))
                .map(ComposeFile::adminTokenVariable).toList();
        return variables.isEmpty() ? "" : "#\n# Admin tokens are not written here: set " + String.join(", ", variables)
                + " in the environment or in .env beside this file.\n";
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
