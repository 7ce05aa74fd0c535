package org.thespian.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.thespian.config.ConfigException;
import org.thespian.config.ConfigParser;

/** The startup line names every construct a method uses, so a glance tells which part an instance plays. */
class ConfigSummaryTest {

    @Test
    void summarisesEveryNewConstruct() throws ConfigException {
        String summary = ConfigSummary.of(ConfigParser.parse("""
                {"resources": {"db": {"max_concurrent": 4}},
                 "grpc_method_a": {"tracing_name": "checkout", "resource": "db", "operations": [
                   {"Action": {"Sleep": {"tracing_name": "s", "latency": {"uniform": {"min_ms": 10, "max_ms": 30}},
                       "failure_chance": 0.1, "failure_codes": {"UNAVAILABLE": 1}}}},
                   {"Action": {"Cpu": {"tracing_name": "c", "duration_ms": 5}}},
                   {"Action": {"Memory": {"tracing_name": "m", "megabytes": 1, "hold_ms": "forever"}}},
                   {"Action": {"CallService": {"service_address": "pay", "service_port": 7000, "grpc_method": "B",
                       "timeout_ms": 100, "retries": {"max_attempts": 3}, "wait": false}}}]}}"""));
        assertEquals("A: \"checkout\" (5 actions, 25 ms of sleeps and CPU on the longest path at the median,"
                + " calls http://pay:7000/B without waiting up to 3 times within 100 ms, uses resource db,"
                + " fails [UNAVAILABLE], burns CPU, leaks memory); B: answers OK at once; C: answers OK at once",
                summary);
    }

    @Test
    void namesHedgesBreakersAndRateLimits() throws ConfigException {
        String summary = ConfigSummary.of(ConfigParser.parse("""
                {"grpc_method_a": {"tracing_name": "api", "rate_limit": {"per_second": 100, "burst": 20}, "operations": [
                   {"Action": {"CallService": {"service_address": "pay", "service_port": 7000, "grpc_method": "B",
                       "hedge": {"delay_ms": 20, "max_attempts": 3}, "circuit_breaker": {}}}}]}}"""));
        assertEquals("A: \"api\" (2 actions, 0 ms of sleeps and CPU on the longest path, calls http://pay:7000/B"
                + " hedged every 20 ms up to 3 times behind a circuit breaker, rate-limited to 100 calls a second,"
                + " burst 20); B: answers OK at once; C: answers OK at once", summary);
    }
}
