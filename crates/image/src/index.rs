//! Multi-platform images: each platform is built and pushed on its own (a daemon without the
//! containerd image store cannot hold several platforms under one name), then an OCI image
//! index naming every platform's manifest is stored under each tag through the registry API.

use serde_json::json;
use sha2::{Digest, Sha256};

use super::ImageError;
use super::registry::{Manifest, Registry};

/// The media type of the index.
pub const INDEX_MEDIA_TYPE: &str = "application/vnd.oci.image.index.v1+json";

/// One platform's pushed manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlatformManifest {
    /// `os/arch[/variant]` of the image.
    pub platform: String,
    /// The manifest's digest in the repository.
    pub digest: String,
}

/// Builds the index over `manifests` (read back from the registry for their media types and
/// sizes) and stores it under every tag in `tags`; returns the index digest.
pub async fn put_index(
    registry: &Registry,
    repository: &str,
    tags: &[String],
    manifests: &[PlatformManifest],
) -> Result<String, ImageError> {
    let mut entries = Vec::new();
    for m in manifests {
        let stored = registry
            .manifest(repository, &m.digest)
            .await?
            .ok_or_else(|| ImageError::Registry {
                registry: registry.host().to_owned(),
                detail: format!("{repository}@{} vanished after its push", m.digest),
            })?;
        let mut parts = m.platform.split('/');
        let os = parts.next().unwrap_or_default();
        let arch = parts.next().unwrap_or_default();
        let mut platform = json!({ "architecture": arch, "os": os });
        if let Some(variant) = parts.next().filter(|v| !v.is_empty()) {
            platform["variant"] = json!(variant);
        }
        entries.push(json!({
            "mediaType": stored.media_type,
            "digest": m.digest,
            "size": stored.bytes.len(),
            "platform": platform,
        }));
    }
    let index = json!({
        "schemaVersion": 2,
        "mediaType": INDEX_MEDIA_TYPE,
        "manifests": entries,
    });
    let bytes = serde_json::to_vec(&index).map_err(|e| ImageError::Registry {
        registry: registry.host().to_owned(),
        detail: e.to_string(),
    })?;
    let digest = format!(
        "sha256:{}",
        Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let manifest = Manifest {
        media_type: INDEX_MEDIA_TYPE.to_owned(),
        bytes: bytes.into(),
        digest: digest.clone(),
    };
    for tag in tags {
        let stored = registry.put_manifest(repository, tag, &manifest).await?;
        if stored != digest {
            return Err(ImageError::DigestMismatch {
                reference: format!("{}/{repository}:{tag}", registry.host()),
                pushed: digest,
                served: stored,
            });
        }
    }
    Ok(digest)
}
