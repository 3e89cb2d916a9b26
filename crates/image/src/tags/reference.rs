//! Image references: `[registry/]path[:tag][@digest]`, validated with Docker's grammar.

use std::fmt;
use std::str::FromStr;

use super::error::{ImageRefProblem, TagError};

/// The registry a reference without one points at.
pub const DOCKER_HUB: &str = "docker.io";

/// A validated image reference.
///
/// `Display` prints the familiar form Docker prints (`nginx`, `name/app:1.2`,
/// `ghcr.io/o/app@sha256:...`); [`ImageRef::canonical`] prints every part
/// (`docker.io/library/nginx`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    registry: String,
    path: String,
    tag: Option<String>,
    digest: Option<String>,
}

impl ImageRef {
    /// Parses and validates a reference. Repository names must be lower-case; the error
    /// suggests the lower-cased spelling.
    pub fn parse(input: &str) -> Result<Self, TagError> {
        parse(input.trim()).map_err(|problem| TagError::ImageRef {
            input: input.to_owned(),
            problem,
        })
    }

    /// Parses after lower-casing the registry and repository (not the tag), as
    /// metadata-action does with its `images` input; for names built from
    /// `${{ github.repository }}`, which keeps the owner's capitals.
    pub fn parse_lowercased(input: &str) -> Result<Self, TagError> {
        let input = input.trim();
        let (name, rest) = split_name(input);
        Self::parse(&format!("{}{rest}", name.to_ascii_lowercase()))
    }

    /// The registry host (with port), `docker.io` when none was written.
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The repository path within the registry (`library/nginx` for `nginx` on Docker Hub).
    pub fn repository(&self) -> &str {
        &self.path
    }

    /// The tag, if any.
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest (`sha256:...`), if any.
    pub fn digest(&self) -> Option<&str> {
        self.digest.as_deref()
    }

    /// The name without tag or digest, in familiar form (`name/app`, `ghcr.io/o/app`).
    pub fn name(&self) -> String {
        if self.registry != DOCKER_HUB {
            return format!("{}/{}", self.registry, self.path);
        }
        match self.path.strip_prefix("library/") {
            Some(official) if !official.contains('/') => official.to_owned(),
            _ => self.path.clone(),
        }
    }

    /// Every part spelled out: `docker.io/library/nginx:1.25`.
    pub fn canonical(&self) -> String {
        let mut out = format!("{}/{}", self.registry, self.path);
        self.push_suffix(&mut out);
        out
    }

    /// This name with `tag` and no digest. The tag is not re-validated: tags computed by
    /// [`super::compute_tags`] are already sanitized.
    pub fn with_tag(&self, tag: &str) -> Self {
        Self {
            registry: self.registry.clone(),
            path: self.path.clone(),
            tag: Some(tag.to_owned()),
            digest: None,
        }
    }

    fn push_suffix(&self, out: &mut String) {
        if let Some(tag) = &self.tag {
            out.push(':');
            out.push_str(tag);
        }
        if let Some(digest) = &self.digest {
            out.push('@');
            out.push_str(digest);
        }
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = self.name();
        self.push_suffix(&mut out);
        f.write_str(&out)
    }
}

impl FromStr for ImageRef {
    type Err = TagError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        Self::parse(input)
    }
}

/// Splits `input` into the name and the `:tag@digest` rest.
fn split_name(input: &str) -> (&str, &str) {
    let before_digest = input.find('@').unwrap_or(input.len());
    let last_slash = input[..before_digest].rfind('/').map_or(0, |i| i + 1);
    let tag_colon = input[last_slash..before_digest]
        .find(':')
        .map(|i| last_slash + i);
    let end = tag_colon.unwrap_or(before_digest);
    (&input[..end], &input[end..])
}

fn parse(input: &str) -> Result<ImageRef, ImageRefProblem> {
    if input.is_empty() {
        return Err(ImageRefProblem::Empty);
    }
    let (name, rest) = split_name(input);
    let (tag, digest) = match rest.split_once('@') {
        Some((tag, digest)) => (tag, Some(digest)),
        None => (rest, None),
    };
    let tag = tag.strip_prefix(':');
    if let Some(tag) = tag
        && !is_valid_tag(tag)
    {
        return Err(ImageRefProblem::Tag(tag.to_owned()));
    }
    if let Some(digest) = digest
        && !is_valid_digest(digest)
    {
        return Err(ImageRefProblem::Digest(digest.to_owned()));
    }
    if name.len() > 255 {
        return Err(ImageRefProblem::TooLong(name.len()));
    }

    // Docker's rule: the first component is a registry when it looks like a host. Docker
    // also takes a first component with capitals for a host; here `Owner/app` is rather
    // reported as a repository that must be lower-case.
    let (registry, path) = match name.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => (first, rest),
        _ => (DOCKER_HUB, name),
    };
    if !is_valid_registry(registry) {
        return Err(ImageRefProblem::Registry(registry.to_owned()));
    }
    if path.chars().any(|c| c.is_ascii_uppercase()) {
        let lowered = format!("{}{rest}", name.to_ascii_lowercase());
        return Err(ImageRefProblem::Uppercase {
            suggestion: lowered,
        });
    }
    for component in path.split('/') {
        if !is_valid_component(component) {
            return Err(ImageRefProblem::Component(component.to_owned()));
        }
    }
    let registry = if registry == "index.docker.io" {
        DOCKER_HUB
    } else {
        registry
    };
    let path = if registry == DOCKER_HUB && !path.contains('/') {
        format!("library/{path}")
    } else {
        path.to_owned()
    };
    Ok(ImageRef {
        registry: registry.to_owned(),
        path,
        tag: tag.map(str::to_owned),
        digest: digest.map(str::to_owned),
    })
}

/// `[a-z0-9]+` joined by `.`, `_`, `__` or runs of `-`.
fn is_valid_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !bytes.first().is_some_and(alnum) || !bytes.last().is_some_and(alnum) {
        return false;
    }
    let mut separator = String::new();
    for b in bytes {
        if alnum(b) {
            let ok = separator.is_empty()
                || separator == "."
                || separator == "_"
                || separator == "__"
                || separator.bytes().all(|s| s == b'-');
            if !ok {
                return false;
            }
            separator.clear();
        } else if matches!(b, b'.' | b'_' | b'-') {
            separator.push(char::from(*b));
        } else {
            return false;
        }
    }
    true
}

/// A host name, IPv4 address or bracketed IPv6 address, with an optional port.
fn is_valid_registry(registry: &str) -> bool {
    let (host, port) = if let Some(v6) = registry.strip_prefix('[') {
        let Some((address, after)) = v6.split_once(']') else {
            return false;
        };
        if address.is_empty() || !address.chars().all(|c| c.is_ascii_hexdigit() || c == ':') {
            return false;
        }
        let port = match after {
            "" => None,
            _ => match after.strip_prefix(':') {
                Some(port) => Some(port),
                None => return false,
            },
        };
        (None, port)
    } else {
        match registry.split_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(registry), None),
        }
    };
    let port_ok = port.is_none_or(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let host_ok = host.is_none_or(|h| {
        !h.is_empty()
            && h.split('.').all(|label| {
                let bytes = label.as_bytes();
                !bytes.is_empty()
                    && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
                    && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
                    && bytes
                        .iter()
                        .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
            })
    });
    port_ok && host_ok
}

/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
pub(crate) fn is_valid_tag(tag: &str) -> bool {
    let bytes = tag.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 128
        && (bytes[0].is_ascii_alphanumeric() || bytes[0] == b'_')
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// `algorithm:hex`, with the length the algorithm implies for sha256 and sha512.
fn is_valid_digest(digest: &str) -> bool {
    let Some((algorithm, encoded)) = digest.split_once(':') else {
        return false;
    };
    let hex = |len: usize| {
        encoded.len() == len
            && encoded
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    match algorithm {
        "sha256" => hex(64),
        "sha512" => hex(128),
        _ => false,
    }
}
