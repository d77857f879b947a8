//! `lode etl object`: one object transformed inline (a GET with `etl_name`), saved to a file
//! or stdout.

use reqwest::Method;

use super::split_pipeline;
use crate::client::{BckObj, Client};

#[derive(clap::Args)]
pub(super) struct ObjectArgs {
    /// ETL name, or a pipeline `a>>b>>c`.
    etl: String,
    /// `ais://bucket/object`.
    src: String,
    /// Output file, or `-` for stdout.
    out: String,
    /// Transform arguments (`etl_args`).
    #[arg(long)]
    args: Option<String>,
}

pub(super) async fn object(client: &Client, args: ObjectArgs) -> anyhow::Result<()> {
    let src = BckObj::parse(&args.src)?;
    let (etl, pipeline) = split_pipeline(&args.etl);
    let mut url = format!(
        "{}&etl_name={etl}",
        client.object_url(&src.bucket, src.require_object()?)
    );
    if !pipeline.is_empty() {
        url.push_str(&format!("&etl_pipeline={}", pipeline.join(",")));
    }
    if let Some(a) = &args.args {
        let enc = percent_encoding::utf8_percent_encode(a, percent_encoding::NON_ALPHANUMERIC);
        url.push_str(&format!("&etl_args={enc}"));
    }
    let resp = client.call(Method::GET, &url, None).await?;
    let what = format!(
        "ais://{}/{} via {}",
        src.bucket,
        src.require_object()?,
        args.etl
    );
    crate::object::save_body(resp, std::path::Path::new(&args.out), &what).await
}
