//! Which spec a job runs on: the one the user named, else the testbed's, else the default.

use bencher_db::entities::{spec, testbed};
use bencher_db::queries::resolver::{spec_by_id, spec_by_uuid};
use bencher_db::queries::spec::{default_spec, spec_by_slug};
use bencher_db::{DatabaseConnection, DbError};
use bencher_oci::Platform;
use bencher_wire::ids::SpecUuid;
use bencher_wire::json::{Architecture, JsonSpec};
use bencher_wire::status::FailureReason;
use bencher_wire::values::{ResourceId, ResourceName};

/// The spec chosen for a job.
#[derive(Clone, Debug)]
pub(crate) struct ChosenSpec {
    /// The row.
    pub(crate) model: spec::Model,
    /// Whether the user named it (then the testbed is pinned to it).
    pub(crate) explicit: bool,
}

/// Explicit `--spec` (slug or UUID) → the testbed's spec → the default spec. `Ok(Err(..))` is a
/// failure the user sees: an unknown spec, or none given and no default.
pub(crate) async fn choose_spec(
    db: &DatabaseConnection,
    requested: Option<&ResourceId>,
    testbed: Option<&testbed::Model>,
) -> Result<Result<ChosenSpec, FailureReason>, DbError> {
    if let Some(id) = requested {
        let found = match id {
            ResourceId::Uuid(uuid) => spec_by_uuid(db, *uuid).await?,
            ResourceId::Slug(slug) => spec_by_slug(db, slug).await?,
        };
        return Ok(match found {
            Some(model) => Ok(ChosenSpec {
                model,
                explicit: true,
            }),
            None => Err(FailureReason::NoSpec {
                spec: Some(id.to_string()),
            }),
        });
    }
    if let Some(spec_id) = testbed.and_then(|t| t.spec_id)
        && let Some(model) = spec_by_id(db, spec_id).await?
    {
        return Ok(Ok(ChosenSpec {
            model,
            explicit: false,
        }));
    }
    Ok(match default_spec(db).await? {
        Some(model) => Ok(ChosenSpec {
            model,
            explicit: false,
        }),
        None => Err(FailureReason::NoSpec { spec: None }),
    })
}

/// The wire form of a stored spec; an error names the column that does not fit.
pub(crate) fn json_spec(model: &spec::Model) -> Result<JsonSpec, String> {
    let architecture = architecture(&model.architecture).ok_or_else(|| {
        format!(
            "spec {} has unknown architecture {:?}",
            model.slug, model.architecture
        )
    })?;
    let bad = |what: &str| format!("spec {} has an invalid {what}", model.slug);
    Ok(JsonSpec {
        uuid: SpecUuid::from(model.uuid),
        name: ResourceName::parse(&model.name).map_err(|_| bad("name"))?,
        slug: model.slug.parse().map_err(|_| bad("slug"))?,
        architecture,
        cpu: u32::try_from(model.cpu).map_err(|_| bad("cpu count"))?,
        memory: u64::try_from(model.memory).map_err(|_| bad("memory"))?,
        disk: u64::try_from(model.disk).map_err(|_| bad("disk"))?,
        network: model.network,
        default: model.is_default,
    })
}

/// The stored architecture (`x86_64`, `aarch64`; OCI spellings accepted too).
fn architecture(stored: &str) -> Option<Architecture> {
    match stored {
        "x86_64" | "amd64" => Some(Architecture::X86_64),
        "aarch64" | "arm64" => Some(Architecture::Aarch64),
        _ => None,
    }
}

/// The OCI platform a multi-platform image is resolved for on this spec.
pub(crate) fn platform(architecture: Architecture) -> Platform {
    match architecture {
        Architecture::X86_64 => Platform::new("linux", "amd64"),
        Architecture::Aarch64 => Platform::new("linux", "arm64"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn architectures_map_to_oci_platforms() {
        assert_eq!(
            platform(architecture("x86_64").unwrap()).to_string(),
            "linux/amd64"
        );
        assert_eq!(
            platform(architecture("arm64").unwrap()).to_string(),
            "linux/arm64"
        );
        assert!(architecture("riscv64").is_none());
    }
}
