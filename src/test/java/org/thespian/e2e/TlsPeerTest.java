package org.thespian.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Grpc;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsServerCredentials;
import io.grpc.stub.StreamObserver;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.thespian.proto.Nothing;
import org.thespian.proto.ThespianGrpc;
import org.thespian.cli.Settings;
import org.thespian.testsupport.InProcessThespian;

/** {@code https://} peers are called over TLS, verified against the JDK's CAs or THESPIAN_PEER_CA_FILE. */
class TlsPeerTest {

    private static final char[] PASSWORD = "changeit".toCharArray();
    private static final Nothing NOTHING = Nothing.getDefaultInstance();

    @TempDir
    static Path keys;
    private static Server tlsPeer;
    private static final AtomicInteger calls = new AtomicInteger();

    @BeforeAll
    static void startTlsPeer() throws Exception {
        Path keyStore = keys.resolve("peer.p12");
        keytool("-genkeypair", "-alias", "peer", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
                "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
                "-keystore", keyStore.toString(), "-storepass", new String(PASSWORD));
        keytool("-exportcert", "-rfc", "-alias", "peer", "-keystore", keyStore.toString(),
                "-storepass", new String(PASSWORD), "-file", keys.resolve("peer.pem").toString());
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keyStore)) {
            store.load(in, PASSWORD);
        }
        KeyManagerFactory keyManagers = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keyManagers.init(store, PASSWORD);
        tlsPeer = Grpc.newServerBuilderForPort(0,
                        TlsServerCredentials.newBuilder().keyManager(keyManagers.getKeyManagers()).build())
                .addService(new ThespianGrpc.ThespianImplBase() {
                    @Override
                    public void a(Nothing request, StreamObserver<Nothing> responses) {
                        calls.incrementAndGet();
                        responses.onNext(NOTHING);
                        responses.onCompleted();
                    }
                }).build().start();
    }

    @AfterAll
    static void stopTlsPeer() {
        if (tlsPeer != null) {
            tlsPeer.shutdownNow();
        }
    }

    @Test
    void anHttpsPeerTrustedThroughTheCaFileIsCalledOverTls() {
        int before = calls.get();
        try (InProcessThespian thespian = InProcessThespian.start(Map.of(
                "THESPIAN_PEER_CA_FILE", keys.resolve("peer.pem").toString(), "CONFIG_JSON", callPeer("https://127.0.0.1")))) {
            thespian.blockingStub().a(NOTHING);
        }
        assertEquals(before + 1, calls.get());
    }

    @Test
    void anUntrustedCertificateOrPlaintextNeverReachesThePeer() {
        int before = calls.get();
        for (Map<String, String> env : List.of(
                Map.of("CONFIG_JSON", callPeer("https://127.0.0.1")),
                Map.of("CONFIG_JSON", callPeer("http://127.0.0.1")))) {
            try (InProcessThespian thespian = InProcessThespian.start(env)) {
                StatusRuntimeException error = assertThrows(StatusRuntimeException.class,
                        () -> thespian.blockingStub().a(NOTHING));
                assertTrue(error.getStatus().getDescription().contains("(thespian.Thespian/A)"), error.toString());
            }
        }
        assertEquals(before, calls.get());
    }

    @Test
    void aCaFileThatIsNotPemIsRefusedByName() throws Exception {
        Path notPem = Files.writeString(keys.resolve("not.pem"), "hello");
        Settings.InvalidSetting refused = assertThrows(Settings.InvalidSetting.class,
                () -> Settings.from(Map.of("THESPIAN_PEER_CA_FILE", notPem.toString())));
        assertEquals("THESPIAN_PEER_CA_FILE must be a readable file of PEM certificates, got \"" + notPem + "\"",
                refused.getMessage());
    }

    private static String callPeer(String address) {
        return """
                {"grpc_method_a": {"tracing_name": "secure", "operations": [
                  {"Action": {"CallService": {"service_address": "%s", "service_port": %d, "grpc_method": "A"}}}]}}"""
                .formatted(address, tlsPeer.getPort());
    }

    private static void keytool(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertTrue(process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0, "keytool failed: " + output);
    }
}
