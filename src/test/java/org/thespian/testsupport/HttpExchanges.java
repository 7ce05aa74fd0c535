package org.thespian.testsupport;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.GZIPInputStream;

/** The bits of JDK HTTP server plumbing the receivers share. */
final class HttpExchanges {

    /** What a handler answers: a status and a body, possibly empty. */
    record Reply(int status, String contentType, byte[] body) {

        static Reply empty(int status) {
            return new Reply(status, "text/plain", new byte[0]);
        }

        static Reply text(int status, String message) {
            return new Reply(status, "text/plain", message.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** What a receiver does with a POSTed body. */
    interface PostHandler {
        Reply handle(HttpExchange exchange, byte[] body) throws IOException;
    }

    private HttpExchanges() {
    }

    /** Starts a server on a free loopback port with a handler per path. */
    static HttpServer start(Map<String, HttpHandler> handlers) throws IOException {
        HttpServer server = HttpServer.create(Loopback.anyPort(), 0);
        handlers.forEach(server::createContext);
        server.start();
        return server;
    }

    static HttpHandler post(PostHandler handler) {
        return exchange -> {
            try (exchange) {
                Reply reply = "POST".equals(exchange.getRequestMethod())
                        ? handler.handle(exchange, body(exchange))
                        : Reply.text(405, "POST only");
                exchange.getResponseHeaders().set("Content-Type", reply.contentType());
                // -1 tells the JDK server there is no body; 0 would mean a chunked one.
                exchange.sendResponseHeaders(reply.status(), reply.body().length == 0 ? -1 : reply.body().length);
                if (reply.body().length > 0) {
                    try (OutputStream out = exchange.getResponseBody()) {
                        out.write(reply.body());
                    }
                }
            }
        };
    }

    static boolean hasContentType(HttpExchange exchange, String mediaType) {
        String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
        return contentType != null && contentType.toLowerCase().startsWith(mediaType);
    }

    private static byte[] body(HttpExchange exchange) throws IOException {
        boolean gzipped = "gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"));
        try (InputStream in = gzipped ? new GZIPInputStream(exchange.getRequestBody()) : exchange.getRequestBody()) {
            return in.readAllBytes();
        }
    }
}
