//! `--platform a,b`: one BuildKit build per platform (the daemon's image store holds one
//! platform per image), each pushed by digest under the first tag of its repository, then an
//! OCI image index over them stored under every tag. Locally the tags name the image of the
//! daemon's own platform (else the first built), so `docker run` works on this machine.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use super::{BuildOutcome as Outcome, BuildRun, check_platform};
use crate::ImageError;
use crate::auth::RegistryAuth;
use crate::build::same_platform;
use crate::buildkey::{BUILD_KEY_LABEL, SHAPE_KEY_LABEL};
use crate::buildkit::{self, Failure};
use crate::daemon::Daemon;
use crate::index::{PlatformManifest, put_index};
use crate::registry::Registry;

/// One platform's image.
struct PlatformImage {
    /// As asked (`linux/arm64`).
    platform: String,
    /// As the image says (`linux/arm64/v8`).
    actual: String,
    image_id: String,
    key: String,
    reused: bool,
    steps: (usize, usize),
}

/// Builds and pushes every platform of `job`.
pub(super) async fn run(
    job: &BuildRun<'_>,
    daemon: &Daemon,
    registries: &HashMap<String, Registry>,
    auths: &HashMap<String, Option<RegistryAuth>>,
    started: Instant,
) -> Result<Outcome, ImageError> {
    let args = job.req;
    let user_labels = job.user_labels()?;
    let stats = job.digest().await?;
    job.log_context(&stats);
    let mut images = Vec::new();
    for platform in &job.req.options.platforms {
        images.push(build_platform(job, daemon, auths, &user_labels, &stats, platform).await?);
    }
    let native = format!("{}/{}", daemon.info().os, daemon.info().arch);
    let local = images
        .iter()
        .find(|i| same_platform(&native, &i.actual))
        .or(images.first())
        .ok_or_else(|| ImageError::Usage("--platform names no platform".to_owned()))?;
    for reference in &job.req.refs {
        daemon.tag(&local.image_id, reference).await?;
    }

    let mut pushed = Vec::new();
    let mut platforms: Vec<(String, String)> = images
        .iter()
        .map(|i| (i.platform.clone(), i.image_id.clone()))
        .collect();
    if args.push {
        job.progress.group_start("docker push");
        let result = push_all(job, daemon, registries, auths, &images, local).await;
        job.progress.group_end();
        let (refs, digests) = result?;
        pushed = refs;
        platforms = digests;
    }
    let labels = daemon
        .inspect(&local.image_id)
        .await?
        .map(|i| i.labels)
        .unwrap_or_default();
    let steps = images
        .iter()
        .fold((0, 0), |(c, f), i| (c + i.steps.0, f + i.steps.1));
    Ok(Outcome {
        image_id: local.image_id.clone(),
        reused_from: images.iter().all(|i| i.reused).then_some("daemon"),
        builder: "buildkit",
        context_digest: stats.context_digest,
        context_files: stats.files,
        context_bytes: stats.content_bytes,
        build_key: local.key.clone(),
        labels,
        refs: job.req.refs.clone(),
        images: job.req.images.clone(),
        pushed,
        platforms,
        steps: Some(steps),
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Builds (or finds in the daemon) the image of one platform.
async fn build_platform(
    job: &BuildRun<'_>,
    daemon: &Daemon,
    auths: &HashMap<String, Option<RegistryAuth>>,
    user_labels: &BTreeMap<String, String>,
    stats: &crate::context::PackStats,
    platform: &str,
) -> Result<PlatformImage, ImageError> {
    let args = job.req;
    let key = job.key_of(user_labels, &stats.context_digest, Some(platform));
    let rebuild = args.rebuild();
    if !rebuild && let Some(id) = daemon.find_by_label(BUILD_KEY_LABEL, &key).await? {
        job.log(&format!("{platform}: reusing {id} (same build key)\n"));
        let actual = check_platform(daemon, &id, platform).await?;
        return Ok(PlatformImage {
            platform: platform.to_owned(),
            actual,
            image_id: id,
            key,
            reused: true,
            steps: (0, 0),
        });
    }
    let mut labels = job.labels_for(Some(&stats.context_digest))?;
    labels.insert(BUILD_KEY_LABEL.to_owned(), key.clone());
    labels.insert(
        SHAPE_KEY_LABEL.to_owned(),
        job.key_of(user_labels, &stats.shape_digest, Some(platform)),
    );
    let spec = job.buildkit_spec(Some(platform), labels, None);
    let services = job.services(auths)?;
    job.progress
        .group_start(&format!("docker build ({platform})"));
    let mut sink = |text: &str| job.log(text);
    let built = buildkit::build(
        daemon,
        &job.req.context,
        &spec,
        services,
        job.req.secrets.redactions(),
        &mut sink,
    )
    .await;
    job.progress.group_end();
    let built = built.map_err(|failure| match failure {
        Failure::Image(err) => err,
        Failure::Unsupported(why) => {
            ImageError::Usage(format!("several platforms need BuildKit: {why}"))
        }
    })?;
    let actual = check_platform(daemon, &built.image_id, platform).await?;
    Ok(PlatformImage {
        platform: platform.to_owned(),
        actual,
        image_id: built.image_id,
        key,
        reused: false,
        steps: (built.cached_steps, built.steps),
    })
}

/// Pushes every platform under each repository's first tag and puts the index under all its
/// tags; returns the pushed references with the index digest, and each platform's manifest
/// digest (of the first repository).
async fn push_all(
    job: &BuildRun<'_>,
    daemon: &Daemon,
    registries: &HashMap<String, Registry>,
    auths: &HashMap<String, Option<RegistryAuth>>,
    images: &[PlatformImage],
    local: &PlatformImage,
) -> Result<(Vec<(crate::tags::ImageRef, String)>, Vec<(String, String)>), ImageError> {
    let mut pushed = Vec::new();
    let mut platforms = Vec::new();
    for image in &job.req.images {
        let Some(registry) = registries.get(image.registry()) else {
            continue;
        };
        let refs: Vec<_> = job
            .req
            .refs
            .iter()
            .filter(|r| r.name() == image.name())
            .collect();
        let Some(first) = refs.first() else { continue };
        let mut manifests = Vec::new();
        for built in images {
            daemon.tag(&built.image_id, first).await?;
            let digest = job.push_one(daemon, registry, auths, first).await?;
            job.log(&format!("  {}: {digest}\n", built.actual));
            manifests.push(PlatformManifest {
                platform: built.actual.clone(),
                digest,
            });
        }
        daemon.tag(&local.image_id, first).await?;
        let tags: Vec<String> = refs
            .iter()
            .filter_map(|r| r.tag().map(str::to_owned))
            .collect();
        let index = put_index(registry, image.repository(), &tags, &manifests).await?;
        job.log(&format!(
            "index {}@{index}: {} platforms\n",
            image.name(),
            manifests.len()
        ));
        for r in refs {
            pushed.push((r.clone(), index.clone()));
        }
        if platforms.is_empty() {
            platforms = images
                .iter()
                .zip(&manifests)
                .map(|(i, m)| (i.platform.clone(), m.digest.clone()))
                .collect();
        }
    }
    Ok((pushed, platforms))
}
