package org.thespian.ui;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Properties;

/**
 * The page and what it loads, all from the jar: our own files, and Cytoscape.js from its WebJar. Only these paths
 * are served; nothing else on the classpath can be read through the view.
 */
final class StaticFiles {

    private static final String OWN = "/org/thespian/ui/static/";
    private static final String CYTOSCAPE_POM = "/META-INF/maven/org.webjars.npm/cytoscape/pom.properties";

    private record File(String resource, String type) {
    }

    private final Map<String, File> files;

    StaticFiles() {
        files = Map.of(
                "/", new File(OWN + "index.html", "text/html; charset=utf-8"),
                "/app.js", new File(OWN + "app.js", "text/javascript; charset=utf-8"),
                "/app.css", new File(OWN + "app.css", "text/css; charset=utf-8"),
                "/favicon.svg", new File(OWN + "favicon.svg", "image/svg+xml"),
                "/vendor/cytoscape.min.js", new File("/META-INF/resources/webjars/cytoscape/" + cytoscapeVersion()
                        + "/dist/cytoscape.min.js", "text/javascript; charset=utf-8"));
    }

    /** The WebJar's files sit under its version; its pom.properties says which that is. */
    private static String cytoscapeVersion() {
        try (InputStream in = StaticFiles.class.getResourceAsStream(CYTOSCAPE_POM)) {
            if (in == null) {
                throw new IllegalStateException("the jar lacks Cytoscape.js (" + CYTOSCAPE_POM + ")");
            }
            Properties properties = new Properties();
            properties.load(in);
            return properties.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void serve(HttpExchange exchange, String path) throws IOException {
        File file = files.get(path);
        if (file == null || !(exchange.getRequestMethod().equals("GET") || exchange.getRequestMethod().equals("HEAD"))) {
            byte[] text = "not found\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
            exchange.sendResponseHeaders(404, text.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(text);
            }
            return;
        }
        byte[] bytes;
        try (InputStream in = StaticFiles.class.getResourceAsStream(file.resource())) {
            if (in == null) {
                throw new IllegalStateException("the jar lacks " + file.resource());
            }
            bytes = in.readAllBytes();
        }
        exchange.getResponseHeaders().set("Content-Type", file.type());
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(200, head ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            if (!head) {
                out.write(bytes);
            }
        }
    }
}
