//! `lode put`, `lode get` and `lode object rm`: moving object bytes between files and the cluster.
//! Bodies are streamed in both directions; a directory uploads with bounded parallelism and a
//! progress bar (objects and bytes; drawn only on a terminal).

use crate::client::{check, redirect_location, unreachable_err, BckObj, Client};
use anyhow::{bail, Context as _};
use futures_util::{stream, StreamExt as _, TryStreamExt as _};
use indicatif::{ProgressBar, ProgressStyle};
use reqwest::{header, Method};
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// Read size for file bodies.
const CHUNK: usize = 256 * 1024;

/// Upload a file, or a directory recursively, as objects.
#[derive(clap::Args)]
pub struct PutArgs {
    /// The file or directory to upload.
    source: PathBuf,
    /// `ais://bucket[/name]`: the object name for a file (default: the file's name), or the
    /// prefix the directory's relative paths go under.
    destination: String,
    /// How many objects upload at once.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
}

/// Download an object to a file or stdout (`-`).
#[derive(clap::Args)]
pub struct GetArgs {
    /// `ais://bucket/object`.
    source: String,
    /// A file, an existing directory (the object's base name is used), or `-` for stdout.
    destination: PathBuf,
}

/// Object operations.
#[derive(clap::Args)]
pub struct ObjectArgs {
    #[command(subcommand)]
    command: ObjectCommand,
}

#[derive(clap::Subcommand)]
enum ObjectCommand {
    /// Delete objects (`ais://bucket/object ...`).
    Rm {
        /// Objects to delete.
        #[arg(required = true)]
        objects: Vec<String>,
    },
}

/// One file to upload.
struct Upload {
    path: PathBuf,
    name: String,
    size: u64,
}

pub async fn put(args: PutArgs) -> anyhow::Result<()> {
    let client = Client::from_env()?;
    let dst = BckObj::parse(&args.destination)?;
    let uploads = plan_uploads(&args.source, dst.object.as_deref())?;
    let total: u64 = uploads.iter().map(|u| u.size).sum();
    let count = uploads.len();
    let bar = ProgressBar::new(total).with_style(
        ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec}",
        )
        .context("progress bar template")?
        .progress_chars("=> "),
    );
    bar.set_message(format!("0/{count} objects"));
    let done = std::sync::atomic::AtomicUsize::new(0);
    let failures: Vec<String> = stream::iter(uploads)
        .map(|u| {
            let (client, bar, done, bucket) = (&client, &bar, &done, &dst.bucket);
            async move {
                let result = upload(client, bucket, &u, bar).await;
                let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                bar.set_message(format!("{n}/{count} objects"));
                result
                    .err()
                    .map(|err| format!("{}: {err:#}", u.path.display()))
            }
        })
        .buffer_unordered(args.concurrency.max(1))
        .filter_map(|failure| async move { failure })
        .collect()
        .await;
    bar.finish_and_clear();
    match failures.as_slice() {
        [] => {
            println!(
                "PUT {count} object(s) ({total} bytes) to ais://{}",
                dst.bucket
            );
            Ok(())
        }
        [one] if count == 1 => bail!("{one}"),
        _ => {
            for failure in &failures {
                eprintln!("{failure}");
            }
            bail!("{} of {count} uploads failed", failures.len())
        }
    }
}

/// The files under `source` and their object names.
fn plan_uploads(source: &Path, name: Option<&str>) -> anyhow::Result<Vec<Upload>> {
    let meta = std::fs::metadata(source).with_context(|| format!("{}", source.display()))?;
    if !meta.is_dir() {
        let name = match name {
            Some(n) => n.to_string(),
            None => source
                .file_name()
                .and_then(|n| n.to_str())
                .with_context(|| format!("{}: no usable file name", source.display()))?
                .to_string(),
        };
        return Ok(vec![Upload {
            path: source.to_path_buf(),
            name,
            size: meta.len(),
        }]);
    }
    let prefix = name
        .map(|p| p.trim_end_matches('/'))
        .filter(|p| !p.is_empty());
    let mut uploads = Vec::new();
    for entry in walkdir::WalkDir::new(source).sort_by_file_name() {
        let entry = entry.with_context(|| format!("walking {}", source.display()))?;
        if !entry.file_type().is_file() {
            continue;
        }
        let rel = entry.path().strip_prefix(source).unwrap_or(entry.path());
        let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
        let rel = parts
            .with_context(|| format!("{}: not a UTF-8 path", entry.path().display()))?
            .join("/");
        let name = match prefix {
            Some(p) => format!("{p}/{rel}"),
            None => rel,
        };
        let size = entry
            .metadata()
            .with_context(|| format!("{}", entry.path().display()))?
            .len();
        uploads.push(Upload {
            path: entry.path().to_path_buf(),
            name,
            size,
        });
    }
    Ok(uploads)
}

/// PUTs one file straight to its target (asked of the gateway first), streaming the body.
async fn upload(
    client: &Client,
    bucket: &str,
    u: &Upload,
    bar: &ProgressBar,
) -> anyhow::Result<()> {
    let url = client.resolve(&client.object_url(bucket, &u.name)).await?;
    let resp = send_file(client, &url, u, bar).await?;
    // Still redirected (the gateway would not say where on HEAD): re-send the file there.
    let resp = match redirect_location(&resp) {
        Some(next) => send_file(client, &next, u, bar).await?,
        None => resp,
    };
    check(resp).await.map(drop)
}

async fn send_file(
    client: &Client,
    url: &str,
    u: &Upload,
    bar: &ProgressBar,
) -> anyhow::Result<reqwest::Response> {
    let file = tokio::fs::File::open(&u.path)
        .await
        .with_context(|| format!("{}", u.path.display()))?;
    let bar = bar.clone();
    let chunks = stream::try_unfold(file, move |mut file| {
        let bar = bar.clone();
        async move {
            let mut buf = vec![0u8; CHUNK];
            let n = file.read(&mut buf).await?;
            if n == 0 {
                return Ok::<_, std::io::Error>(None);
            }
            buf.truncate(n);
            bar.inc(n as u64);
            Ok(Some((buf, file)))
        }
    });
    client
        .request(Method::PUT, url)
        .header(header::CONTENT_LENGTH, u.size)
        .body(reqwest::Body::wrap_stream(chunks.into_stream()))
        .send()
        .await
        .map_err(|e| unreachable_err(&Method::PUT, url, &e))
}

pub async fn get(args: GetArgs) -> anyhow::Result<()> {
    let client = Client::from_env()?;
    let src = BckObj::parse(&args.source)?;
    let object = src.require_object()?;
    let resp = client
        .call(Method::GET, &client.object_url(&src.bucket, object), None)
        .await?;
    let path = if args.destination.is_dir() {
        let base = object.rsplit('/').next().unwrap_or(object);
        args.destination.join(base)
    } else {
        args.destination
    };
    save_body(resp, &path, &format!("ais://{}/{object}", src.bucket)).await
}

/// Streams a response body to `path` (`-` = stdout) and says so on stdout; a partial file is
/// removed when the download fails.
pub(crate) async fn save_body(
    mut resp: reqwest::Response,
    path: &Path,
    what: &str,
) -> anyhow::Result<()> {
    if path.as_os_str() == "-" {
        let mut out = tokio::io::stdout();
        while let Some(chunk) = resp.chunk().await.context("reading the object")? {
            out.write_all(&chunk).await?;
        }
        return Ok(out.flush().await?);
    }
    let mut written = 0u64;
    let result = async {
        let mut file = tokio::fs::File::create(path).await?;
        while let Some(chunk) = resp.chunk().await? {
            file.write_all(&chunk).await?;
            written += chunk.len() as u64;
        }
        file.flush().await?;
        anyhow::Ok(())
    }
    .await;
    if let Err(err) = result {
        // A partial download is worse than none.
        let _ = tokio::fs::remove_file(path).await;
        return Err(err.context(format!("GET {what} -> {}", path.display())));
    }
    println!("GET {what} -> {} ({written} bytes)", path.display());
    Ok(())
}

pub async fn run(args: ObjectArgs) -> anyhow::Result<()> {
    let client = Client::from_env()?;
    match args.command {
        ObjectCommand::Rm { objects } => {
            for arg in objects {
                let o = BckObj::parse(&arg)?;
                let name = o.require_object()?;
                client
                    .call(Method::DELETE, &client.object_url(&o.bucket, name), None)
                    .await?;
                println!("deleted \"ais://{}/{name}\"", o.bucket);
            }
            Ok(())
        }
    }
}
