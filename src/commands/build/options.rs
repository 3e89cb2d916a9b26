//! The build options that go beyond one classic build: platforms, cache, secrets, SSH and the
//! builder, parsed and checked before anything is contacted.

use crate::cli::{BuildArgs, BuilderKind};
use deploy_action_image::ImageError;
use deploy_action_image::buildkit::secrets::{self, SecretSpec};
use deploy_action_image::buildkit::ssh::{self, SshSpec};
use deploy_action_image::cache;
use deploy_action_image::daemon::Daemon;

/// The parsed options.
#[derive(Debug, Clone, Default)]
pub(crate) struct BuildOptions {
    /// Platforms asked for; empty for the daemon's own.
    pub platforms: Vec<String>,
    /// Cache source references.
    pub cache_from: Vec<String>,
    /// `--cache-to type=inline`.
    pub inline_cache: bool,
    /// `--secret` specs.
    pub secrets: Vec<SecretSpec>,
    /// `--ssh` specs.
    pub ssh: Vec<SshSpec>,
}

impl BuildOptions {
    /// Parses the flags of `args`.
    pub fn parse(args: &BuildArgs) -> Result<Self, ImageError> {
        let mut platforms: Vec<String> = Vec::new();
        for p in args.platform.iter().flat_map(|p| p.split(',')) {
            let p = p.trim();
            if p.is_empty() {
                continue;
            }
            if p.split('/').count() < 2 || p.split('/').any(str::is_empty) {
                return Err(ImageError::Usage(format!(
                    "--platform `{p}` is not OS/ARCH[/VARIANT] (e.g. linux/amd64)"
                )));
            }
            if !platforms.iter().any(|q| q == p) {
                platforms.push(p.to_owned());
            }
        }
        let cache_from = args
            .cache_from
            .iter()
            .map(|c| cache::parse_from(c).map(|s| s.reference))
            .collect::<Result<_, _>>()?;
        for c in &args.cache_to {
            cache::parse_to(c)?;
        }
        Ok(Self {
            platforms,
            cache_from,
            inline_cache: !args.cache_to.is_empty(),
            secrets: args
                .secrets
                .iter()
                .map(|s| secrets::parse_spec(s))
                .collect::<Result<_, _>>()?,
            ssh: args
                .ssh
                .iter()
                .map(|s| ssh::parse_spec(s))
                .collect::<Result<_, _>>()?,
        })
    }

    /// Refuses flags that need BuildKit with `--builder classic`, before anything is read or
    /// contacted.
    pub fn check_builder(&self, asked: Option<BuilderKind>) -> Result<(), ImageError> {
        match (asked, self.needs_buildkit()) {
            (Some(BuilderKind::Classic), Some(flag)) => Err(ImageError::Usage(format!(
                "{flag} needs BuildKit; drop --builder classic"
            ))),
            _ => Ok(()),
        }
    }

    /// The first flag that only BuildKit can honour, for the error when it is not used.
    pub fn needs_buildkit(&self) -> Option<&'static str> {
        if !self.secrets.is_empty() {
            Some("--secret")
        } else if !self.ssh.is_empty() {
            Some("--ssh")
        } else if self.inline_cache {
            Some("--cache-to")
        } else if self.platforms.len() > 1 {
            Some("--platform with several platforms")
        } else {
            None
        }
    }

    /// The one platform asked for, if exactly one.
    pub fn single_platform(&self) -> Option<&str> {
        match self.platforms.as_slice() {
            [one] => Some(one),
            _ => None,
        }
    }

    /// Options that change the image, for the build key (ids only, never secret values).
    pub fn key_options(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.inline_cache {
            out.push("cache-to=inline".to_owned());
        }
        out.extend(self.secrets.iter().map(|s| format!("secret={}", s.id)));
        out.extend(self.ssh.iter().map(|s| format!("ssh={}", s.id)));
        out.sort();
        out
    }
}

/// Which builder runs, and the line that says why when it is not the one asked for.
pub(crate) fn choose(
    asked: Option<BuilderKind>,
    options: &BuildOptions,
    daemon: &Daemon,
) -> Result<(BuilderKind, Option<String>), ImageError> {
    let info = daemon.info();
    let lacks = || {
        format!(
            "the daemon at {} (Docker {}, API {}, {}) has no BuildKit",
            daemon.host(),
            if info.version.is_empty() {
                "?"
            } else {
                &info.version
            },
            if info.api_version.is_empty() {
                "?"
            } else {
                &info.api_version
            },
            if info.os.is_empty() { "?" } else { &info.os },
        )
    };
    match (asked, info.has_buildkit(), options.needs_buildkit()) {
        // `check_builder` already refused BuildKit-only flags with --builder classic.
        (Some(BuilderKind::Classic), _, _) => Ok((BuilderKind::Classic, None)),
        (_, true, _) => Ok((BuilderKind::Buildkit, None)),
        (Some(BuilderKind::Buildkit), false, _) => Err(ImageError::Usage(format!(
            "--builder buildkit: {}; use a daemon from Docker 18.09 on Linux, or --builder classic",
            lacks()
        ))),
        (None, false, Some(flag)) => Err(ImageError::Usage(format!(
            "{flag} needs BuildKit, and {}",
            lacks()
        ))),
        (None, false, None) => Ok((
            BuilderKind::Classic,
            Some(format!("{}: building with the classic builder\n", lacks())),
        )),
    }
}
