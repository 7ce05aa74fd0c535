package org.thespian.cast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.thespian.cast.KubernetesManifestsTest.TARGET;
import static org.thespian.cast.KubernetesManifestsTest.find;
import static org.thespian.cast.KubernetesManifestsTest.onPath;
import static org.thespian.cast.KubernetesManifestsTest.parse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.thespian.cast.KubernetesManifests.Manifests;

/**
 * The shop cast for Kubernetes, checked against the Kubernetes API schemas by kubernetes-models (npm, offline),
 * and built by kubectl's kustomize as {@code kubectl apply -k} would. An {@code *IT} although it starts no jar:
 * without the tools these tests skip, and failsafe prints why on the console, where surefire would only count them.
 */
class KubernetesManifestsIT {

    private static final Path CHECKOUT = CastParserTest.SHOP.getParent().getParent();
    private static final Path VALIDATOR = CHECKOUT.resolve(".ci/npm/validate-kubernetes.mjs");

    private static Manifests manifests;
    private static List<JsonNode> resources;

    @TempDir
    Path dir;

    @BeforeAll
    static void render() throws Exception {
        manifests = KubernetesManifests.render(CastParser.parse(CastParserTest.SHOP), TARGET);
        resources = parse(manifests.resources());
    }

    @Test
    void theAdminTokenIsASecretThePodReferencesAndNotAValueInTheDeployment() throws Exception {
        Cast cast = CastParser.parse("guarded.cast.yaml", """
                name: guarded
                members:
                  - name: vault
                    port: 7301
                    env: {THESPIAN_ADMIN: "true", THESPIAN_ADMIN_TOKEN: "t0ken-$ecret"}
                    config: {}
                """, CastParserTest::noFiles);
        List<JsonNode> documents = parse(KubernetesManifests.render(cast, TARGET).resources());
        JsonNode secret = find(documents, "Secret", "vault-admin-token");
        assertEquals("t0ken-$ecret", secret.at("/stringData/THESPIAN_ADMIN_TOKEN").asText());
        JsonNode deployment = find(documents, "Deployment", "vault");
        JsonNode token = deployment.at("/spec/template/spec/containers/0/env").valueStream()
                .filter(e -> e.path("name").asText().equals("THESPIAN_ADMIN_TOKEN")).findFirst().orElseThrow();
        assertTrue(token.path("value").isMissingNode(), token.toString());
        assertEquals("vault-admin-token", token.at("/valueFrom/secretKeyRef/name").asText());
        assertEquals("THESPIAN_ADMIN_TOKEN", token.at("/valueFrom/secretKeyRef/key").asText());
        assertFalse(deployment.toString().contains("t0ken"), deployment.toString());
        Validation valid = validate(documents);
        assertEquals(0, valid.exitCode(), valid.output());
        assertTrue(valid.output().contains("v1/Secret vault-admin-token: valid"), valid.output());
    }

    @Test
    void theKubernetesApiSchemasAcceptEveryResource() throws Exception {
        Validation valid = validate(resources);
        assertEquals(0, valid.exitCode(), valid.output());
        assertEquals(resources.size(), valid.output().lines().filter(line -> line.endsWith(": valid")).count(),
                valid.output());
    }

    @Test
    void theValidatorRejectsWhatTheSchemasForbid() throws Exception {
        JsonNode broken = find(resources, "Deployment", "frontend").deepCopy();
        ((ObjectNode) broken.path("spec")).put("replicas", "two");
        Validation invalid = validate(List.of(broken));
        assertNotEquals(0, invalid.exitCode(), invalid.output());
        assertTrue(invalid.output().contains("replicas must be integer"), invalid.output());
    }

    @Test
    void kustomizeBuildsTheFolderThatKubectlApplyKTakes() throws Exception {
        assumeTrue(onPath("kubectl"), "kubectl is not installed (apt-get install kubectl)");
        Files.writeString(dir.resolve(manifests.resourcesFile()), manifests.resources());
        Files.writeString(dir.resolve("kustomization.yaml"), manifests.kustomization());
        Process kustomize = new ProcessBuilder("kubectl", "kustomize", dir.toString()).redirectErrorStream(true).start();
        String output = new String(kustomize.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(kustomize.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, kustomize.exitValue(), output);
        assertEquals(resources.size(), output.lines().filter(line -> line.startsWith("kind: ")).count(), output);
    }

    private record Validation(int exitCode, String output) {
    }

    private static Validation validate(List<JsonNode> documents) throws Exception {
        assumeTrue(Files.isDirectory(CHECKOUT.resolve(".ci/npm/node_modules/kubernetes-models")) && onPath("node"),
                "kubernetes-models is not installed: npm ci --prefix .ci/npm (as .ci/run does)");
        Process node = new ProcessBuilder("node", VALIDATOR.toString()).redirectErrorStream(true).start();
        node.getOutputStream().write(new ObjectMapper().writeValueAsBytes(documents));
        node.getOutputStream().close();
        String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(node.waitFor(60, TimeUnit.SECONDS), "the validator finished");
        return new Validation(node.exitValue(), output);
    }
}
