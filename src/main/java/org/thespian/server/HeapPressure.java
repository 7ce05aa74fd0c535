package org.thespian.server;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.management.ListenerNotFoundException;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;
import org.thespian.engine.HeapGauge;

/**
 * How full the heap is after each garbage collection. Above {@link #NEARLY_FULL} new calls are refused, so
 * the calls already running can finish instead of all of them failing together when the heap runs out. When
 * several full collections in a row cannot get below {@link #EXHAUSTED}, the JVM would only thrash until an
 * OutOfMemoryError that may land anywhere: it exits instead, through {@link OutOfMemoryExit}; so it does when
 * collecting takes most of its time for seconds on end. One per process ({@link ProcessResources}), whatever number of
 * servers it runs: they share one heap.
 */
final class HeapPressure implements HeapGauge, AutoCloseable {

    static final double NEARLY_FULL = 0.85;
    static final double EXHAUSTED = 0.97;
    private static final int EXHAUSTED_FULL_COLLECTIONS = 3;
    private static final long FRESH_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long THRASH_WINDOW_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final double THRASHING = 0.7;

    private final long maxHeapBytes = Runtime.getRuntime().maxMemory();
    private final Set<String> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(pool -> pool.getType() == MemoryType.HEAP).map(MemoryPoolMXBean::getName)
            .collect(Collectors.toUnmodifiableSet());
    private final List<NotificationEmitter> collectors;
    private final NotificationListener listener = this::collected;
    private volatile double usedAfterCollection;
    private volatile long collectedAtNanos;
    private long windowStartNanos;
    private long windowStartCollectingMillis;
    private int exhaustedFullCollections;

    private HeapPressure(List<NotificationEmitter> collectors) {
        this.collectors = collectors;
    }

    /** Starts following every collector of this JVM, until closed. */
    static HeapPressure watch() {
        List<NotificationEmitter> collectors = ManagementFactory.getGarbageCollectorMXBeans().stream()
                .filter(NotificationEmitter.class::isInstance).map(NotificationEmitter.class::cast).toList();
        HeapPressure pressure = new HeapPressure(collectors);
        collectors.forEach(collector -> collector.addNotificationListener(pressure.listener, null, null));
        return pressure;
    }

    /**
     * True while the last collection, within {@link #FRESH_NANOS}, left the heap over {@link #NEARLY_FULL}.
     * Older news does not count: an idle JVM collects nothing, and refusing every call on the word of a
     * collection long past would keep the heap unmeasured and the server refusing for ever.
     */
    boolean isNearlyFull() {
        return usedAfterCollection > NEARLY_FULL && System.nanoTime() - collectedAtNanos < FRESH_NANOS;
    }

    @Override
    public Optional<String> nearlyFull() {
        return isNearlyFull() ? Optional.of(describe()) : Optional.empty();
    }

    String describe() {
        return Math.round(usedAfterCollection * 100) + "% of " + (maxHeapBytes >> 20)
                + " MB in use after the last garbage collection, the limit is " + Math.round(NEARLY_FULL * 100) + "%";
    }

    private void collected(Notification notification, Object handback) {
        if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
            return;
        }
        GarbageCollectionNotificationInfo info =
                GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
        long used = 0;
        for (Map.Entry<String, MemoryUsage> pool : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
            if (heapPools.contains(pool.getKey())) {
                used += pool.getValue().getUsed();
            }
        }
        collectedAtNanos = System.nanoTime();
        usedAfterCollection = (double) used / maxHeapBytes;
        exitIfThrashing();
        if (info.getGcAction().contains("major")) {
            exhaustedFullCollections = usedAfterCollection > EXHAUSTED ? exhaustedFullCollections + 1 : 0;
            if (exhaustedFullCollections >= EXHAUSTED_FULL_COLLECTIONS) {
                OutOfMemoryExit.exit("the heap stayed over " + Math.round(EXHAUSTED * 100) + "% full after "
                        + EXHAUSTED_FULL_COLLECTIONS + " full garbage collections");
            }
        }
    }

    /**
     * Over each window of {@link #THRASH_WINDOW_NANOS}: if collecting took most of the time and the heap is
     * still nearly full, the JVM is past saving (it answers nothing, health checks included) and exits.
     */
    private void exitIfThrashing() {
        long now = System.nanoTime();
        long collectingMillis = collectingMillis();
        if (windowStartNanos == 0) {
            windowStartNanos = now;
            windowStartCollectingMillis = collectingMillis;
            return;
        }
        long windowNanos = now - windowStartNanos;
        if (windowNanos < THRASH_WINDOW_NANOS) {
            return;
        }
        double collectingShare = (collectingMillis - windowStartCollectingMillis) * 1e6 / windowNanos;
        windowStartNanos = now;
        windowStartCollectingMillis = collectingMillis;
        if (collectingShare > THRASHING && usedAfterCollection > NEARLY_FULL) {
            OutOfMemoryExit.exit("the heap is exhausted: garbage collection took " + Math.round(collectingShare * 100)
                    + "% of the last " + TimeUnit.NANOSECONDS.toSeconds(windowNanos) + " s and left it "
                    + Math.round(usedAfterCollection * 100) + "% full");
        }
    }

    private static long collectingMillis() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream()
                .mapToLong(GarbageCollectorMXBean::getCollectionTime).filter(time -> time > 0).sum();
    }

    @Override
    public void close() {
        for (NotificationEmitter collector : collectors) {
            try {
                collector.removeNotificationListener(listener);
            } catch (ListenerNotFoundException ignored) {
                // never added
            }
        }
    }
}
