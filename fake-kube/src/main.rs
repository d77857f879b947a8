//! `lode-fake-kube --port N`: serves the fake Kubernetes API on 127.0.0.1:N (0 = any free
//! port), prints its URL on stdout, and runs until SIGTERM or Ctrl-C, then kills every pod's
//! process.

use anyhow::Context;
use clap::Parser;
use tokio::signal::unix::{signal, SignalKind};

/// A fake Kubernetes API server (Pod endpoints only) that runs pods as local processes.
#[derive(Parser)]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .with_context(|| format!("bind 127.0.0.1:{}", args.port))?;
    let fake = lode_fake_kube::FakeKube::serve(listener).context("serve")?;
    println!("{}", fake.url());
    let mut term = signal(SignalKind::terminate()).context("SIGTERM handler")?;
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    drop(fake);
    Ok(())
}
