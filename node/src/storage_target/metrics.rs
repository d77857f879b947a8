//! `GET /metrics` on a target: Prometheus text with the ETL counters of this target.

use std::fmt::Write as _;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use super::Tg;

/// A metric: name, type, help, and how to read it from the counters.
type Series = (
    &'static str,
    &'static str,
    &'static str,
    fn(&lode_etl::Stats) -> u64,
);

/// Prometheus text exposition (version 0.0.4).
pub(super) async fn metrics(State(tg): State<Tg>) -> impl IntoResponse {
    let mut out = String::new();
    let etls = tg.etl.list();
    let series: [Series; 5] = [
        (
            "lode_etl_objects_total",
            "counter",
            "Objects transformed",
            |s| s.objects,
        ),
        (
            "lode_etl_bytes_in_total",
            "counter",
            "Input bytes transformed",
            |s| s.bytes_in,
        ),
        (
            "lode_etl_bytes_out_total",
            "counter",
            "Output bytes produced",
            |s| s.bytes_out,
        ),
        (
            "lode_etl_errors_total",
            "counter",
            "Objects that failed",
            |s| s.errors,
        ),
        (
            "lode_etl_latency_us_avg",
            "gauge",
            "Mean time per object, microseconds",
            |s| s.latency_us_avg,
        ),
    ];
    for (name, kind, help, get) in series {
        let _ = writeln!(out, "# HELP {name} {help}.\n# TYPE {name} {kind}");
        for etl in &etls {
            let _ = writeln!(
                out,
                "{name}{{etl=\"{}\",target=\"{}\"}} {}",
                etl.name(),
                tg.id,
                get(&etl.stats())
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP lode_etl_workers Worker threads per ETL.\n# TYPE lode_etl_workers gauge"
    );
    for etl in &etls {
        let _ = writeln!(
            out,
            "lode_etl_workers{{etl=\"{}\",target=\"{}\"}} {}",
            etl.name(),
            tg.id,
            etl.workers()
        );
    }
    let _ = writeln!(
        out,
        "# HELP lode_up Whether the node serves.\n# TYPE lode_up gauge\nlode_up{{node=\"{}\"}} 1",
        tg.id
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}
