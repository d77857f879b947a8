//! Multi-object jobs ("xactions": offline ETL, copy, delete) as both roles see them: the job spec the gateway sends every
//! target, the per-target snapshot (AIS `core.Snap`), destination naming and brace templates.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use lode_wire::smap::u64_string;

/// Gateway → target: hand a job to every target (`POST /v1/xactions/<xid>`), then start it
/// (`POST .../<xid>/run`), abort it (`DELETE`), snapshot it (`GET`), make its outputs durable
/// once every target is idle (`POST .../<xid>/sync`).
pub(crate) const PATH_XACTIONS: &str = "/v1/xactions";

/// Why a job was stopped by its client, and all a target hears when the gateway aborts it.
pub(crate) const ABORTED: &str = "aborted";

/// Most names a template may expand to.
pub(crate) const MAX_TEMPLATE: usize = 10_000_000;

/// What every target runs for one job.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct JobSpec {
    pub(crate) xid: String,
    /// `etl-bck`, `etl-listrange`, `copy-bck`, `copy-listrange` or `delete-listrange`.
    pub(crate) kind: String,
    pub(crate) src: String,
    pub(crate) dst: String,
    /// The ETL (empty for copies and deletes), then the rest of the pipeline.
    pub(crate) etl: String,
    pub(crate) pipeline: Vec<String>,
    pub(crate) prefix: String,
    pub(crate) prepend: String,
    pub(crate) ext: BTreeMap<String, String>,
    pub(crate) dry_run: bool,
    pub(crate) coer: bool,
    /// 0 = the pipeline's workers, negative = serial.
    pub(crate) num_workers: i64,
    /// etl-listrange: the names, or a brace template.
    pub(crate) objnames: Option<Vec<String>>,
    pub(crate) template: Option<String>,
}

/// Go int64 counters, sent as strings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct SnapStats {
    #[serde(rename = "loc-objs", with = "u64_string")]
    pub(crate) loc_objs: u64,
    #[serde(rename = "loc-bytes", with = "u64_string")]
    pub(crate) loc_bytes: u64,
    #[serde(rename = "out-objs", with = "u64_string")]
    pub(crate) out_objs: u64,
    #[serde(rename = "out-bytes", with = "u64_string")]
    pub(crate) out_bytes: u64,
    #[serde(rename = "in-objs", with = "u64_string")]
    pub(crate) in_objs: u64,
    #[serde(rename = "in-bytes", with = "u64_string")]
    pub(crate) in_bytes: u64,
}

/// One target's view of a job (AIS `core.Snap`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Snap {
    pub(crate) id: String,
    pub(crate) kind: String,
    #[serde(rename = "start-time")]
    pub(crate) start_time: String,
    #[serde(rename = "end-time")]
    pub(crate) end_time: String,
    #[serde(rename = "src-bck")]
    pub(crate) src_bck: Value,
    #[serde(rename = "dst-bck")]
    pub(crate) dst_bck: Value,
    pub(crate) stats: SnapStats,
    pub(crate) aborted: bool,
    pub(crate) is_idle: bool,
    #[serde(rename = "abort-err")]
    pub(crate) abort_err: String,
    pub(crate) err: String,
    /// AIS's `glob.id`: a uint64 sent as a string (the SDK parses it), `"0"` by default.
    #[serde(rename = "glob.id", with = "u64_string")]
    pub(crate) glob_id: u64,
}

/// The JSON of an ais bucket, as snapshots carry it.
pub(crate) fn bck_json(name: &str) -> Value {
    json!({"name": name, "provider": "ais", "namespace": {"uuid": "", "name": ""}})
}

/// The destination name: the extension after the last `.` replaced when it is a key of
/// `ext` (a leading `.` of the new one trimmed), then `prepend` in front.
pub(crate) fn dst_name(name: &str, prepend: &str, ext: &BTreeMap<String, String>) -> String {
    let renamed = match name.rsplit_once('.') {
        Some((stem, old)) if !stem.is_empty() || !old.is_empty() => match ext.get(old) {
            Some(new) => format!("{stem}.{}", new.trim_start_matches('.')),
            None => name.to_owned(),
        },
        _ => name.to_owned(),
    };
    format!("{prepend}{renamed}")
}

/// Expands a bash-style brace template: numeric ranges `{0..10}`, `{0..10..2}` (zero padding
/// kept when the bounds are padded) and lists `{a,b}`; several groups multiply out. `limit`
/// caps the result (an error beyond it).
pub(crate) fn expand_template(template: &str, limit: usize) -> Result<Vec<String>, String> {
    let Some(open) = template.find('{') else {
        return Ok(vec![template.to_owned()]);
    };
    let close = template[open..]
        .find('}')
        .map(|i| open + i)
        .ok_or_else(|| format!("template {template:?}: unbalanced '{{'"))?;
    let (head, body, tail) = (
        &template[..open],
        &template[open + 1..close],
        &template[close + 1..],
    );
    let choices = group(body).map_err(|e| format!("template {template:?}: {e}"))?;
    let rest = expand_template(tail, limit)?;
    let mut out = Vec::new();
    for c in &choices {
        for r in &rest {
            if out.len() >= limit {
                return Err(format!(
                    "template {template:?} expands to more than {limit} names"
                ));
            }
            out.push(format!("{head}{c}{r}"));
        }
    }
    Ok(out)
}

fn group(body: &str) -> Result<Vec<String>, String> {
    let parts: Vec<&str> = body.split("..").collect();
    if parts.len() == 2 || parts.len() == 3 {
        let num = |s: &str| {
            s.parse::<u64>()
                .map_err(|_| format!("bad range bound {s:?}"))
        };
        let (start, end) = (num(parts[0])?, num(parts[1])?);
        let step = if parts.len() == 3 { num(parts[2])? } else { 1 };
        if step == 0 || start > end {
            return Err(format!("bad range {{{body}}}"));
        }
        let width = if parts[0].len() > 1 && parts[0].starts_with('0') {
            parts[0].len()
        } else {
            0
        };
        return Ok((start..=end)
            .step_by(usize::try_from(step).unwrap_or(usize::MAX))
            .map(|n| format!("{n:0width$}"))
            .collect());
    }
    if body.contains(',') {
        return Ok(body.split(',').map(str::to_owned).collect());
    }
    Err(format!("bad brace group {{{body}}}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: the gateway's stand-in snapshot of an unreachable target (a default `Snap`)
    /// sent `glob.id` "", which the SDK's job status model refused.
    #[test]
    fn a_default_snapshot_has_a_glob_id_the_sdk_parses() {
        let snap = serde_json::to_value(Snap::default()).unwrap();
        assert_eq!(snap["glob.id"], "0");
    }

    #[test]
    fn destination_names() {
        let ext = BTreeMap::from([
            ("flac".to_owned(), ".wav".to_owned()),
            ("jpg".to_owned(), "png".to_owned()),
        ]);
        assert_eq!(dst_name("a/b.flac", "out/", &ext), "out/a/b.wav");
        assert_eq!(dst_name("x.jpg", "", &ext), "x.png");
        assert_eq!(dst_name("x.txt", "p-", &ext), "p-x.txt");
        assert_eq!(dst_name("noext", "", &ext), "noext");
        assert_eq!(dst_name("v1.2.flac", "", &ext), "v1.2.wav");
    }

    #[test]
    fn templates() {
        assert_eq!(
            expand_template("a{0..3}", 100).unwrap(),
            ["a0", "a1", "a2", "a3"]
        );
        assert_eq!(
            expand_template("f-{000..010..5}.txt", 100).unwrap(),
            ["f-000.txt", "f-005.txt", "f-010.txt"]
        );
        assert_eq!(
            expand_template("{a,b}/{1..2}", 100).unwrap(),
            ["a/1", "a/2", "b/1", "b/2"]
        );
        assert_eq!(expand_template("plain", 100).unwrap(), ["plain"]);
        assert!(expand_template("x{0..9}", 5).is_err());
        assert!(expand_template("x{3..1}", 5).is_err());
        assert!(expand_template("x{0..", 5).is_err());
    }
}
