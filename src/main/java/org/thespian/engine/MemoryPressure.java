package org.thespian.engine;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where one member's Memory actions take real heap: every hold is allocated and written page by page, so the
 * process's resident memory really grows, and is accounted against the process's cap (and the member's own, if
 * lower) so that a config can never drive the server into an OutOfMemoryError. Held memory stays reachable until
 * released, so a hold that is never released (a leak) keeps its memory even if the caller drops the release handle.
 */
public final class MemoryPressure {

    public static final long BYTES_PER_MEGABYTE = 1024 * 1024;

    /** Small enough to be allocated from a fragmented heap; large enough that a big hold is few objects. */
    private static final int CHUNK_BYTES = 256 * 1024;
    /** Writing one byte per page makes the operating system back the whole page. */
    private static final int PAGE_BYTES = 4096;

    /** Why a hold took nothing, in one line that says what is held. */
    public static final class Refused extends Exception {
        Refused(String message) {
            super(message, null, false, false);
        }
    }

    /** The process's: its cap, the heap's state, and what keeps every member's unreleased holds reachable. */
    static final class Pool {
        private final Quota held;
        private final HeapGauge heap;
        private final Set<Object> holds = ConcurrentHashMap.newKeySet();
        private final AtomicInteger members = new AtomicInteger();

        Pool(long capBytes, HeapGauge heap) {
            if (capBytes < 0) {
                throw new IllegalArgumentException("the memory cap cannot be negative: " + capBytes + " bytes");
            }
            this.held = new Quota(capBytes);
            this.heap = heap;
        }

        long heldBytes() {
            return held.used();
        }
    }

    private final Pool pool;
    /** This member's own cap, when lower than the process's. */
    private final Quota own;

    MemoryPressure(Pool pool, long ownCapBytes) {
        this.pool = pool;
        this.own = new Quota(Math.min(ownCapBytes, pool.held.max()));
        pool.members.incrementAndGet();
    }

    /** The only member of a process of its own, with a cap of {@code capBytes} and no watcher of the heap. */
    public MemoryPressure(long capBytes) {
        this(new Pool(capBytes, HeapGauge.UNWATCHED), capBytes);
    }

    /** This member's cap: the process's, or its own if lower. */
    public long capBytes() {
        return own.max();
    }

    /** Bytes held now by this member's holds not yet released. */
    public long heldBytes() {
        return own.used();
    }

    /**
     * Allocates and touches {@code megabytes} MiB of heap, and returns what releases it (running it again does
     * nothing).
     *
     * @throws Refused with nothing held, when the hold would pass a cap, the heap is nearly full or cannot supply it
     */
    public Runnable hold(int megabytes) throws Refused {
        if (megabytes < 0) {
            throw new IllegalArgumentException("cannot hold a negative amount: " + megabytes + " MiB");
        }
        long bytes = megabytes * BYTES_PER_MEGABYTE;
        Optional<String> nearlyFull = pool.heap.nearlyFull();
        if (nearlyFull.isPresent()) {
            throw new Refused("the heap is too full to hold " + megabytes + " MB more: " + nearlyFull.get() + "; "
                    + held() + " (THESPIAN_MEMORY_CAP_MB)");
        }
        reserve(megabytes);
        Object chunks;
        try {
            chunks = new Object[] {allocate(bytes)};
        } catch (OutOfMemoryError heapExhausted) {
            // The partial allocation is unreachable by now; only the accounting is left to undo.
            giveBack(bytes);
            throw new Refused("the heap could not supply " + megabytes + " MB more, though the memory cap allows it: "
                    + held() + " (THESPIAN_MEMORY_CAP_MB), the rest of the " + Runtime.getRuntime().maxMemory() / BYTES_PER_MEGABYTE
                    + " MB heap is in other use");
        }
        pool.holds.add(chunks);
        AtomicBoolean released = new AtomicBoolean();
        return () -> {
            if (released.compareAndSet(false, true)) {
                pool.holds.remove(chunks);
                giveBack(bytes);
            }
        };
    }

    /** The process's cap first, so this member's held bytes never exceed the process's. */
    private void reserve(int megabytes) throws Refused {
        long bytes = megabytes * BYTES_PER_MEGABYTE;
        if (!pool.held.take(bytes)) {
            throw new Refused("holding " + megabytes + " MB more would pass the memory cap: " + held()
                    + " (THESPIAN_MEMORY_CAP_MB)");
        }
        if (!own.take(bytes)) {
            pool.held.giveBack(bytes);
            throw new Refused("holding " + megabytes + " MB more would pass this member's memory cap: "
                    + megabytes(own.used()) + " of " + megabytes(own.max()) + " MB held by it (its own"
                    + " THESPIAN_MEMORY_CAP_MB), " + megabytes(pool.held.used()) + " of " + megabytes(pool.held.max())
                    + " MB by " + holders());
        }
    }

    private void giveBack(long bytes) {
        own.giveBack(bytes);
        pool.held.giveBack(bytes);
    }

    /** What is held now against the process's cap, and by whom. */
    private String held() {
        String held = megabytes(pool.held.used()) + " of " + megabytes(pool.held.max()) + " MB held by " + holders();
        return pool.members.get() == 1 ? held : held + ", " + megabytes(own.used()) + " of them by this one";
    }

    private String holders() {
        int members = pool.members.get();
        return members == 1 ? "this process" : "this process's " + members + " members";
    }

    private static long megabytes(long bytes) {
        return bytes / BYTES_PER_MEGABYTE;
    }

    private static List<byte[]> allocate(long bytes) {
        List<byte[]> chunks = new ArrayList<>();
        for (long left = bytes; left > 0; left -= CHUNK_BYTES) {
            byte[] chunk = new byte[(int) Math.min(CHUNK_BYTES, left)];
            for (int page = 0; page < chunk.length; page += PAGE_BYTES) {
                chunk[page] = 1;
            }
            chunks.add(chunk);
        }
        return chunks;
    }
}
