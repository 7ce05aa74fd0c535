package org.thespian.testsupport;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/** {@code buf curl} (Go, from npm @bufbuild/buf): a gRPC client that shares no code with Thespian. */
public final class BufCurl {

    private BufCurl() {
    }

    public record Result(int exitCode, String stdout, String stderr) {
    }

    public static Result run(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(executable(), "curl", "--protocol", "grpc",
                "--http2-prior-knowledge"));
        command.addAll(List.of(args));
        Path out = Files.createTempFile("buf", ".out");
        Path err = Files.createTempFile("buf", ".err");
        try {
            Process process = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("buf curl hung: " + command);
            }
            return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** CI installs buf (npm @bufbuild/buf) and requires it; elsewhere these tests skip with a hint. */
    public static String executable() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, "buf");
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        String hint = "buf is not on PATH: npm install -g @bufbuild/buf";
        if (System.getenv("CI") != null) {
            throw new AssertionError(hint);
        }
        Assumptions.abort(hint);
        return null;
    }
}
