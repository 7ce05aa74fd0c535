package org.thespian.instrumentation;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/** A Compose file with the files it includes: its services, each with the folder its relative paths start from. */
final class Compose {

    /** A bind mount: a file or folder of the host seen at {@code target} in the container. */
    record Mount(Path source, String target) {
    }

    record Service(String name, JsonNode node, Path dir) {

        Optional<String> image() {
            return Optional.ofNullable(node.path("image").textValue());
        }

        boolean builtHere() {
            return node.has("build");
        }

        Path buildContext() {
            return dir.resolve(node.path("build").path("context").asText(".")).normalize();
        }

        Path dockerfile() {
            return buildContext().resolve(node.path("build").path("dockerfile").asText("Dockerfile"));
        }

        Map<String, String> environment() {
            Map<String, String> env = new LinkedHashMap<>();
            JsonNode node = this.node.path("environment");
            if (node.isArray()) {
                node.forEach(entry -> {
                    String[] pair = entry.asText().split("=", 2);
                    env.put(pair[0], pair.length > 1 ? pair[1] : "");
                });
            } else {
                node.properties().forEach(entry -> env.put(entry.getKey(), entry.getValue().asText()));
            }
            return env;
        }

        List<String> command() {
            JsonNode command = node.path("command");
            return command.isArray()
                    ? command.valueStream().map(JsonNode::asText).toList()
                    : Arrays.stream(command.asText().split("\\s+")).filter(arg -> !arg.isEmpty()).toList();
        }

        /** The value of a {@code --flag=value} argument of the command. */
        Optional<String> flag(String name) {
            return command().stream()
                    .filter(arg -> arg.startsWith(name + "="))
                    .map(arg -> arg.substring(name.length() + 1))
                    .findFirst();
        }

        List<Mount> bindMounts() {
            List<Mount> mounts = new ArrayList<>();
            for (JsonNode volume : node.path("volumes")) {
                String source = volume.isObject() ? volume.path("source").asText() : volume.asText().split(":")[0];
                String target = volume.isObject() ? volume.path("target").asText() : volume.asText().split(":")[1];
                if (source.startsWith(".") || source.startsWith("/")) {
                    mounts.add(new Mount(dir.resolve(source).normalize(), target));
                }
            }
            return mounts;
        }

        /** The host file behind a path in the container, through the bind mount that covers it. */
        Path hostFile(String containerPath) {
            return bindMounts().stream()
                    .filter(mount -> containerPath.equals(mount.target()) || containerPath.startsWith(mount.target() + "/"))
                    .map(mount -> mount.source().resolve(containerPath.substring(mount.target().length()).replaceFirst("^/", "")))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError(name + " mounts nothing at " + containerPath));
        }

        /** Published ports: host port to container port. */
        Map<Integer, Integer> publishedPorts() {
            Map<Integer, Integer> ports = new LinkedHashMap<>();
            for (JsonNode port : node.path("ports")) {
                if (port.isObject()) {
                    ports.put(port.path("published").asInt(), port.path("target").asInt());
                } else {
                    String[] parts = port.asText().replaceFirst("/(tcp|udp)$", "").split(":");
                    if (parts.length >= 2) {
                        ports.put(Integer.parseInt(parts[parts.length - 2]), Integer.parseInt(parts[parts.length - 1]));
                    }
                }
            }
            return ports;
        }
    }

    private final Map<String, Service> services = new LinkedHashMap<>();
    private final List<Path> files = new ArrayList<>();

    private Compose() {
    }

    static Compose load(Path file) {
        Compose compose = new Compose();
        compose.add(file);
        return compose;
    }

    private void add(Path file) {
        files.add(file);
        JsonNode document = RepoFiles.yaml(file);
        Path dir = file.getParent();
        for (JsonNode include : document.path("include")) {
            add(dir.resolve(include.isObject() ? include.path("path").asText() : include.asText()).normalize());
        }
        document.path("services").properties()
                .forEach(entry -> services.put(entry.getKey(), new Service(entry.getKey(), entry.getValue(), dir)));
    }

    /** This file and the ones it includes. */
    List<Path> files() {
        return files;
    }

    Collection<Service> services() {
        return services.values();
    }

    Optional<Service> service(String name) {
        return Optional.ofNullable(services.get(name));
    }

    List<Service> services(Predicate<Service> filter) {
        return services().stream().filter(filter).toList();
    }

    /** The one service running an image of this repository, such as {@code grafana/tempo}. */
    Service byImage(String repository) {
        List<Service> matches = services(s -> s.image().filter(image -> image.startsWith(repository + ":")).isPresent());
        assertEquals(1, matches.size(), () -> "services with image " + repository + ": " + matches);
        return matches.get(0);
    }

    /**
     * Where an address used by a client lands: the service and its container port. {@code localhost} addresses go
     * through a published port; other hosts name a service on the Compose network.
     */
    Map.Entry<Service, Integer> resolve(Endpoint endpoint) {
        if (endpoint.onThisMachine()) {
            for (Service service : services()) {
                Integer containerPort = service.publishedPorts().get(endpoint.port());
                if (containerPort != null) {
                    return Map.entry(service, containerPort);
                }
            }
            throw new AssertionError("no service publishes port " + endpoint.port());
        }
        Service service = service(endpoint.host())
                .orElseThrow(() -> new AssertionError("no service named " + endpoint.host()));
        return Map.entry(service, endpoint.port());
    }
}
