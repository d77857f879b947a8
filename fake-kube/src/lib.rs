//! A fake Kubernetes API server, for testing lode's `kubernetes` ETL runner where no cluster
//! exists. It serves only the Pod endpoints the runner uses, in the real API's JSON shapes:
//!
//! | Request | Answer |
//! |---|---|
//! | `POST /api/v1/namespaces/{ns}/pods` | 201 + the pod; 409 `AlreadyExists` Status |
//! | `GET /api/v1/namespaces/{ns}/pods/{name}` | the pod; 404 `NotFound` Status |
//! | `GET /api/v1/namespaces/{ns}/pods?labelSelector=k=v,...` | a `PodList` (equality selectors only) |
//! | `DELETE /api/v1/namespaces/{ns}/pods/{name}` | the pod, once its process is gone; 404 Status |
//! | `GET /api/v1/namespaces/{ns}/pods/{name}/log?tailLines=N` | its output, `text/plain` |
//!
//! Its "kubelet" runs each pod's first container (`command` + `args`, `env` literal values,
//! `workingDir`) as a local process through lode-container's
//! [`ProcessPod`](lode_container::ProcessPod): in its own network namespace where permitted (so
//! it keeps the declared port of the port named `default`, reached through a forwarded loopback
//! port), else with that port rewritten onto a free one; the process gets its own process group
//! and its output is kept for the log endpoint. Once `GET /health` (and the readiness probe's path, if another)
//! answers 200, the pod gets phase `Running`, `status.podIP` 127.0.0.1 and the `Ready`
//! condition, and its stored `containerPort` of port `default` is rewritten to the real port:
//! that stands in for a pod network, where every pod has its own IP and so can keep the
//! declared port. A process that exits before it is ready fails the pod (phase `Failed`, the
//! container `terminated` with its exit code). Deleting a pod stops its process group
//! (SIGTERM, then SIGKILL) before the answer; so does dropping the [`FakeKube`].
//!
//! What is *not* faked: scheduling (node affinity is only recorded), images (a container
//! without a `command` fails: its entrypoint is unknown), volumes (hostPath mounts are not
//! enforced: the processes see the host's filesystem anyway), `valueFrom` env, restarts in the
//! status (the process supervisor restarts a crashed server silently), watches, auth, every
//! other resource and verb.

#![deny(missing_docs)]

mod api;
mod kubelet;
mod shapes;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A running fake API server on a loopback port. Dropping it stops the server and kills every
/// pod's process.
pub struct FakeKube {
    url: String,
    state: Arc<State>,
    server: JoinHandle<()>,
}

/// Every pod, by (namespace, name).
#[derive(Default)]
pub(crate) struct State {
    pods: Mutex<BTreeMap<(String, String), kubelet::Entry>>,
    next_uid: Mutex<u64>,
}

impl State {
    pub(crate) fn lock(
        &self,
    ) -> std::sync::MutexGuard<'_, BTreeMap<(String, String), kubelet::Entry>> {
        self.pods.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn uid(&self) -> String {
        let mut n = self.next_uid.lock().unwrap_or_else(PoisonError::into_inner);
        *n += 1;
        format!("00000000-0000-4000-8000-{:012x}", *n)
    }
}

impl FakeKube {
    /// Serves on a free port of 127.0.0.1.
    pub async fn start() -> std::io::Result<FakeKube> {
        FakeKube::serve(TcpListener::bind("127.0.0.1:0").await?)
    }

    /// Serves on `listener`.
    pub fn serve(listener: TcpListener) -> std::io::Result<FakeKube> {
        let url = format!("http://{}", listener.local_addr()?);
        let state = Arc::new(State::default());
        let app = api::router(state.clone());
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!(error = %e, "fake API server stopped");
            }
        });
        Ok(FakeKube { url, state, server })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The names of the pods in `namespace`.
    pub fn pod_names(&self, namespace: &str) -> Vec<String> {
        self.state
            .lock()
            .keys()
            .filter(|(ns, _)| ns == namespace)
            .map(|(_, name)| name.clone())
            .collect()
    }

    /// Pod `name` in `namespace`, as the API serves it.
    pub fn pod(&self, namespace: &str, name: &str) -> Option<Value> {
        self.state
            .lock()
            .get(&(namespace.to_owned(), name.to_owned()))
            .map(|e| e.pod.clone())
    }

    /// The process group id of pod `name`'s server, while it runs.
    pub fn pid(&self, namespace: &str, name: &str) -> Option<u32> {
        self.state
            .lock()
            .get(&(namespace.to_owned(), name.to_owned()))
            .and_then(kubelet::Entry::pid)
    }
}

impl Drop for FakeKube {
    fn drop(&mut self) {
        self.server.abort();
        // Dropping the entries aborts their kubelets and SIGKILLs their process groups.
        std::mem::take(&mut *self.state.lock());
    }
}
