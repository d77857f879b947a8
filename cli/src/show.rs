//! `lode show cluster`: the cluster map (`GET /v1/daemon?what=smap`) as a table.

use crate::client::Client;
use lode_wire::smap::FLAGS_EXCLUDED;
use lode_wire::Smap;
use reqwest::Method;

/// Show cluster state.
#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    what: What,
}

#[derive(clap::Subcommand)]
enum What {
    /// The gateway and the targets: ids and URLs.
    Cluster,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let What::Cluster = args.what;
    let client = Client::from_env()?;
    let resp = client
        .call(Method::GET, &client.url("daemon?what=smap"), None)
        .await?;
    let smap: Smap = resp.json().await?;
    println!("cluster {} (map version {})", smap.uuid, smap.version);
    let nodes = smap
        .pmap
        .values()
        .map(|n| ("proxy", n))
        .chain(smap.tmap.values().map(|n| ("target", n)));
    let rows: Vec<[String; 4]> = nodes
        .map(|(kind, n)| {
            let mut state = String::from(if n.flags & FLAGS_EXCLUDED == 0 {
                "online"
            } else {
                "maintenance"
            });
            if n.daemon_id == smap.proxy_si.daemon_id {
                state.push_str(", primary");
            }
            [
                kind.to_string(),
                n.daemon_id.clone(),
                n.public_net.direct_url.clone(),
                state,
            ]
        })
        .collect();
    let header = ["TYPE", "ID", "URL", "STATE"].map(String::from);
    let mut widths = [0usize; 4];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
    Ok(())
}
