package org.thespian.config;

import java.math.BigDecimal;

/**
 * How long a Sleep (or Cpu) action takes: a fixed time or a distribution. One uniform roll in [0,1) gives one
 * draw through {@link #quantileMs(double)}, the inverse CDF, so seeded dice reproduce every draw.
 *
 * <p>The constructors check their parameters and throw {@link IllegalArgumentException} with a message written for
 * the person who wrote the config; {@link LatencyParser} reports it at the distribution's JSON path.
 */
public sealed interface Latency
        permits Latency.Fixed, Latency.Uniform, Latency.Normal, Latency.Exponential, Latency.LogNormal,
        Latency.Percentiles {

    /**
     * The largest parameter of a distribution and its largest draw, about 31 years: far tails stay finite, and a
     * draw in nanoseconds fits a {@code long}.
     */
    double MAX_MS = 1e12;

    /**
     * The draw for the roll {@code u} in [0,1): the duration in milliseconds that a fraction {@code u} of draws
     * stay below. From 0 to {@link #MAX_MS} for every distribution (a {@link Fixed} is its own duration).
     */
    double quantileMs(double u);

    /** The distribution in a few words, for the startup summary, e.g. {@code lognormal median 50 ms, p99 400 ms}. */
    String describe();

    /** Always the same time: {@code duration_ms}. */
    record Fixed(long ms) implements Latency {
        public Fixed {
            if (ms < 0) {
                throw new IllegalArgumentException("duration_ms must be at least 0, got " + ms);
            }
        }

        @Override
        public double quantileMs(double u) {
            return ms;
        }

        @Override
        public String describe() {
            return ms + " ms";
        }
    }

    /** Any time from {@code minMs} to {@code maxMs}, all equally likely. */
    record Uniform(double minMs, double maxMs) implements Latency {
        public Uniform {
            requireAtLeastZero("min_ms", minMs);
            requireOrdered("min_ms", minMs, "max_ms", maxMs);
        }

        @Override
        public double quantileMs(double u) {
            return minMs + u * (maxMs - minMs);
        }

        @Override
        public String describe() {
            return "uniform " + number(minMs) + " to " + number(maxMs) + " ms";
        }
    }

    /**
     * The bell curve around {@code meanMs}, truncated at 0: a draw that would be negative takes 0 ms, so every
     * percentile above that point is exactly the normal distribution's.
     */
    record Normal(double meanMs, double stddevMs) implements Latency {
        public Normal {
            requireAtLeastZero("mean_ms", meanMs);
            requirePositive("stddev_ms", stddevMs);
        }

        @Override
        public double quantileMs(double u) {
            return capped(Math.max(0, meanMs + stddevMs * StandardNormal.quantile(u)));
        }

        @Override
        public String describe() {
            return "normal mean " + number(meanMs) + " ms, stddev " + number(stddevMs) + " ms";
        }
    }

    /** Memoryless waiting, as for arrivals: many short draws and a long tail; p50 ≈ 0.69 × mean, p99 ≈ 4.6 × mean. */
    record Exponential(double meanMs) implements Latency {
        public Exponential {
            requirePositive("mean_ms", meanMs);
        }

        @Override
        public double quantileMs(double u) {
            return capped(-meanMs * Math.log1p(-u));
        }

        @Override
        public String describe() {
            return "exponential mean " + number(meanMs) + " ms";
        }
    }

    /**
     * The long tail real services show, given by its median and p99: the logarithm of the draw is normal with
     * mean ln(median) and the sigma that puts the 99th percentile at {@code p99Ms}.
     */
    record LogNormal(double medianMs, double p99Ms) implements Latency {
        public LogNormal {
            requirePositive("median_ms", medianMs);
            if (!(medianMs < p99Ms)) {
                throw new IllegalArgumentException("median_ms (" + number(medianMs)
                        + ") must be less than p99_ms (" + number(p99Ms) + ")");
            }
        }

        @Override
        public double quantileMs(double u) {
            double sigma = (Math.log(p99Ms) - Math.log(medianMs)) / StandardNormal.Z_99;
            return capped(medianMs * Math.exp(sigma * StandardNormal.quantile(u)));
        }

        @Override
        public String describe() {
            return "lognormal median " + number(medianMs) + " ms, p99 " + number(p99Ms) + " ms";
        }
    }

    /**
     * A distribution measured elsewhere, given by its percentiles. Up to p99 the quantile function is a smooth
     * rising curve through (0, 0 ms), (0.5, p50), (0.9, p90) and (0.99, p99) (see {@link MonotoneCurve}); the top 1%
     * is a tail that thins out towards max, as real tails do: a draw u above 0.99 takes
     * p99 + (max − p99)·s³ with s = (u − 0.99) / 0.01, so half of the top 1% lands in the first eighth of the range
     * and only the very last draws come near max. The stated percentiles hold exactly; no draw exceeds max.
     */
    record Percentiles(double p50Ms, double p90Ms, double p99Ms, double maxMs) implements Latency {
        private static final double[] LEVELS = {0, 0.5, 0.9, 0.99};
        private static final double TAIL_FROM = 0.99;

        public Percentiles {
            requireAtLeastZero("p50_ms", p50Ms);
            requireOrdered("p50_ms", p50Ms, "p90_ms", p90Ms);
            requireOrdered("p90_ms", p90Ms, "p99_ms", p99Ms);
            requireOrdered("p99_ms", p99Ms, "max_ms", maxMs);
        }

        @Override
        public double quantileMs(double u) {
            if (u <= TAIL_FROM) {
                return MonotoneCurve.at(LEVELS, new double[] {0, p50Ms, p90Ms, p99Ms}, u);
            }
            double s = Math.min(1, (u - TAIL_FROM) / (1 - TAIL_FROM));
            return p99Ms + (maxMs - p99Ms) * s * s * s;
        }

        @Override
        public String describe() {
            return "percentiles p50 " + number(p50Ms) + " ms, p90 " + number(p90Ms) + " ms, p99 " + number(p99Ms)
                    + " ms, max " + number(maxMs) + " ms";
        }
    }

    private static void requireAtLeastZero(String name, double value) {
        if (!(value >= 0 && value <= MAX_MS)) {
            throw new IllegalArgumentException(name + " must be from 0 to " + number(MAX_MS) + ", got " + number(value));
        }
    }

    private static void requirePositive(String name, double value) {
        if (!(value > 0 && value <= MAX_MS)) {
            throw new IllegalArgumentException(name + " must be above 0 and at most " + number(MAX_MS) + ", got "
                    + number(value));
        }
    }

    private static void requireOrdered(String lowName, double low, String highName, double high) {
        requireAtLeastZero(highName, high);
        if (!(low <= high)) {
            throw new IllegalArgumentException(lowName + " (" + number(low) + ") must not exceed " + highName
                    + " (" + number(high) + ")");
        }
    }

    /** Far tails of unbounded distributions are capped rather than astronomical or infinite. */
    private static double capped(double ms) {
        return Math.min(ms, MAX_MS);
    }

    /** {@code 50} rather than {@code 50.0}, and {@code 0.5} as is, as a user would have written it. */
    private static String number(double value) {
        return Double.isFinite(value) ? BigDecimal.valueOf(value).stripTrailingZeros().toPlainString()
                : String.valueOf(value);
    }
}
