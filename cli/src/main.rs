//! `lode`: the one binary users run. `lode up` starts a local cluster; `lode node` runs one
//! daemon; the rest mirrors the `ais` CLI (buckets, objects, listing, cluster map).

mod bucket;
mod client;
mod etl;
mod job;
mod ls;
mod node;
mod object;
mod show;
mod up;

use clap::{Parser, Subcommand};

/// lode: an AIStore-compatible object store whose targets run transforms next to the data.
#[derive(Parser)]
#[command(name = "lode", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start a local cluster (one gateway, N targets) in the foreground.
    Up(up::Args),
    /// Run one daemon (gateway or target); `lode up` starts these.
    Node(node::Args),
    /// Create, list and remove buckets.
    Bucket(bucket::Args),
    /// Upload a file, or a directory recursively, as objects.
    Put(object::PutArgs),
    /// Download an object to a file or stdout (`-`).
    Get(object::GetArgs),
    /// List buckets, or the objects of a bucket (optionally under a prefix).
    Ls(ls::Args),
    /// Object operations (rm).
    Object(object::ObjectArgs),
    /// Show cluster state.
    Show(show::Args),
    /// Initialize, run and manage ETLs (Wasm transforms in every target).
    Etl(etl::Args),
    /// Show, wait for and stop jobs.
    Job(job::Args),
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("lode: cannot start the async runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Up(args) => up::run(args).await,
            Command::Node(args) => node::run(args).await,
            Command::Bucket(args) => bucket::run(args).await,
            Command::Put(args) => object::put(args).await,
            Command::Get(args) => object::get(args).await,
            Command::Ls(args) => ls::run(args).await,
            Command::Object(args) => object::run(args).await,
            Command::Show(args) => show::run(args).await,
            Command::Etl(args) => etl::run(args).await,
            Command::Job(args) => job::run(args).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("lode: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
