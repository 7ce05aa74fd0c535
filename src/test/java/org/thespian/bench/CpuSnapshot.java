package org.thespian.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.TreeMap;

/**
 * CPU time used so far (nanoseconds) by each server, by the servers' threads grouped by what they do, by the
 * client, by helper processes and by the whole machine.
 */
record CpuSnapshot(long[] servers, Map<String, Long> serverThreads, long client, long helpers,
        long machine) {
    static CpuSnapshot take(Processes servers, Processes client, Processes helpers) {
        return new CpuSnapshot(servers.cpuNanosEach(), servers.cpuNanosByThreadKind(), client.cpuNanos(),
                helpers.cpuNanos(), Processes.machineBusyNanos());
    }

    CpuSnapshot since(CpuSnapshot earlier) {
        long[] each = servers.clone();
        for (int i = 0; i < each.length; i++) {
            each[i] -= earlier.servers[i];
        }
        Map<String, Long> threads = new TreeMap<>(serverThreads);
        earlier.serverThreads.forEach((kind, nanos) -> threads.merge(kind, -nanos, Long::sum));
        return new CpuSnapshot(each, threads, client - earlier.client, helpers - earlier.helpers,
                machine - earlier.machine);
    }

    long serverTotal() {
        return Arrays.stream(servers).sum();
    }

    /** What the machine spent on anything but this benchmark, in cores: the noise on a measurement. */
    String foreignCores(long elapsedNanos) {
        return String.format(Locale.ROOT, "%.2f",
                (machine - serverTotal() - client - helpers) / (double) elapsedNanos);
    }

    /** e.g. {@code jit:680,timer:70,transport:130} in ms, the kinds that used any. */
    String serverThreadsMillis() {
        StringJoiner joined = new StringJoiner(",");
        serverThreads.forEach((kind, nanos) -> {
            if (nanos > 0) {
                joined.add(kind + ":" + nanos / 1_000_000);
            }
        });
        return joined.length() == 0 ? "-" : joined.toString();
    }
}
