package org.thespian.config;

/**
 * A top-level {@code "resources"} entry: at most {@code maxConcurrent} functions that name it run at once,
 * up to {@code queue} more wait for a permit, and the rest fail with RESOURCE_EXHAUSTED.
 */
public record Resource(String name, int maxConcurrent, int queue) {
}
