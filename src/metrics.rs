//! The node's own figures in the Prometheus text format, at `/metrics`:
//! requests by route and status with latency histograms, photo uploads and
//! their sizes, PDF renders, login failures, and the review queues' lengths.
//!
//! `prometheus-client` (the Prometheus project's own Rust client) keeps each
//! node's registry in its [`crate::service::App`], so several apps in one
//! process (as in the tests) never share counters. No label carries a name,
//! number or other personal value: routes are the matched patterns
//! (`/api/v1/transfer-outs/{id}`), never the path that was asked for.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct UploadLabels {
    /// The photo's field (`portrait`, `id_card`, `signed_form` …).
    field: String,
    /// `stored` or `refused`.
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DocumentLabels {
    /// `registration_form` or `admission_ticket`.
    document: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LoginLabels {
    /// `candidate`, `staff` or `recovery`.
    who: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct QueueLabels {
    queue: &'static str,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// Latency buckets: 0.5 ms to about 16 s.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0005, 2.0, 16))
}

/// Size buckets: 16 KiB to 8 MiB.
fn size_histogram() -> Histogram {
    Histogram::new(exponential_buckets(16_384.0, 2.0, 10))
}

/// One node's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Histograms<RouteLabels>,
    uploads: Family<UploadLabels, Counter>,
    upload_bytes: Histograms<UploadLabels>,
    renders: Family<DocumentLabels, Counter>,
    render_seconds: Histograms<DocumentLabels>,
    login_failures: Family<LoginLabels, Counter>,
    queues: Family<QueueLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with every metric of the platform, all at zero.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("zikao");
        let requests = Family::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route pattern and status",
            requests.clone(),
        );
        let latency: Histograms<RouteLabels> = Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time from a request's arrival to its response head, by route pattern",
            latency.clone(),
        );
        let uploads = Family::default();
        registry.register(
            "photo_uploads",
            "Photos received, by field and outcome (stored or refused)",
            uploads.clone(),
        );
        let upload_bytes: Histograms<UploadLabels> = Family::new_with_constructor(size_histogram);
        registry.register(
            "photo_upload_bytes",
            "Sizes of the photos received, in bytes",
            upload_bytes.clone(),
        );
        let renders = Family::default();
        registry.register("pdf_renders", "PDF documents rendered", renders.clone());
        let render_seconds: Histograms<DocumentLabels> =
            Family::new_with_constructor(latency_histogram);
        registry.register(
            "pdf_render_duration_seconds",
            "Time to render one PDF document",
            render_seconds.clone(),
        );
        let login_failures = Family::default();
        registry.register(
            "login_failures",
            "Refused sign-ins (wrong password, unknown name, wrong second factor)",
            login_failures.clone(),
        );
        let queues = Family::default();
        registry.register(
            "review_queue_length",
            "Items waiting for a reviewer, across the province, read at scrape time",
            queues.clone(),
        );
        Self {
            registry,
            requests,
            latency,
            uploads,
            upload_bytes,
            renders,
            render_seconds,
            login_failures,
            queues,
        }
    }

    /// One answered request.
    pub fn request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// One photo received on `field`, stored or refused.
    pub fn upload(&self, field: &str, bytes: usize, stored: bool) {
        let labels = UploadLabels {
            field: field.to_owned(),
            outcome: if stored { "stored" } else { "refused" },
        };
        self.uploads.get_or_create(&labels).inc();
        self.upload_bytes
            .get_or_create(&labels)
            .observe(bytes as f64);
    }

    /// One PDF rendered (`registration_form` or `admission_ticket`).
    pub fn render(&self, document: &'static str, elapsed: Duration) {
        let labels = DocumentLabels { document };
        self.renders.get_or_create(&labels).inc();
        self.render_seconds
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// One refused sign-in (`candidate`, `staff` or `recovery`).
    pub fn login_failure(&self, who: &'static str) {
        self.login_failures
            .get_or_create(&LoginLabels { who })
            .inc();
    }

    /// The review queues' lengths as just read from the database.
    pub fn set_queues(&self, transfer_reviews: i64, identity_reviews: i64) {
        for (queue, n) in [
            ("transfer_out", transfer_reviews),
            ("identity", identity_reviews),
        ] {
            self.queues.get_or_create(&QueueLabels { queue }).set(n);
        }
    }

    /// The text exposition of every metric.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_appear_in_the_text_format() {
        let m = Metrics::new();
        m.request("GET", "/center", 200, Duration::from_millis(3));
        m.request("GET", "/center", 200, Duration::from_millis(5));
        m.upload("id_card", 1_500_000, true);
        m.login_failure("candidate");
        m.set_queues(7, 2);
        let text = m.encode();
        assert!(
            text.contains(
                r#"zikao_http_requests_total{method="GET",route="/center",status="200"} 2"#
            ),
            "{text}"
        );
        assert!(text.contains(r#"zikao_http_request_duration_seconds_count{route="/center"} 2"#));
        assert!(text.contains(r#"zikao_photo_uploads_total{field="id_card",outcome="stored"} 1"#));
        assert!(text.contains(r#"zikao_login_failures_total{who="candidate"} 1"#));
        assert!(text.contains(r#"zikao_review_queue_length{queue="transfer_out"} 7"#));
    }
}
