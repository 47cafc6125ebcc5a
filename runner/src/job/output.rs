//! Outputs in events: inline when small, else an object in the outputs store.

use async_nats::jetstream::object_store::ObjectStore;
use bencher_wire::ids::JobUuid;
use bencher_wire::image::Digest;
use bencher_wire::msg::OutputRef;

use crate::Shared;

/// Stores outputs of one attempt, opening the outputs bucket on first use.
pub(crate) struct OutputSink<'a> {
    shared: &'a Shared,
    job: JobUuid,
    attempt: u32,
    store: Option<ObjectStore>,
}

impl<'a> OutputSink<'a> {
    /// A sink for `job`'s `attempt`.
    pub(crate) fn new(shared: &'a Shared, job: JobUuid, attempt: u32) -> Self {
        Self {
            shared,
            job,
            attempt,
            store: None,
        }
    }

    /// `bytes` inline (lossy UTF-8) when at most [`OutputRef::INLINE_MAX`], else stored as
    /// `<job>/<attempt>/<iteration>/<what>` in the outputs bucket.
    pub(crate) async fn output(
        &mut self,
        iteration: u32,
        what: &str,
        bytes: &[u8],
    ) -> Result<OutputRef, String> {
        if bytes.len() <= OutputRef::INLINE_MAX {
            return Ok(OutputRef::inline(String::from_utf8_lossy(bytes)));
        }
        let bucket = self.shared.config.topology.outputs_store().bucket;
        let store = match &self.store {
            Some(store) => store.clone(),
            None => {
                let store = self
                    .shared
                    .js
                    .get_object_store(&bucket)
                    .await
                    .map_err(|e| format!("cannot open the outputs store {bucket}: {e}"))?;
                self.store = Some(store.clone());
                store
            }
        };
        let name = format!("{}/{}/{iteration}/{what}", self.job, self.attempt);
        let mut reader = bytes;
        store
            .put(name.as_str(), &mut reader)
            .await
            .map_err(|e| format!("cannot store {what} in {bucket}: {e}"))?;
        let digest = Digest::parse(&bencher_oci::Digest::of(bytes).to_string())
            .map_err(|e| format!("digest of {what}: {e}"))?;
        tracing::debug!(job = %self.job, object = %name, size = bytes.len(), "output stored");
        Ok(OutputRef::Object {
            bucket,
            name,
            size: u64::try_from(bytes.len()).unwrap_or(u64::MAX),
            digest,
        })
    }
}
