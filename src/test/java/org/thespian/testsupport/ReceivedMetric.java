package org.thespian.testsupport;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One metric of one export. Cumulative metrics arrive again with every export, so tests usually want the
 * {@linkplain #latest latest} one.
 *
 * @param type   GAUGE, SUM, HISTOGRAM, EXPONENTIAL_HISTOGRAM or SUMMARY
 * @param points the data points of gauges, sums and (explicit-bucket) histograms; empty for the other types
 */
public record ReceivedMetric(String serviceName, String name, String type, List<Point> points) {

    /**
     * @param value the number for gauges and sums; the sum of the observations for histograms
     * @param count the number of observations for histograms; 0 for gauges and sums
     */
    public record Point(Map<String, Object> attributes, double value, long count) {
    }

    static List<ReceivedMetric> from(ExportMetricsServiceRequest request) {
        return Otlp.flatten(request.getResourceMetricsList(), ResourceMetrics::getResource,
                ResourceMetrics::getScopeMetricsList, ScopeMetrics::getMetricsList,
                (resource, metric) -> new ReceivedMetric(
                        Otlp.serviceName(resource), metric.getName(), metric.getDataCase().name(), points(metric)));
    }

    private static List<Point> points(Metric metric) {
        return switch (metric.getDataCase()) {
            case GAUGE -> numberPoints(metric.getGauge().getDataPointsList());
            case SUM -> numberPoints(metric.getSum().getDataPointsList());
            case HISTOGRAM -> metric.getHistogram().getDataPointsList().stream()
                    .map(p -> new Point(Otlp.attributes(p.getAttributesList()), p.getSum(), p.getCount()))
                    .toList();
            // The SDK sends the other kinds only when configured to; their points are left out until a test needs them.
            default -> List.of();
        };
    }

    private static List<Point> numberPoints(List<NumberDataPoint> points) {
        return points.stream()
                .map(p -> new Point(
                        Otlp.attributes(p.getAttributesList()),
                        p.getValueCase() == NumberDataPoint.ValueCase.AS_INT ? p.getAsInt() : p.getAsDouble(),
                        0))
                .toList();
    }

    /** The first point whose attributes include all of {@code attributes} (it may have more). */
    public Optional<Point> pointWith(Map<String, ?> attributes) {
        return points.stream()
                .filter(point -> point.attributes().entrySet().containsAll(attributes.entrySet()))
                .findFirst();
    }

    /** The most recently received metric of that service and name. */
    public static Optional<ReceivedMetric> latest(List<ReceivedMetric> metrics, String serviceName, String name) {
        return metrics.stream()
                .filter(metric -> metric.serviceName.equals(serviceName) && metric.name.equals(name))
                .reduce((earlier, later) -> later);
    }
}
