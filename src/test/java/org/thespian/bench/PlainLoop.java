package org.thespian.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The yardstick for the load tool: a closed loop as anyone would write it with grpc-java, nothing measured
 * but completions counted in a window. Prints the keys of the load tool's JSON that it has.
 */
final class PlainLoop {

    private final Channel channel;
    private final LongAdder ok = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final ScheduledExecutorService retry = Executors.newSingleThreadScheduledExecutor();
    private volatile boolean running = true;

    private PlainLoop(Channel channel) {
        this.channel = channel;
    }

    static void run(Bench.Options options) throws Exception {
        ManagedChannel channel = Bench.channel(options.integer("port", -1));
        PlainLoop loop = new PlainLoop(channel);
        for (int i = options.integer("concurrency", 64); i > 0; i--) {
            loop.fire();
        }
        int warmupS = options.integer("warmup-s", 20);
        TimeUnit.SECONDS.sleep(warmupS);
        long okBefore = loop.ok.sum();
        long failedBefore = loop.failed.sum();
        Instant from = Instant.now();
        long start = System.nanoTime();
        TimeUnit.SECONDS.sleep(options.integer("duration-s", 10));
        long ok = loop.ok.sum() - okBefore;
        long failed = loop.failed.sum() - failedBefore;
        double elapsed = (System.nanoTime() - start) / 1e9;
        loop.running = false;
        loop.retry.shutdownNow();
        Bench.shutdown(channel);

        ObjectNode json = new ObjectMapper().createObjectNode();
        json.put("measured_from", from.toString());
        json.put("warmup_s", warmupS);
        json.put("elapsed_s", elapsed);
        json.put("calls", ok + failed);
        json.put("ok", ok);
        json.put("errors", failed);
        json.put("throughput_per_s", Math.round((ok + failed) / elapsed));
        System.out.println(json);
    }

    private void fire() {
        Bench.call(channel, status -> {
            if (status.isOk()) {
                ok.increment();
            } else {
                failed.increment();
            }
            if (!running) {
                return;
            }
            if (status.isOk()) {
                fire();
            } else { // may have failed inside fire(): do not recurse
                retry.schedule(this::fire, 1, TimeUnit.MILLISECONDS);
            }
        });
    }
}
