//! Orphan cleanup: the pods a previous run of this target started (labelled
//! `app.kubernetes.io/managed-by=lode,lode.target=<id>`) are deleted when the target starts,
//! before it starts any ETL; the ETLs the metadata marks to run are then started afresh.

use kube::api::{DeleteParams, ListParams};

use super::{api_err, not_found, object, Kube};
use crate::RunError;

impl Kube {
    /// Deletes every pod this target started in an earlier run; returns their names.
    pub async fn cleanup_orphans(&self) -> Result<Vec<String>, RunError> {
        let api = self.api();
        let selector = object::target_selector(&self.cfg.target_id);
        let pods = api
            .list(&ListParams::default().labels(&selector))
            .await
            .map_err(api_err(format!("listing pods {selector}")))?;
        let mut deleted = Vec::new();
        for pod in pods.items {
            let Some(name) = pod.metadata.name else {
                continue;
            };
            match api.delete(&name, &DeleteParams::default()).await {
                Ok(_) => {}
                Err(e) if not_found(&e) => {}
                Err(e) => return Err(api_err(format!("deleting orphan pod {name}"))(e)),
            }
            tracing::info!(pod = %name, "deleted an orphan ETL pod");
            deleted.push(name);
        }
        Ok(deleted)
    }
}
