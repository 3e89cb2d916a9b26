//! Moving a digest to the target's tags by manifest copy: the manifest is read by digest with
//! its exact media type and stored under the new tags. No pull, no rebuild, the digest stays.

use std::collections::HashMap;
use std::path::Path;

use super::error::GateError;
use deploy_action_image::auth::DockerConfig;
use deploy_action_image::registry::Registry;
use deploy_action_image::retry::Backoff;
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

/// One registry client per registry host of `images`, with the credentials of the Docker config
/// in `docker_config` (a folder holding `config.json`; none: anonymous).
pub fn registries(
    images: &[ImageRef],
    docker_config: Option<&Path>,
) -> Result<HashMap<String, Registry>, GateError> {
    let config = match docker_config {
        Some(d) if d.join("config.json").exists() => {
            Some(DockerConfig::load(d).map_err(|source| GateError::Retag {
                image: "(docker config)".into(),
                tag: String::new(),
                source: Box::new(source),
            })?)
        }
        _ => None,
    };
    let mut out = HashMap::new();
    for image in images {
        let host = image.registry().to_owned();
        if out.contains_key(&host) {
            continue;
        }
        let wrap = |source| GateError::Retag {
            image: image.name(),
            tag: String::new(),
            source: Box::new(source),
        };
        let auth = match &config {
            Some(c) => c.credentials(&host).map_err(wrap)?,
            None => None,
        };
        let registry = Registry::new(&host, auth, Backoff::default()).map_err(wrap)?;
        out.insert(host, registry);
    }
    Ok(out)
}

/// Retags every image (with a digest) as each of `tags`, with the credentials of
/// `docker_config` (see [`registries`]); returns what was written. `log` gets a line per image.
pub async fn retag_all(
    images: &[ImageRef],
    tags: &[String],
    docker_config: Option<&Path>,
    log: &mut dyn FnMut(&str),
) -> Result<Vec<String>, GateError> {
    let registries = registries(images, docker_config)?;
    let mut written = Vec::new();
    for image in images {
        let Some(registry) = registries.get(image.registry()) else {
            continue;
        };
        log(&format!(
            "retagging {}@{} as {}",
            image.name(),
            image.digest().unwrap_or_default(),
            tags.join(", ")
        ));
        written.extend(retag(registry, image, tags).await?);
    }
    Ok(written)
}
