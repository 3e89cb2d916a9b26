//! The build options that go beyond one classic build: platforms, cache, secrets, SSH and the
//! builder, parsed and checked before anything is contacted.

use std::collections::HashMap;

use crate::ImageError;
use crate::buildkit::secrets::{self, SecretSpec, Secrets};
use crate::buildkit::ssh::{self, SshSpec};
use crate::cache;
use crate::daemon::Daemon;

/// Which builder runs a build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuilderKind {
    /// The daemon's built-in BuildKit.
    Buildkit,
    /// The legacy builder (`DOCKER_BUILDKIT=0`).
    Classic,
}

/// The flags [`BuildOptions::parse`] reads, as typed.
#[derive(Debug, Clone, Copy)]
pub struct OptionFlags<'a> {
    /// `--platform` (comma-separated).
    pub platform: Option<&'a str>,
    /// `--cache-from` entries.
    pub cache_from: &'a [String],
    /// `--cache-to` entries.
    pub cache_to: &'a [String],
    /// `--secret` entries.
    pub secrets: &'a [String],
    /// `--ssh` entries.
    pub ssh: &'a [String],
}

/// The parsed options.
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
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
    pub fn parse(args: &OptionFlags<'_>) -> Result<Self, ImageError> {
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
        for c in args.cache_to {
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

    /// Reads the `--secret` values (files, or the environment values in `env`).
    pub fn load_secrets(&self, env: &HashMap<String, String>) -> Result<Secrets, ImageError> {
        Secrets::load(&self.secrets, &|k: &str| env.get(k).cloned())
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
