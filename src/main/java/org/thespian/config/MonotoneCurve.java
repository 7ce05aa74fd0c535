package org.thespian.config;

/**
 * The smooth curve through given points that never turns back (Fritsch–Carlson monotone cubic interpolation, as
 * PCHIP): it passes through every point exactly, rises wherever the points rise and is flat wherever two points are
 * level, so it never overshoots them. Used as a quantile function, its slope changes gradually at each point, so a
 * distribution given by a few percentiles has no sudden jump in density there.
 */
final class MonotoneCurve {

    private MonotoneCurve() {
    }

    /**
     * The curve through ({@code xs[i]}, {@code ys[i]}) at {@code x}: {@code xs} strictly increasing, {@code ys} never
     * decreasing, at least three points; {@code x} outside the points is taken at the nearest end.
     */
    static double at(double[] xs, double[] ys, double x) {
        int last = xs.length - 1;
        if (x <= xs[0]) {
            return ys[0];
        }
        if (x >= xs[last]) {
            return ys[last];
        }
        int k = 0;
        while (x > xs[k + 1]) {
            k++;
        }
        double h = xs[k + 1] - xs[k];
        double t = (x - xs[k]) / h;
        double t2 = t * t;
        double t3 = t2 * t;
        double y = ys[k] + (3 * t2 - 2 * t3) * (ys[k + 1] - ys[k])
                + h * ((t3 - 2 * t2 + t) * slope(xs, ys, k) + (t3 - t2) * slope(xs, ys, k + 1));
        // The curve stays between the segment's ends; this only absorbs rounding, which could otherwise dip an ulp
        // below the previous segment's end.
        return Math.min(Math.max(y, ys[k]), ys[k + 1]);
    }

    /** The curve's slope at point {@code i}. */
    private static double slope(double[] xs, double[] ys, int i) {
        int last = xs.length - 1;
        if (i == 0) {
            return endSlope(secant(xs, ys, 0), secant(xs, ys, 1), xs[1] - xs[0], xs[2] - xs[1]);
        }
        if (i == last) {
            return endSlope(secant(xs, ys, last - 1), secant(xs, ys, last - 2), xs[last] - xs[last - 1],
                    xs[last - 1] - xs[last - 2]);
        }
        double before = secant(xs, ys, i - 1);
        double after = secant(xs, ys, i);
        if (before == 0 || after == 0) {
            return 0; // a level stretch on either side: stay level here too, or the curve would overshoot
        }
        double hBefore = xs[i] - xs[i - 1];
        double hAfter = xs[i + 1] - xs[i];
        double wBefore = 2 * hAfter + hBefore;
        double wAfter = hAfter + 2 * hBefore;
        return (wBefore + wAfter) / (wBefore / before + wAfter / after);
    }

    /** A three-point estimate at an end, limited so the end segment cannot overshoot. */
    private static double endSlope(double nearSecant, double farSecant, double nearH, double farH) {
        double slope = ((2 * nearH + farH) * nearSecant - nearH * farSecant) / (nearH + farH);
        if (slope <= 0 || nearSecant == 0) {
            return 0;
        }
        return farSecant == 0 ? Math.min(slope, 3 * nearSecant) : slope;
    }

    private static double secant(double[] xs, double[] ys, int k) {
        return (ys[k + 1] - ys[k]) / (xs[k + 1] - xs[k]);
    }
}
