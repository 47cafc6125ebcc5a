//! Reading a job's outputs: inline text, or an object in the outputs store whose size and sha256
//! digest are checked against the reference the runner sent.

use async_nats::jetstream;
use async_nats::jetstream::object_store::GetErrorKind;
use bencher_wire::image::Digest;
use bencher_wire::msg::OutputRef;
use bencher_wire::status::FailureReason;
use sha2::{Digest as _, Sha256};
use tokio::io::AsyncReadExt;

use crate::error::ProcessorError;

/// The text of an output; `Ok(Err(reason))` when it can never be read (gone, or not what the
/// runner stored), `Err` when a later attempt may succeed.
pub(crate) async fn fetch_text(
    js: &jetstream::Context,
    output: &OutputRef,
) -> Result<Result<String, FailureReason>, ProcessorError> {
    let (bucket, name, size, digest) = match output {
        OutputRef::Inline { text } => return Ok(Ok(text.clone())),
        OutputRef::Object {
            bucket,
            name,
            size,
            digest,
        } => (bucket, name, *size, digest),
    };
    let store =
        js.get_object_store(bucket)
            .await
            .map_err(|source| ProcessorError::OutputStore {
                bucket: bucket.clone(),
                source,
            })?;
    let mut object = match store.get(name).await {
        Ok(object) => object,
        Err(e) if e.kind() == GetErrorKind::NotFound => {
            return Ok(Err(internal(format!(
                "output {name} is not in the outputs store {bucket} (expired or never stored)"
            ))));
        }
        Err(source) => {
            return Err(ProcessorError::OutputGet {
                name: name.clone(),
                source,
            });
        }
    };
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0).min(64 << 20));
    object
        .read_to_end(&mut bytes)
        .await
        .map_err(|source| ProcessorError::OutputRead {
            name: name.clone(),
            source,
        })?;
    Ok(verify(name, &bytes, size, digest).map(|()| String::from_utf8_lossy(&bytes).into_owned()))
}

/// Check what was read against the reference.
fn verify(name: &str, bytes: &[u8], size: u64, digest: &Digest) -> Result<(), FailureReason> {
    let read = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if read != size {
        return Err(internal(format!(
            "output {name} has {read} bytes, the runner reported {size}"
        )));
    }
    if digest.algorithm() != "sha256" {
        return Err(internal(format!(
            "output {name} has a {} digest; only sha256 is supported",
            digest.algorithm()
        )));
    }
    let actual = Digest::sha256_from_bytes(Sha256::digest(bytes).into());
    if &actual != digest {
        return Err(internal(format!(
            "output {name} does not match its digest: expected {digest}, read {actual}"
        )));
    }
    Ok(())
}

fn internal(message: String) -> FailureReason {
    FailureReason::Internal { message }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_checks_size_and_digest() {
        let bytes = b"hello";
        let digest = Digest::sha256_from_bytes(Sha256::digest(bytes).into());
        assert!(verify("o", bytes, 5, &digest).is_ok());
        let wrong_size = verify("o", bytes, 6, &digest).unwrap_err().message();
        assert!(wrong_size.contains("5 bytes"), "{wrong_size}");
        let other = Digest::sha256_from_bytes(Sha256::digest(b"hellp").into());
        let mismatch = verify("o", bytes, 5, &other).unwrap_err().message();
        assert!(mismatch.contains("does not match its digest"), "{mismatch}");
    }
}
