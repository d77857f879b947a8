//! Listening and stopping: bind, serve until SIGTERM or SIGINT, then drain for a few seconds.

use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::signal::unix::{signal, SignalKind};

use crate::error::NodeError;

/// How long in-flight requests get after a stop signal.
const DRAIN: Duration = Duration::from_secs(5);

pub(crate) async fn bind(host: &str, port: u16) -> Result<TcpListener, NodeError> {
    TcpListener::bind((host, port))
        .await
        .map_err(|e| NodeError::Io(format!("listen on {host}:{port}"), e))
}

/// Serve `app` on `listener` until a stop signal, or until `fatal` yields an error (returned).
pub(crate) async fn serve(
    listener: TcpListener,
    app: Router,
    fatal: impl std::future::Future<Output = NodeError>,
) -> Result<(), NodeError> {
    let mut term = signal(SignalKind::terminate())
        .map_err(|e| NodeError::Io("install SIGTERM handler".into(), e))?;
    let mut int = signal(SignalKind::interrupt())
        .map_err(|e| NodeError::Io("install SIGINT handler".into(), e))?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        use axum::serve::ListenerExt;
        // Small answers must not wait for Nagle.
        let listener = listener.tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "cannot set TCP_NODELAY");
            }
        });
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stop_rx.await;
            })
            .await
    });
    let failure = tokio::select! {
        _ = term.recv() => None,
        _ = int.recv() => None,
        e = fatal => Some(e),
    };
    tracing::info!("stopping");
    let _ = stop_tx.send(());
    if let Some(e) = failure {
        return Err(e);
    }
    match tokio::time::timeout(DRAIN, server).await {
        Ok(Ok(Ok(()))) | Err(_) => Ok(()),
        Ok(Ok(Err(e))) => Err(NodeError::Io("serve".into(), e)),
        Ok(Err(e)) => Err(NodeError::Config(format!("server task failed: {e}"))),
    }
}
