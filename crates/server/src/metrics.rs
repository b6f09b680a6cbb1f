//! `/metrics` in the Prometheus (OpenMetrics) text format: requests by route, method
//! and status, their latencies, publishes by outcome, conflicts.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::metrics::info::Info;
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
struct BackendLabels {
    backend: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

/// What a publish came to, as counted.
#[derive(Clone, Copy)]
pub(crate) enum PublishOutcome {
    Created,
    /// 200: updated, or the same content again.
    Updated,
    Replayed,
    Conflict,
}

pub(crate) struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    publishes: Family<OutcomeLabels, Counter>,
    conflicts: Counter,
}

impl Metrics {
    pub fn new(backend: &'static str) -> Metrics {
        let mut registry = Registry::with_prefix("pressroom_api");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            // 0.25 ms to about 4 s.
            Histogram::new(exponential_buckets(0.000_25, 2.0, 15))
        });
        let publishes = Family::<OutcomeLabels, Counter>::default();
        let conflicts = Counter::default();
        registry.register("requests", "HTTP requests answered", requests.clone());
        registry.register(
            "request_duration_seconds",
            "Time to answer a request",
            latency.clone(),
        );
        registry.register(
            "publishes",
            "Publishes (PUT /v1/documents/{slug}) by outcome",
            publishes.clone(),
        );
        registry.register(
            "conflicts",
            "Publishes refused as 409 conflict (a stale base revision, or create-only on an existing slug)",
            conflicts.clone(),
        );
        registry.register(
            "database",
            "The storage this instance uses",
            Info::new(BackendLabels { backend }),
        );
        Metrics {
            registry,
            requests,
            latency,
            publishes,
            conflicts,
        }
    }

    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RequestLabels {
                // A fixed set: a client's made-up methods must not each add a series.
                method: match method {
                    "GET" | "HEAD" | "PUT" | "POST" | "DELETE" | "OPTIONS" | "PATCH" => method,
                    _ => "other",
                }
                .to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    pub fn publish(&self, outcome: PublishOutcome) {
        let label = match outcome {
            PublishOutcome::Created => "created",
            PublishOutcome::Updated => "updated",
            PublishOutcome::Replayed => "replayed",
            PublishOutcome::Conflict => {
                self.conflicts.inc();
                "conflict"
            }
        };
        self.publishes
            .get_or_create(&OutcomeLabels { outcome: label })
            .inc();
    }

    pub fn encode(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)
            .expect("writing to a String cannot fail");
        text
    }
}
