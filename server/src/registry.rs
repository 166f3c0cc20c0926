//! The registry of active workshops: finds a workshop's task, loading it from the store on first
//! use, and forgets it when the task unloads itself after being idle. Deleting a workshop goes
//! through here too, so that no task can load it again while it is being deleted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use kring_shared::ids::WorkshopId;
use tokio::sync::Mutex as AsyncMutex;

use crate::store::StoreError;
use crate::workshop::{self, Command, TaskContext, WorkshopHandle};

pub struct Registry {
    ctx: TaskContext,
    /// A std mutex: held only for map lookups, never across an await.
    active: Arc<Mutex<HashMap<WorkshopId, WorkshopHandle>>>,
    /// Serialises loading, so two first connections do not load the same workshop twice.
    loading: AsyncMutex<()>,
}

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("no such workshop")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the workshop is not answering")]
    Unavailable,
    #[error(transparent)]
    Cluster(#[from] crate::cluster::ClusterError),
}

impl Registry {
    pub fn new(ctx: TaskContext) -> Self {
        Self {
            ctx,
            active: Arc::default(),
            loading: AsyncMutex::new(()),
        }
    }

    fn lookup(&self, id: WorkshopId) -> Option<WorkshopHandle> {
        self.active
            .lock()
            .expect("registry lock poisoned")
            .get(&id)
            .filter(|h| !h.commands.is_closed())
            .cloned()
    }

    /// Whether the workshop's task runs on this node now (it is in use, or was a moment ago).
    pub fn is_loaded(&self, id: WorkshopId) -> bool {
        self.lookup(id).is_some()
    }

    /// The workshop's task, loaded if needed.
    pub async fn get(&self, id: WorkshopId) -> Result<WorkshopHandle, RegistryError> {
        if let Some(h) = self.lookup(id) {
            return Ok(h);
        }
        let _guard = self.loading.lock().await;
        if let Some(h) = self.lookup(id) {
            return Ok(h);
        }
        let row = self
            .ctx
            .store
            .workshop(id)
            .await?
            .ok_or(RegistryError::NotFound)?;
        let active = Arc::clone(&self.active);
        let handle = workshop::start(id, row.workshop_doc, self.ctx.clone(), move || {
            let mut map = active.lock().expect("registry lock poisoned");
            if map.get(&id).is_some_and(|h| h.commands.is_closed()) {
                map.remove(&id);
            }
        })
        .await?;
        self.active
            .lock()
            .expect("registry lock poisoned")
            .insert(id, handle.clone());
        Ok(handle)
    }

    /// Sends a command, loading the workshop again if its task unloaded in between.
    pub async fn send(&self, id: WorkshopId, mut cmd: Command) -> Result<(), RegistryError> {
        for _ in 0..2 {
            let h = self.get(id).await?;
            match h.commands.send(cmd).await {
                Ok(()) => return Ok(()),
                Err(returned) => cmd = returned.0,
            }
        }
        Err(RegistryError::Unavailable)
    }

    /// Deletes a workshop for good: stops its task (see [`Command::Retire`]) and deletes it from
    /// the store, holding the loading lock so that nobody loads it in between. Without `force`
    /// a workshop that has been used since `idle_before` (ms) or has connections is kept.
    /// Answers whether it was deleted.
    pub async fn delete(
        &self,
        id: WorkshopId,
        force: bool,
        idle_before: i64,
    ) -> Result<bool, RegistryError> {
        let _guard = self.loading.lock().await;
        let mut retired = false;
        if let Some(h) = self.lookup(id) {
            let (reply, answer) = tokio::sync::oneshot::channel();
            let retire = Command::Retire {
                force,
                idle_before,
                reply,
            };
            if h.commands.send(retire).await.is_ok() {
                match answer.await {
                    Ok(true) => retired = true,
                    Ok(false) => return Ok(false),
                    // The task ended on its own (idle unload, shutdown): nothing runs any more.
                    Err(_) => {}
                }
            }
        }
        if self.ctx.store.workshop(id).await?.is_none() {
            return Err(RegistryError::NotFound);
        }
        // Used (loaded and unloaded) since the caller looked? Then it is not idle any more.
        if !force
            && !retired
            && let Some(a) = self.ctx.store.activity(id).await?
            && a.active_at >= idle_before
        {
            return Ok(false);
        }
        self.ctx.store.delete_workshop(id).await?;
        if let Some(cluster) = &self.ctx.cluster {
            cluster.publish_deleted(id).await;
        }
        self.active
            .lock()
            .expect("registry lock poisoned")
            .remove(&id);
        tracing::info!(workshop = %id, force, "workshop deleted");
        Ok(true)
    }

    /// Handles of every loaded workshop (for shutdown).
    pub fn handles(&self) -> Vec<WorkshopHandle> {
        self.active
            .lock()
            .expect("registry lock poisoned")
            .values()
            .cloned()
            .collect()
    }
}
