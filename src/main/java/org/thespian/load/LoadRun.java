package org.thespian.load;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ConnectivityState;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.thespian.proto.Nothing;

/**
 * One run of the load tool: unary calls on channels whose callbacks run on the transport threads
 * ({@code directExecutor}), so that answering a call costs the client no thread hop. A closed loop starts the
 * next call from the callback of the last; an open loop starts calls on a schedule from one pacing thread and
 * measures each from the moment it was due, so a stalled server shows as latency rather than as calls that
 * were never sent (coordinated omission).
 */
public final class LoadRun {

    private static final Nothing NOTHING = Nothing.getDefaultInstance();
    // Without a timeout, how long calls still in flight at the end may take before they count as unfinished.
    private static final Duration DRAIN_WITHOUT_TIMEOUT = Duration.ofSeconds(10);
    // With one, longer than it, so that expired calls come back as DEADLINE_EXCEEDED first even on a busy
    // machine (the wait ends as soon as every call has).
    private static final Duration DRAIN_MARGIN = Duration.ofSeconds(5);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** How long a probe call may take to say why a channel did not connect. */
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
    // A closed-loop lane whose target went away waits before its next call, doubling up to the longest wait,
    // instead of failing calls as fast as the client can make them.
    private static final long FIRST_BACKOFF_MILLIS = 10;
    private static final long LONGEST_BACKOFF_MILLIS = 1_000;
    static final long LONGEST_LATENCY_NANOS = Duration.ofDays(8).toNanos();
    private static final long INTERVAL_CHECK_MILLIS = 20;

    private final LoadOptions options;
    private final MethodDescriptor<Nothing, Nothing> method;
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final Consumer<String> notices;
    private final AtomicBoolean targetAway = new AtomicBoolean();
    private static final long NOTICE_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
    private volatile long lastAwayNotice = Long.MIN_VALUE / 2;
    private long runStart; // written before the first call starts
    private final Metadata headers = new Metadata();
    // A fixed range keeps recording to one atomic increment (an auto-resizing recorder takes a lock-free
    // phaser per value too); nothing a run can measure lasts longer than a week and a bit.
    private final Recorder latencies = new Recorder(LONGEST_LATENCY_NANOS, 3);
    private final StatusCounts statuses = new StatusCounts();
    private final LongAdder sent = new LongAdder();
    private final LongAdder finished = new LongAdder();
    private final LongAdder warmupFinished = new LongAdder();
    private long notSent; // measured calls the open loop did not send; its pacing thread alone counts and reads it
    // A call that fails inside start() (e.g. the channel is refusing calls) must not start the next one there;
    // a lane backing off starts its next call from here too.
    private final ScheduledExecutorService resend = Executors.newSingleThreadScheduledExecutor(daemon("load-resend"));
    private volatile boolean closedLoopRunning = true;
    private long measureFrom = Long.MAX_VALUE; // written before the first call starts
    private Intervals intervals; // with --report-every only; written before the first call starts
    // For the intervals: closed-loop calls between reading the clock for their due time and registering
    // there, and the due time of the next open-loop call, so that no interval is reported too early.
    private final AtomicInteger closedLoopRegistering = new AtomicInteger();
    private volatile long openLoopUnsentFrom = Long.MIN_VALUE;

    private LoadRun(LoadOptions options, Consumer<String> notices) {
        this.options = options;
        this.notices = notices;
        this.method = options.method();
        options.headers().forEach(header -> headers.put(header.key(), header.value()));
        for (int i = 0; i < options.connections(); i++) {
            channels.add(Grpc.newChannelBuilderForAddress(options.host(), options.port(),
                    InsecureChannelCredentials.create()).directExecutor().build());
        }
    }

    /** The target refused the connection, did not resolve or did not connect in time: no run was made. */
    public static final class Unreachable extends Exception {
        Unreachable(String message) {
            super(message, null, false, false);
        }
    }

    /** Runs the load described by {@code options} and reports it; {@code progress} hears once a second. */
    public static LoadReport run(LoadOptions options, Progress.Listener progress)
            throws InterruptedException, Unreachable {
        return run(options, progress, IntervalReport.Listener.NONE, notice -> { });
    }

    /**
     * Runs the load and reports it; {@code progress} hears once a second, {@code intervals} each interval of
     * {@code --report-every} when it is settled, all before this returns; {@code notices} hears one line when
     * the target goes away during the run and one when it answers again.
     */
    public static LoadReport run(LoadOptions options, Progress.Listener progress, IntervalReport.Listener intervals,
            Consumer<String> notices) throws InterruptedException, Unreachable {
        LoadRun run = new LoadRun(options, notices);
        try {
            return run.execute(progress, intervals);
        } finally {
            run.close();
        }
    }

    private LoadReport execute(Progress.Listener listener, IntervalReport.Listener intervalListener)
            throws InterruptedException, Unreachable {
        connect();
        long start = System.nanoTime();
        runStart = start;
        Instant wallStart = Instant.now();
        measureFrom = start + options.warmup().toNanos();
        long end = measureFrom + options.duration().toNanos();
        Duration drain = options.timeout().map(DRAIN_MARGIN::plus).orElse(DRAIN_WITHOUT_TIMEOUT);
        Histogram total = new Histogram(3);
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(daemon("load-progress"));
        Progress progress = new Progress(listener, latencies, total, statuses, sent, finished, measureFrom);
        ticker.scheduleAtFixedRate(progress::tick, 1, 1, TimeUnit.SECONDS);
        ticker.scheduleWithFixedDelay(this::reconnectWhileAway, LONGEST_BACKOFF_MILLIS, LONGEST_BACKOFF_MILLIS,
                TimeUnit.MILLISECONDS);
        options.reportEvery().ifPresent(every -> {
            intervals = new Intervals(options, every, intervalListener, measureFrom, end,
                    wallStart.plus(options.warmup()), drain, this::allSentBefore);
            ticker.scheduleWithFixedDelay(intervals::reportSettled, INTERVAL_CHECK_MILLIS, INTERVAL_CHECK_MILLIS,
                    TimeUnit.MILLISECONDS);
        });

        if (options.pacing() instanceof LoadOptions.Pacing.Open open) {
            pace(open.perSecond(), start, end);
        } else {
            int concurrency = ((LoadOptions.Pacing.Closed) options.pacing()).concurrency();
            for (int lane = 0; lane < concurrency; lane++) {
                sent.increment();
                nextInClosedLoop(channels.get(lane % channels.size()), 0).start();
            }
            sleepUntil(end);
            closedLoopRunning = false;
        }
        long drainUntil = System.nanoTime() + drain.toNanos();
        while (finished.sum() < sent.sum() && System.nanoTime() < drainUntil) {
            Thread.sleep(1);
        }
        long elapsed = System.nanoTime() - measureFrom;
        ticker.shutdownNow();
        ticker.awaitTermination(5, TimeUnit.SECONDS);
        progress.collect();
        if (intervals != null) {
            intervals.reportTheRest();
        }
        // The snapshot alone decides what ended: a call that ends after it (a drain that ran out of time) counts
        // as unfinished, never as neither, so the calls and the unfinished always add up to the calls sent.
        Map<Status.Code, Long> measured = statuses.snapshot();
        long measuredCalls = measured.values().stream().mapToLong(Long::longValue).sum();
        long warmupCalls = warmupFinished.sum();
        return new LoadReport(options, wallStart.plus(options.warmup()), Duration.ofNanos(elapsed), measured,
                sent.sum() - warmupCalls - measuredCalls, notSent, warmupCalls, total);
    }

    /**
     * Opens the connections first, so that the first calls do not measure the handshake, and so that a target
     * that cannot be reached ends the tool with one line rather than with a report of failed calls.
     */
    private void connect() throws InterruptedException, Unreachable {
        CountDownLatch settled = new CountDownLatch(channels.size());
        for (ManagedChannel channel : channels) {
            awaitSettled(channel, channel.getState(true), settled);
        }
        settled.await(CONNECT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        for (ManagedChannel channel : channels) {
            if (channel.getState(false) != ConnectivityState.READY) {
                probe(channel);
            }
        }
    }

    /**
     * One call on a channel that is not ready: it fails at once with the connection's error if the target is
     * unreachable. Any answer from the target (whatever its status) means the run can go ahead.
     */
    private void probe(ManagedChannel channel) throws Unreachable {
        try {
            ClientCalls.blockingUnaryCall(channel, method, CallOptions.DEFAULT.withDeadlineAfter(
                    PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS), NOTHING);
        } catch (StatusRuntimeException failed) {
            Status status = failed.getStatus();
            if (status.getCode() == Status.Code.UNAVAILABLE) {
                throw new Unreachable("cannot reach " + options.target() + ": " + reason(status));
            }
            if (status.getCode() == Status.Code.DEADLINE_EXCEEDED) {
                throw new Unreachable("cannot reach " + options.target() + ": no connection within "
                        + CONNECT_TIMEOUT.plus(PROBE_TIMEOUT).toSeconds() + " s");
            }
        }
    }

    /**
     * Why a call failed to reach its target, in a few words: the connection's error ({@code Connection
     * refused}), an unknown host, or else the status's description.
     */
    static String reason(Status status) {
        Throwable root = status.getCause();
        while (root != null && root.getCause() != null) {
            root = root.getCause();
        }
        if (root instanceof ConnectException && root.getMessage() != null) {
            // netty's epoll transport says "finishConnect(..) failed with error(-111): Connection refused"
            String message = root.getMessage();
            return message.substring(message.lastIndexOf(": ") + 1).strip();
        }
        if (root instanceof UnknownHostException) {
            return "unknown host (" + root.getMessage() + ")";
        }
        return status.getDescription() == null ? status.getCode().toString() : status.getDescription();
    }

    private static void awaitSettled(ManagedChannel channel, ConnectivityState state, CountDownLatch settled) {
        if (state == ConnectivityState.READY || state == ConnectivityState.TRANSIENT_FAILURE) {
            settled.countDown();
        } else {
            channel.notifyWhenStateChanged(state, () -> awaitSettled(channel, channel.getState(false), settled));
        }
    }

    /**
     * Starts calls at {@code perSecond} from {@code start} until {@code end}, each due at its own instant. A call
     * due while {@code --max-in-flight} are unanswered is counted, not sent: a target slower than the rate must
     * not pile calls up in this process without bound.
     */
    private void pace(double perSecond, long start, long end) {
        double nanosBetweenCalls = 1e9 / perSecond;
        for (long count = 0; ; ) {
            long due = start + (long) (count * nanosBetweenCalls);
            if (due >= end) {
                return;
            }
            long early = due - System.nanoTime();
            if (early > 0) {
                LockSupport.parkNanos(early);
            } else {
                if (sent.sum() - finished.sum() < options.maxInFlight()) {
                    sent.increment();
                    new Call(channel(count), due, register(due), 0).start();
                } else if (due >= measureFrom) {
                    notSent++;
                    if (intervals != null) {
                        intervals.notSent(due);
                    }
                }
                count++;
                openLoopUnsentFrom = start + (long) (count * nanosBetweenCalls);
            }
        }
    }

    private ManagedChannel channel(long count) {
        return channels.get((int) (count % channels.size()));
    }

    private Intervals.Interval register(long due) {
        return intervals == null ? null : intervals.register(due);
    }

    /** A closed-loop call, due now, after its lane waited {@code backoffMillis} (0 when it did not). */
    private Call nextInClosedLoop(ManagedChannel channel, long backoffMillis) {
        if (intervals == null) {
            return new Call(channel, System.nanoTime(), null, backoffMillis);
        }
        closedLoopRegistering.incrementAndGet(); // before reading the clock: see allSentBefore
        long due = System.nanoTime();
        Call call = new Call(channel, due, intervals.register(due), backoffMillis);
        closedLoopRegistering.decrementAndGet();
        return call;
    }

    /**
     * Given {@code now}, read before this is called, an instant before which every call due has been
     * registered in its interval. Open loop: the next call's due time. Closed loop: {@code now} when no call is
     * between reading the clock and registering (one that reads the clock later is due at {@code now} or
     * after), else nothing yet.
     */
    private long allSentBefore(long now) {
        if (options.pacing() instanceof LoadOptions.Pacing.Open) {
            return openLoopUnsentFrom;
        }
        return closedLoopRegistering.get() == 0 ? now : Long.MIN_VALUE;
    }

    private CallOptions callOptions() {
        return options.timeout()
                .map(timeout -> CallOptions.DEFAULT.withDeadlineAfter(timeout.toNanos(), TimeUnit.NANOSECONDS))
                .orElse(CallOptions.DEFAULT);
    }

    /** One unary call, measured from {@code due}: when it was sent (closed loop) or meant to be (open loop). */
    private final class Call extends ClientCall.Listener<Nothing> {
        private final ManagedChannel channel;
        private final long due;
        private final Intervals.Interval interval; // null in a warm-up or without --report-every
        private final long backoffMillis;
        private volatile boolean started;
        private long startedNanos;

        Call(ManagedChannel channel, long due, Intervals.Interval interval, long backoffMillis) {
            this.channel = channel;
            this.due = due;
            this.interval = interval;
            this.backoffMillis = backoffMillis;
        }

        void start() {
            startedNanos = System.nanoTime();
            ClientCall<Nothing, Nothing> call = channel.newCall(method, callOptions());
            Metadata callHeaders = new Metadata(); // the transport adds to it, so each call needs its own
            callHeaders.merge(headers);
            call.start(this, callHeaders);
            call.request(1);
            call.sendMessage(NOTHING);
            call.halfClose();
            started = true;
        }

        @Override
        public void onClose(Status status, Metadata trailers) {
            long now = System.nanoTime();
            if (due >= measureFrom) {
                long latency = Math.min(Math.max(0, now - due), LONGEST_LATENCY_NANOS);
                latencies.recordValue(latency);
                statuses.add(status.getCode());
                if (interval != null) {
                    interval.finished(status.getCode(), latency);
                }
            } else {
                warmupFinished.increment();
            }
            // Not connected: the call never reached the target (an answer of its own comes on a ready channel).
            boolean away = status.getCode() == Status.Code.UNAVAILABLE
                    && channel.getState(false) != ConnectivityState.READY;
            if (away || answered(status)) { // a missed deadline says nothing about whether the target is back
                noticeTarget(away, status, startedNanos, now);
            }
            // The next call counts as sent before this one as finished, so "all sent have finished" is never
            // seen between the two.
            boolean next = closedLoopRunning && options.pacing() instanceof LoadOptions.Pacing.Closed;
            if (next) {
                sent.increment();
            }
            finished.increment();
            if (next && away) {
                long wait = Math.min(Math.max(2 * backoffMillis, FIRST_BACKOFF_MILLIS), LONGEST_BACKOFF_MILLIS);
                resend.schedule(() -> resumeClosedLoop(channel, wait), wait, TimeUnit.MILLISECONDS);
            } else if (next) {
                Call call = nextInClosedLoop(channel, 0);
                if (started) {
                    call.start();
                } else {
                    resend.execute(call::start);
                }
            }
        }
    }

    /** A lane's next call after its wait; none if the run ended meanwhile (it was counted as sent: uncount it). */
    private void resumeClosedLoop(ManagedChannel channel, long backoffMillis) {
        if (closedLoopRunning) {
            nextInClosedLoop(channel, backoffMillis).start();
        } else {
            sent.decrement();
        }
    }

    /**
     * grpc waits longer and longer between attempts to reconnect, up to two minutes; a run must see within a
     * second that its target is back.
     */
    private void reconnectWhileAway() {
        if (targetAway.get()) {
            channels.forEach(ManagedChannel::resetConnectBackoff);
        }
    }

    /** Whether the target itself answered the call (OK or a status of its own), rather than the way to it. */
    private static boolean answered(Status status) {
        return switch (status.getCode()) {
            case UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED -> false;
            default -> true;
        };
    }

    /**
     * One line when the target goes away during the run, and one when it answers again; an overloaded target that
     * drops connection after connection gets at most one pair of lines a second. Only a call sent after the target
     * was seen away can say it is back: one sent before may still be answered while the target goes.
     */
    private void noticeTarget(boolean away, Status status, long sentNanos, long now) {
        if (away == targetAway.get() || !away && sentNanos - lastAwayNotice < 0) {
            return;
        }
        if (away && now - lastAwayNotice < NOTICE_INTERVAL_NANOS) {
            return; // it went away again within a second of the last notice: say nothing until it settles
        }
        if (!targetAway.compareAndSet(!away, away)) {
            return;
        }
        if (away) {
            lastAwayNotice = now;
        }
        String when = String.format(Locale.ROOT, "%.1f s into the run", (now - runStart) / 1e9);
        if (away) {
            notices.accept("thespian load: " + options.target() + " went away " + when + " (" + reason(status) + "): "
                    + (options.pacing() instanceof LoadOptions.Pacing.Closed
                            ? "each of the loop's calls waits, up to " + LONGEST_BACKOFF_MILLIS / 1000
                                    + " s, before the next, until it answers again"
                            : "the calls due meanwhile fail with UNAVAILABLE"));
        } else {
            notices.accept("thespian load: " + options.target() + " answers again " + when);
        }
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        for (long left = nanoTime - System.nanoTime(); left > 0; left = nanoTime - System.nanoTime()) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }

    private void close() throws InterruptedException {
        closedLoopRunning = false;
        resend.shutdownNow();
        for (ManagedChannel channel : channels) {
            channel.shutdownNow();
        }
        for (ManagedChannel channel : channels) {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    static ThreadFactory daemon(String name) {
        return runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        };
    }
}
