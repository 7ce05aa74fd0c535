package org.thespian.engine;

import java.util.Optional;

/** How full the heap is, as the process's one watcher of garbage collections last saw it. */
public interface HeapGauge {

    /** How full the heap is, when too full to take more now; empty while it can. */
    Optional<String> nearlyFull();

    /** For an engine without a watcher: the heap always has room, as far as it knows. */
    HeapGauge UNWATCHED = Optional::empty;
}
