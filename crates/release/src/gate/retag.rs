//! Moving a digest to the target's tags by manifest copy: the manifest is read by digest with
//! its exact media type and stored under the new tags. No pull, no rebuild, the digest stays.

use super::error::GateError;
use deploy_action_image::registry::Registry;
use deploy_action_image::tags::ImageRef;

/// Stores `image`'s manifest (`image` has a digest) under each of `tags` in the same
/// repository; returns `repository:tag` for each tag written.
pub async fn retag(
    registry: &Registry,
    image: &ImageRef,
    tags: &[String],
) -> Result<Vec<String>, GateError> {
    let name = image.name();
    let Some(digest) = image.digest() else {
        return Err(GateError::Usage(format!(
            "{name} has no digest; promote REPOSITORY@sha256:… so the exact image moves"
        )));
    };
    let failed = |tag: &str| {
        let image = format!("{name}@{digest}");
        let tag = tag.to_owned();
        move |source| GateError::Retag {
            image,
            tag,
            source: Box::new(source),
        }
    };
    let first = tags.first().map_or("", String::as_str);
    let manifest = registry
        .manifest(image.repository(), digest)
        .await
        .map_err(failed(first))?
        .ok_or_else(|| {
            GateError::Usage(format!(
                "{name}@{digest} is not in its registry; push it (deploy-action build --push) before promoting"
            ))
        })?;
    let mut written = Vec::new();
    for tag in tags {
        let stored = registry
            .put_manifest(image.repository(), tag, &manifest)
            .await
            .map_err(failed(tag))?;
        if stored != digest {
            return Err(GateError::Usage(format!(
                "the registry stored {name}:{tag} as {stored}, not {digest}; it rewrote the manifest, so promotion by copy is not possible with it"
            )));
        }
        written.push(format!("{name}:{tag}"));
    }
    Ok(written)
}
