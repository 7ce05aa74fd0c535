package org.thespian.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Linux figures of processes, from /proc; no pids gives zeros. */
record Processes(List<Long> pids) {
    // USER_HZ, the unit of utime/stime in /proc/PID/stat, is 100 on every Linux ABI the JDK runs on.
    private static final long NANOS_PER_TICK = 10_000_000L;
    static final Processes NONE = new Processes(List.of());
    static final Processes SELF = new Processes(List.of(ProcessHandle.current().pid()));

    static Processes of(String commaSeparated) {
        return new Processes(Arrays.stream(commaSeparated.split(","))
                .filter(pid -> !pid.isBlank())
                .map(Long::parseLong)
                .toList());
    }

    long cpuNanos() {
        return Arrays.stream(cpuNanosEach()).sum();
    }

    long[] cpuNanosEach() {
        return pids.stream().mapToLong(Processes::cpuNanos).toArray();
    }

    /** Time all CPUs spent busy (not idle, not waiting for I/O), from the first line of /proc/stat. */
    static long machineBusyNanos() {
        String[] ticks = read("stat").lines().findFirst().orElseThrow().trim().split("\\s+");
        long busy = 0;
        for (int field : new int[] {1, 2, 3, 6, 7, 8}) { // user nice system irq softirq steal
            busy += Long.parseLong(ticks[field]);
        }
        return busy * NANOS_PER_TICK;
    }

    long threads() {
        return pids.stream().mapToLong(pid -> statusField(pid, "Threads:")).sum();
    }

    long rssKb() {
        return pids.stream().mapToLong(pid -> statusField(pid, "VmRSS:")).sum();
    }

    /**
     * CPU time by kind of thread, told by the names (cut to 15 characters in /proc): the transport's event
     * loops, Thespian's timer, telemetry export, the JIT compilers, GC, and the rest (JVM, main, ...).
     */
    Map<String, Long> cpuNanosByThreadKind() {
        Map<String, Long> byKind = new TreeMap<>();
        for (long pid : pids) {
            try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
                tasks.forEach(task -> {
                    String base = pid + "/task/" + task.getFileName();
                    try {
                        byKind.merge(threadKind(read(base + "/comm").strip()), cpuNanos(base), Long::sum);
                    } catch (UncheckedIOException ended) {
                        // the thread ended while we looked
                    }
                });
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return byKind;
    }

    private static String threadKind(String name) {
        if (name.startsWith("grpc-default-wo") || name.startsWith("thespian-transp")) {
            return "transport";
        }
        if (name.equals("thespian-timer")) {
            return "timer";
        }
        if (name.startsWith("BatchSpanProc") || name.startsWith("PeriodicMetric") || name.startsWith("Okio")
                || name.toLowerCase(Locale.ROOT).startsWith("okhttp")) { // the OTLP exporters' HTTP/2 client
            return "export";
        }
        if (name.startsWith("C1 Compiler") || name.startsWith("C2 Compiler")) {
            return "jit";
        }
        if (name.startsWith("GC ") || name.startsWith("G1 ")) {
            return "gc";
        }
        return "other";
    }

    private static long cpuNanos(long pid) {
        return cpuNanos(Long.toString(pid));
    }

    /** utime + stime of a process (all its threads) or of one task, from its stat file. */
    private static long cpuNanos(String processOrTask) {
        String stat = read(processOrTask + "/stat");
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) * NANOS_PER_TICK;
    }

    private static long statusField(long pid, String name) {
        return read(pid + "/status").lines()
                .filter(line -> line.startsWith(name))
                .mapToLong(line -> Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]))
                .findFirst()
                .orElse(0);
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of("/proc", file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/" + file, e);
        }
    }
}
