package org.thespian.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Runs a load command that prints the load tool's JSON, samples the CPU of the servers, the command and the
 * machine from /proc every 100 ms meanwhile, and prints the command's figures with the CPU used during its
 * measured window (so its warm-up does not count). See {@link Bench}.
 */
final class Measure {

    private static final long SAMPLE_MS = 100;

    private record Sample(Instant at, CpuSnapshot cpu) {
    }

    private Measure() {
    }

    static void run(String[] args) throws Exception {
        int dashes = Arrays.asList(args).indexOf("--");
        if (dashes < 0 || dashes == args.length - 1) {
            throw new IllegalArgumentException("usage: measure [--server-pids p,q] [--helper-pids h] -- COMMAND...");
        }
        Bench.Options options = Bench.Options.parse(Arrays.copyOfRange(args, 0, dashes));
        Processes servers = Processes.of(options.text("server-pids", ""));
        Processes helpers = Processes.of(options.text("helper-pids", ""));
        Process child = new ProcessBuilder(Arrays.copyOfRange(args, dashes + 1, args.length))
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        List<String> output = new CopyOnWriteArrayList<>();
        Thread reader = new Thread(() -> new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8)).lines().forEach(output::add));
        reader.start();
        Processes client = new Processes(List.of(child.pid()));
        List<Sample> samples = new ArrayList<>();
        try {
            while (child.isAlive()) {
                samples.add(new Sample(Instant.now(), CpuSnapshot.take(servers, client, helpers)));
                Thread.sleep(SAMPLE_MS);
            }
        } catch (UncheckedIOException exited) {
            // the command ended between isAlive() and reading its /proc files
        }
        int exit = child.waitFor();
        reader.join();
        if (exit != 0 || output.isEmpty() || samples.isEmpty()) {
            throw new IllegalStateException("the command exited with " + exit + ", printing " + output);
        }
        JsonNode report = new ObjectMapper().readTree(output.get(output.size() - 1));
        Instant from = Instant.parse(report.get("measured_from").asText());
        Instant to = from.plusNanos(Math.round(report.get("elapsed_s").asDouble() * 1e9));
        Sample before = samples.stream().filter(sample -> !sample.at().isAfter(from)).reduce((a, b) -> b)
                .orElse(samples.get(0));
        Sample after = samples.stream().filter(sample -> !sample.at().isBefore(to)).findFirst()
                .orElse(samples.get(samples.size() - 1));
        CpuSnapshot used = after.cpu().since(before.cpu());
        long calls = report.get("calls").asLong();

        Map<String, String> figures = new HashMap<>();
        figures.put("rps", Long.toString(Math.round(report.get("throughput_per_s").asDouble())));
        figures.put("ok", report.get("ok").asText());
        figures.put("errors", report.get("errors").asText());
        figures.put("calls_with_warmup", Long.toString(calls + report.path("warmup_calls").asLong()));
        JsonNode latency = report.path("latency_ms");
        for (String name : List.of("p50", "p90", "p99", "p99.9", "max")) {
            figures.put(name + "_ms", latency.path(name).isNumber()
                    ? String.format(Locale.ROOT, "%.2f", latency.get(name).asDouble())
                    : "-");
        }
        figures.put("warmup_s", report.has("warmup_s") ? Long.toString(Math.round(report.get("warmup_s").asDouble()))
                : "-");
        figures.put("server_cpu_us", Bench.perRequestMicros(used.serverTotal(), calls));
        figures.put("server_cpu_us_each", String.join("/",
                Arrays.stream(used.servers()).mapToObj(cpu -> Bench.perRequestMicros(cpu, calls)).toList()));
        figures.put("client_cpu_us", Bench.perRequestMicros(used.client(), calls));
        figures.put("server_threads_ms", used.serverThreadsMillis());
        figures.put("foreign_cores", used.foreignCores(Duration.between(before.at(), after.at()).toNanos()));
        Bench.result(figures);
    }
}
