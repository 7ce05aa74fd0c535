package org.thespian.testsupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SilentServerTest {

    @Test
    void takesTheRequestAndNeverAnswers() throws Exception {
        try (SilentServer silent = SilentServer.start(); Socket client = connect(silent)) {
            client.getOutputStream().write("POST /v1/traces HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            client.setSoTimeout(300);
            assertThrows(SocketTimeoutException.class, () -> client.getInputStream().read());
            assertEquals(1, silent.connectionsAccepted());
        }
    }

    @Test
    void closingEndsTheConnectionsItHeld() throws Exception {
        SilentServer silent = SilentServer.start();
        try (Socket client = connect(silent)) {
            client.setSoTimeout(300);
            assertThrows(SocketTimeoutException.class, () -> client.getInputStream().read());
            silent.close();
            client.setSoTimeout(5_000);
            assertEquals(-1, client.getInputStream().read());
        }
    }

    private static Socket connect(SilentServer silent) throws IOException {
        Socket client = new Socket();
        client.connect(new InetSocketAddress(Loopback.HOST, silent.address().getPort()), 1_000);
        return client;
    }
}
