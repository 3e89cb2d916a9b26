//! One build through the classic builder (`--builder classic`, or a daemon without BuildKit),
//! reading the context once: streamed while hashed, the end held back for the build-or-reuse
//! decision (see `image::build`).

use std::collections::{BTreeMap, HashMap};

use super::{BuildRun, Made};
use crate::ImageError;
use crate::auth::{RegistryAuth, server_address};
use crate::build::{BuildOrReuse, BuildSpec, build};
use crate::buildkey::{BUILD_KEY_LABEL, SHAPE_KEY_LABEL};
use crate::context::PackStats;
use crate::daemon::{Daemon, credentials};
use crate::registry::Registry;

impl BuildRun<'_> {
    /// One build through the classic builder, reading the context once (see `image::build`).
    pub(super) async fn classic(
        &self,
        daemon: &Daemon,
        registries: &HashMap<String, Registry>,
        auths: &HashMap<String, Option<RegistryAuth>>,
    ) -> Result<Made, ImageError> {
        let args = self.req;
        let platform = args.platform.as_deref();
        let primary = self.req.refs.first().cloned().ok_or_else(|| {
            ImageError::Usage("no image reference to build; pass --image".to_owned())
        })?;
        let user_labels = self.user_labels()?;

        // Reading the context once: when no image with the context's shape (found from
        // listings and lstat, see `BuildContext::shape_digest`) exists, none with its content
        // can, so the context streams to the daemon and is hashed on the way (`image::build`).
        // When one does, the context is likely unchanged: it is read for its digest first, and
        // only uploaded (read a second time) if no image has the same build key after all.
        let rebuild = args.rebuild();
        let may_reuse = if rebuild {
            false
        } else {
            let shape_context = self.req.context.clone();
            let shape = tokio::task::spawn_blocking(move || shape_context.shape_digest())
                .await
                .map_err(|e| ImageError::Usage(format!("listing the context failed: {e}")))??;
            self.shape_seen(
                daemon,
                registries,
                &self.key_of(&user_labels, &shape, platform),
            )
            .await?
        };

        let mut key = String::new();
        let mut labels = BTreeMap::new();
        let mut reused_from = None;
        let looked = std::cell::Cell::new(!may_reuse);
        let mut decide = async |stats: &PackStats| -> Result<BuildOrReuse, ImageError> {
            self.log_context(stats);
            labels = self.labels_for(Some(&stats.context_digest))?;
            key = self.key_of(&user_labels, &stats.context_digest, platform);
            labels.insert(BUILD_KEY_LABEL.to_owned(), key.clone());
            labels.insert(
                SHAPE_KEY_LABEL.to_owned(),
                self.key_of(&user_labels, &stats.shape_digest, platform),
            );
            if rebuild || looked.replace(true) {
                return Ok(BuildOrReuse::Build {
                    labels: labels.clone(),
                });
            }
            if let Some((id, from)) = self
                .find_existing(daemon, None, registries, auths, &key)
                .await?
            {
                reused_from = Some(from);
                return Ok(BuildOrReuse::Reuse { image_id: id });
            }
            Ok(BuildOrReuse::Build {
                labels: labels.clone(),
            })
        };
        let mut reused = None;
        if may_reuse {
            self.log(
                "an image with this context's shape exists: reading the context for its digest\n",
            );
            let stats = self.digest().await?;
            if let BuildOrReuse::Reuse { image_id } = decide(&stats).await? {
                reused = Some((image_id, stats));
            }
        }

        let spec = BuildSpec {
            tag: primary.to_string(),
            build_args: self.req.build_args.clone(),
            target: args.target.clone(),
            platform: platform.map(str::to_owned),
            cache_from: self.req.options.cache_from.clone(),
            pull: args.pull,
            no_cache: args.no_cache,
            registry_config: auths
                .iter()
                .filter_map(|(host, auth)| {
                    let auth = auth.as_ref()?;
                    Some((server_address(host), credentials(host, Some(auth))))
                })
                .collect(),
        };
        let (image_id, stats) = match reused {
            Some(found) => found,
            None => {
                self.progress
                    .group_start(&format!("docker build {primary}"));
                let built = build(
                    daemon,
                    &self.req.context,
                    self.pack,
                    &spec,
                    &mut decide,
                    |t: &str| self.log(t),
                )
                .await;
                self.progress.group_end();
                let built = built?;
                (built.image_id, built.stats)
            }
        };
        Ok(Made {
            image_id,
            stats,
            key,
            labels,
            reused_from,
            steps: None,
        })
    }
}
