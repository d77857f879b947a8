//! Target listing: one sorted page of this target's objects after a name, with a prefix, with
//! the properties asked for (and, under `arch_dir`, each shard's members after it); and the
//! counts and sizes of what it stores of a bucket (for the gateway's summary).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use bytes::Bytes;
use lode_store::{ObjectMeta, Store};

use super::archive::{Format, Shard};
use super::objects::blocking;
use super::Tg;
use crate::api::{self, QueryMap};
use crate::error::ApiError;
use crate::listing::{
    flag, BucketList, ListRequest, LsoEnt, ENTRY_IN_ARCH, ENTRY_IS_ARCHIVE, ENTRY_IS_CACHED,
};

/// `GET /v1/buckets/<b>` with action `list`: this target's page (the gateway merges pages).
pub(super) async fn list_page(
    State(tg): State<Tg>,
    Path(bucket): Path<String>,
    Query(q): Query<QueryMap>,
    body: Bytes,
) -> Result<BucketList, ApiError> {
    let msg = api::bucket_action(&tg.name, &q, &body, "list")?;
    tg.meta_with_bucket(&bucket).await?;
    let req = ListRequest::parse(&msg.value)?;
    let (node, store, uuid) = (tg.name.clone(), Arc::clone(&tg.store), req.uuid.clone());
    let (entries, full) = blocking(&tg, move || Ok(page(&store, &node, &bucket, &req))).await?;
    let token = match entries.last() {
        Some(last) if full => last.n.clone(),
        _ => String::new(),
    };
    Ok(BucketList {
        uuid,
        continuation_token: token,
        flags: 0,
        entries,
    })
}

/// One page of entries, sorted, and whether it is full (more may follow).
fn page(store: &Store, node: &str, bucket: &str, req: &ListRequest) -> (Vec<LsoEnt>, bool) {
    if req.has(flag::NOT_CACHED) {
        return (Vec::new(), false); // every object of an ais:// bucket is in the cluster
    }
    let (prefix, after, limit) = (req.prefix.as_str(), req.after(), req.page_size);
    let objects = store.list(bucket, prefix, after, limit);
    let mut full = objects.len() >= limit;
    let mut entries = Vec::with_capacity(objects.len());
    let arch_dir = req.has(flag::ARCH_DIR);
    if arch_dir {
        // A shard the listing is inside of (a prefix `s.tar/dir/`, or a page that ended at a
        // member `s.tar/m5`) is before `after` or outside the prefix: its members come first.
        let mut inside: Vec<&str> = enclosing_shards(prefix)
            .chain(enclosing_shards(after))
            .collect();
        inside.sort_unstable();
        inside.dedup();
        for shard in inside {
            if store.head(bucket, shard).is_ok() {
                members(store, node, bucket, shard, req, &mut entries);
            }
        }
    }
    for (name, meta) in &objects {
        let mut e = entry(store, node, name, meta, req);
        if arch_dir && members(store, node, bucket, name, req, &mut entries) {
            e.f |= ENTRY_IS_ARCHIVE;
        }
        if e.n.starts_with(prefix) && e.n.as_str() > after {
            entries.push(e);
        }
    }
    if arch_dir {
        entries.sort_by(|a, b| a.n.cmp(&b.n));
        entries.dedup_by(|a, b| a.n == b.n);
        if entries.len() > limit {
            entries.truncate(limit);
            full = true;
        }
    }
    (entries, full)
}

/// The entry of one object, with the properties asked for.
fn entry(store: &Store, node: &str, name: &str, m: &ObjectMeta, req: &ListRequest) -> LsoEnt {
    let want = |p| req.wants(p);
    let text = |p, f: &dyn Fn() -> String| if want(p) { f() } else { String::new() };
    LsoEnt {
        n: name.to_owned(),
        s: if want("size") { m.size } else { 0 },
        cs: text("checksum", &|| m.checksum_hex()),
        a: text("atime", &|| {
            httpdate::fmt_http_date(
                std::time::UNIX_EPOCH + std::time::Duration::from_nanos(m.atime_ns),
            )
        }),
        v: text("version", &|| m.version.to_string()),
        t: text("location", &|| {
            format!("{node}:mp[{}]", store.mountpath_of(m).display())
        }),
        c: u64::from(want("copies")),
        f: ENTRY_IS_CACHED,
        m: text("custom", &|| {
            m.custom
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        }),
    }
}

/// Adds the members of shard `name` that the request wants (inside its prefix, after its
/// token) as `name/member` entries; `false` when `name` is not a readable shard (it is listed
/// without members).
fn members(
    store: &Store,
    node: &str,
    bucket: &str,
    name: &str,
    req: &ListRequest,
    out: &mut Vec<LsoEnt>,
) -> bool {
    let Some(format) = Format::of(name) else {
        return false;
    };
    let listed = store
        .open_object(bucket, name)
        .and_then(|(file, m)| super::mapped::map(&file, m.size))
        .map_err(|e| e.to_string())
        .and_then(|bytes| {
            let uname = format!("ais://{bucket}/{name}");
            let shard = Shard {
                bytes: &bytes,
                format,
                uname: &uname,
            };
            shard.list().map_err(|e| e.to_string())
        });
    let list = match listed {
        Ok(list) => list,
        Err(why) => {
            tracing::warn!(%node, shard = %name, %why, "arch_dir: shard listed without its members");
            return false;
        }
    };
    for (member, size) in list {
        let n = format!("{name}/{member}");
        if n.starts_with(&req.prefix) && n.as_str() > req.after() {
            out.push(LsoEnt {
                n,
                s: if req.wants("size") { size } else { 0 },
                cs: String::new(),
                a: String::new(),
                v: String::new(),
                t: String::new(),
                c: 0,
                f: ENTRY_IS_CACHED | ENTRY_IN_ARCH,
                m: String::new(),
            });
        }
    }
    true
}

/// The shards (by name) that `path` is inside of: each part before a `/` with a shard's
/// extension (`a/s.tar/m` -> `a/s.tar`).
fn enclosing_shards(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/')
        .map(move |(i, _)| &path[..i])
        .filter(|p| Format::of(p).is_some())
}

/// `GET /v1/summary/<b>`, body `{"prefix": ..}` (intra-cluster): what this target stores of
/// the bucket, for the gateway's `summary-bck` and bucket info: `{count, size, min, max,
/// disks}` (`disks`: the bytes of the filesystems under its mountpaths).
pub(super) async fn summary(
    State(tg): State<Tg>,
    Path(bucket): Path<String>,
    axum::Json(msg): axum::Json<serde_json::Value>,
) -> Result<axum::Json<serde_json::Value>, ApiError> {
    tg.meta_with_bucket(&bucket).await?;
    let prefix = msg["prefix"].as_str().unwrap_or_default().to_owned();
    let store = Arc::clone(&tg.store);
    let (sum, disks) = blocking(&tg, move || {
        Ok((store.summary(&bucket, &prefix), store.disks_size()?))
    })
    .await?;
    Ok(axum::Json(serde_json::json!({
        "count": sum.count, "size": sum.size, "min": sum.min_size, "max": sum.max_size,
        "disks": disks,
    })))
}
