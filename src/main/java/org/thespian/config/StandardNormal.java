package org.thespian.config;

/**
 * The inverse of the standard normal distribution's CDF, by Peter Acklam's rational approximation (relative
 * error below 1.2e-9 over the whole range): ample for drawing latencies, and free of any library.
 */
final class StandardNormal {

    private static final double[] A = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
            1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
    private static final double[] B = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
            6.680131188771972e+01, -1.328068155288572e+01};
    private static final double[] C = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
            -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
    private static final double[] D = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
            3.754408661907416e+00};

    /** Below this probability (and above its complement) the tail approximation is the accurate one. */
    private static final double TAIL = 0.02425;

    /** Φ⁻¹(0.99): a lognormal's p99 lies this many sigmas above its median. (After the coefficients it needs.) */
    static final double Z_99 = quantile(0.99);

    private StandardNormal() {
    }

    /** The z with Φ(z) = p; −∞ for p = 0 and +∞ for p = 1. */
    static double quantile(double p) {
        if (p <= 0) {
            return Double.NEGATIVE_INFINITY;
        }
        if (p >= 1) {
            return Double.POSITIVE_INFINITY;
        }
        if (p < TAIL) {
            return lowerTail(p);
        }
        if (p > 1 - TAIL) {
            return -lowerTail(1 - p);
        }
        double q = p - 0.5;
        double r = q * q;
        return polynomial(A, r) * q / (polynomial(B, r) * r + 1);
    }

    private static double lowerTail(double p) {
        double q = Math.sqrt(-2 * Math.log(p));
        return polynomial(C, q) / (polynomial(D, q) * q + 1);
    }

    /** Horner's rule, highest coefficient first. */
    private static double polynomial(double[] coefficients, double x) {
        double sum = 0;
        for (double coefficient : coefficients) {
            sum = sum * x + coefficient;
        }
        return sum;
    }
}
