//! The cluster bench's load drivers: running N operations with bounded concurrency on tasks
//! (HTTP) or threads (raw files).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lode_benches::Result;

/// Requests (or file operations) in flight at once.
pub(crate) const CONCURRENCY: usize = 8;

/// Runs `op(i)` for every i in 0..count on CONCURRENCY tasks; returns the wall time.
pub(crate) async fn run_tasks<F, Fut>(count: usize, op: F) -> Result<Duration>
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<()>> + Send,
{
    let op = Arc::new(op);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let mut tasks = tokio::task::JoinSet::<Result<()>>::new();
    for _ in 0..CONCURRENCY {
        let (op, next) = (op.clone(), next.clone());
        tasks.spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= count {
                    return Ok(());
                }
                op(i).await?;
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.map_err(|e| format!("task: {e}"))??;
    }
    Ok(start.elapsed())
}

/// Runs `op(i)` for every i in 0..count on CONCURRENCY threads; returns the wall time.
pub(crate) fn run_threads(
    count: usize,
    op: impl Fn(usize, &mut Vec<u8>) -> Result<()> + Sync,
) -> Result<Duration> {
    let next = AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..CONCURRENCY)
            .map(|_| {
                s.spawn(|| -> Result<()> {
                    let mut buf = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= count {
                            return Ok(());
                        }
                        op(i, &mut buf)?;
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .try_for_each(|w| w.join().map_err(|_| "worker panicked".to_string())?)
    })?;
    Ok(start.elapsed())
}
