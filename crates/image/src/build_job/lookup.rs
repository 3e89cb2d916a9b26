//! Credentials and registry clients, looking for an image to reuse (daemon, then registries),
//! and pushing with verified digests.

use std::collections::HashMap;

use super::BuildRun;
use crate::ImageError;
use crate::auth::{DockerConfig, RegistryAuth};
use crate::buildkey::{BUILD_KEY_LABEL, SHAPE_KEY_LABEL};
use crate::buildkit::{filesync::FileSync, services::Auth, session::Services, ssh::SshAgents};
use crate::daemon::{Daemon, Labelled};
use crate::push::{PushEvent, push};
use crate::registry::Registry;
use crate::retry::Backoff;
use crate::tags::ImageRef;

impl BuildRun<'_> {
    /// A registry client per `--image` registry when pushing.
    pub(super) fn registries(
        &self,
        auths: &HashMap<String, Option<RegistryAuth>>,
    ) -> Result<HashMap<String, Registry>, ImageError> {
        let mut map = HashMap::new();
        if !self.req.push {
            return Ok(map);
        }
        for image in &self.req.images {
            let host = image.registry().to_owned();
            let auth = auths.get(&host).cloned().flatten();
            map.insert(
                host.clone(),
                Registry::new(&host, auth, Backoff::default())?,
            );
        }
        Ok(map)
    }

    /// Credentials per registry of the `--image`s: the explicit ones, else the Docker config's.
    pub(super) fn auths(&self) -> Result<HashMap<String, Option<RegistryAuth>>, ImageError> {
        let mut out = HashMap::new();
        if !self.req.push && self.req.credentials.is_none() {
            return Ok(out);
        }
        let config = match (&self.req.credentials, &self.req.docker_config) {
            (None, Some(dir)) => Some(DockerConfig::load(dir)?),
            _ => None,
        };
        for image in &self.req.images {
            let host = image.registry().to_owned();
            let auth = match (&self.req.credentials, &config) {
                (Some(auth), _) => Some(auth.clone()),
                (None, Some(config)) => config.credentials(&host)?,
                (None, None) => None,
            };
            out.insert(host, auth);
        }
        Ok(out)
    }

    /// The session's services for one BuildKit build.
    pub(super) fn services(
        &self,
        auths: &HashMap<String, Option<RegistryAuth>>,
    ) -> Result<Services, ImageError> {
        let getenv = |k: &str| self.req.env.get(k).cloned();
        let scratch = &self.req.scratch;
        let explicit = auths
            .iter()
            .filter_map(|(host, auth)| Some((host.clone(), auth.clone()?)))
            .collect();
        let config = match &self.req.docker_config {
            Some(dir) => Some(DockerConfig::load(dir)?),
            None => None,
        };
        Ok(Services {
            filesync: FileSync::new(&self.req.context),
            secrets: self.req.secrets.clone(),
            ssh: SshAgents::load(&self.req.options.ssh, &getenv, scratch)?,
            auth: Auth::new(explicit, config),
        })
    }

    /// Looks for an image with build key `key`: the daemon's (in `local`, its images listed
    /// while the digest was read, when given), then (pushing) a registry's under the computed
    /// tags.
    pub(super) async fn find_existing(
        &self,
        daemon: &Daemon,
        local: Option<&Labelled>,
        registries: &HashMap<String, Registry>,
        auths: &HashMap<String, Option<RegistryAuth>>,
        key: &str,
    ) -> Result<Option<(String, &'static str)>, ImageError> {
        let found = match local {
            Some(local) => local.newest(key),
            None => daemon.find_by_label(BUILD_KEY_LABEL, key).await?,
        };
        if let Some(id) = found {
            self.log(&format!(
                "reusing {id}: the daemon has an image with build key {key}\n"
            ));
            return Ok(Some((id, "daemon")));
        }
        Ok(self
            .find_in_registries(daemon, registries, auths, key)
            .await?
            .map(|id| (id, "registry")))
    }

    /// Whether the daemon, or a registry under one of the computed tags, has an image whose
    /// shape key is `shape_key`.
    pub(super) async fn shape_seen(
        &self,
        daemon: &Daemon,
        registries: &HashMap<String, Registry>,
        shape_key: &str,
    ) -> Result<bool, ImageError> {
        if daemon
            .find_by_label(SHAPE_KEY_LABEL, shape_key)
            .await?
            .is_some()
        {
            return Ok(true);
        }
        for image in &self.req.images {
            let Some(registry) = registries.get(image.registry()) else {
                continue;
            };
            for tag in self.req.tags.tags() {
                let Some(remote) = registry.image(image.repository(), tag).await? else {
                    continue;
                };
                if remote.labels.get(SHAPE_KEY_LABEL).map(String::as_str) == Some(shape_key) {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }

    /// Looks for an image with `key` under the computed tags in each registry; pulls the first
    /// found and returns its ID.
    pub(super) async fn find_in_registries(
        &self,
        daemon: &Daemon,
        registries: &HashMap<String, Registry>,
        auths: &HashMap<String, Option<RegistryAuth>>,
        key: &str,
    ) -> Result<Option<String>, ImageError> {
        for image in &self.req.images {
            let Some(registry) = registries.get(image.registry()) else {
                continue;
            };
            for tag in self.req.tags.tags() {
                let Some(remote) = registry.image(image.repository(), tag).await? else {
                    continue;
                };
                if remote.labels.get(BUILD_KEY_LABEL).map(String::as_str) != Some(key) {
                    continue;
                }
                let by_digest = ImageRef::parse(&format!("{}@{}", image.name(), remote.digest))?;
                self.log(&format!(
                    "reusing {by_digest} ({}:{tag} has build key {key}); pulling it\n",
                    image.name()
                ));
                let auth = auths.get(image.registry()).cloned().flatten();
                daemon.pull(&by_digest, auth.as_ref()).await?;
                if let Some(local) = daemon.inspect(&by_digest.to_string()).await? {
                    return Ok(Some(local.id));
                }
            }
        }
        Ok(None)
    }

    pub(super) async fn push_all(
        &self,
        daemon: &Daemon,
        registries: &HashMap<String, Registry>,
        auths: &HashMap<String, Option<RegistryAuth>>,
        pushed: &mut Vec<(ImageRef, String)>,
    ) -> Result<(), ImageError> {
        for reference in &self.req.refs {
            let Some(registry) = registries.get(reference.registry()) else {
                continue;
            };
            let digest = self.push_one(daemon, registry, auths, reference).await?;
            pushed.push((reference.clone(), digest));
        }
        Ok(())
    }

    /// Pushes `reference` with its registry's credentials, logging progress; returns the manifest
    /// digest, checked against the registry's.
    pub(super) async fn push_one(
        &self,
        daemon: &Daemon,
        registry: &Registry,
        auths: &HashMap<String, Option<RegistryAuth>>,
        reference: &ImageRef,
    ) -> Result<String, ImageError> {
        self.log(&format!("pushing {reference}\n"));
        let auth = auths.get(reference.registry()).cloned().flatten();
        let on_event = |event: PushEvent| match event {
            PushEvent::Status(s) => self.log(&format!("  {s}\n")),
            PushEvent::Retry {
                attempt,
                wait_ms,
                message,
            } => self.log(&format!(
                "  attempt {attempt} failed ({message}); retrying in {wait_ms} ms\n"
            )),
        };
        push(
            daemon,
            registry,
            reference,
            auth.as_ref(),
            &Backoff::default(),
            &on_event,
        )
        .await
    }
}
