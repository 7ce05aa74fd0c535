package org.thespian.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.thespian.cast.Cast;
import org.thespian.cast.CastException;
import org.thespian.cast.ComposeFile;
import org.thespian.cast.KubernetesManifests;
import org.thespian.cast.KubernetesManifests.Manifests;

/**
 * {@code cast FILE --emit compose|kubernetes [--out PATH]}: to stdout, or written under {@code --out}. Compose:
 * {@code --out} is the file (a .yaml/.yml name) or a folder for {@code compose.yaml}; run it from a Thespian
 * checkout, whose stack and Dockerfile the file uses. Kubernetes: {@code --out} is a folder for the resources and
 * a {@code kustomization.yaml}.
 */
final class Generate {

    private static final String COMPOSE_FILE_NAME = "compose.yaml";

    private Generate() {
    }

    /** @throws CastException when a member cannot be written for the target, e.g. a name the stack already uses */
    static int run(Cast cast, CastOptions options) throws CastException {
        List<String> openAdmins = cast.members().stream().filter(Cast.Member::servesOpenAdmin)
                .map(Cast.Member::name).toList();
        if (!openAdmins.isEmpty()) {
            System.err.println("thespian: warning: " + String.join(", ", openAdmins) + " serve the admin service"
                    + " without THESPIAN_ADMIN_TOKEN: whoever reaches their port can replace their config and health."
                    + " Add THESPIAN_ADMIN_TOKEN to their env in the cast to require it.");
        }
        try {
            return switch (options.emit().orElseThrow()) {
                case COMPOSE -> compose(cast, options);
                case KUBERNETES -> kubernetes(cast, options);
            };
        } catch (IOException e) {
            System.err.println("thespian: cannot write " + e.getMessage() + ": " + Main.rootMessage(e));
            return Main.EXIT_FAILURE;
        } catch (CastException e) {
            throw new CastException(options.file() + ": " + e.getMessage());
        }
    }

    private static int compose(Cast cast, CastOptions options) throws IOException, CastException {
        Path checkout = Path.of("").toAbsolutePath();
        if (!Files.isRegularFile(checkout.resolve(ComposeFile.STACK)) || !Files.isRegularFile(checkout.resolve("Dockerfile"))) {
            return Main.usageError("--emit compose builds on the stack in " + ComposeFile.STACK + " and the Dockerfile:"
                    + " run it from a Thespian checkout");
        }
        Path file = options.out()
                .map(out -> isYamlFile(out) ? out : out.resolve(COMPOSE_FILE_NAME))
                .orElse(Path.of(COMPOSE_FILE_NAME));
        Set<String> stackServices;
        try {
            stackServices = ComposeFile.stackServices(checkout);
        } catch (IOException e) {
            System.err.println("thespian: cannot read the services of " + ComposeFile.STACK + ": "
                    + Main.rootMessage(e));
            return Main.EXIT_FAILURE;
        }
        String text = ComposeFile.render(cast, new ComposeFile.Target(options.file(), file, checkout,
                options.otelBackendAddress(), options.lokiAddress(), stackServices));
        if (options.out().isEmpty()) {
            System.out.print(text);
        } else {
            write(file, text);
        }
        return Main.EXIT_OK;
    }

    private static int kubernetes(Cast cast, CastOptions options) throws IOException, CastException {
        Manifests manifests = KubernetesManifests.render(cast, new KubernetesManifests.Target(
                options.otelBackendAddress(), options.lokiAddress(), options.image()));
        if (options.out().isEmpty()) {
            System.out.print(manifests.resources());
            return Main.EXIT_OK;
        }
        Path dir = options.out().get();
        if (isYamlFile(dir)) {
            return Main.usageError("--emit kubernetes --out needs a folder (for " + manifests.resourcesFile()
                    + " and kustomization.yaml), got " + dir);
        }
        write(dir.resolve(manifests.resourcesFile()), manifests.resources());
        write(dir.resolve("kustomization.yaml"), manifests.kustomization());
        return Main.EXIT_OK;
    }

    private static boolean isYamlFile(Path path) {
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        return name.endsWith(".yaml") || name.endsWith(".yml");
    }

    private static void write(Path file, String text) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IOException(file.toString(), e);
        }
        System.err.println("wrote " + file);
    }
}
