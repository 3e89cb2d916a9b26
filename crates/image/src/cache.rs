//! Cache flags in build-push-action's syntax (`cache-from`, `cache-to`), checked against what
//! the daemon's built-in BuildKit can do: it imports the inline cache of registry images and
//! exports only the inline cache (the cache travels inside the pushed image). Registry, local,
//! `gha` and cloud cache exports need a BuildKit the build controls (a buildx builder, or a
//! daemon with the containerd image store); asking for them is an error that says so.

use super::ImageError;

/// Where cached steps may come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheSource {
    /// The image reference.
    pub reference: String,
}

/// Parses one `--cache-from`: `REF` or `type=registry,ref=REF`.
pub fn parse_from(text: &str) -> Result<CacheSource, ImageError> {
    let text = text.trim();
    if !text.contains('=') {
        if text.is_empty() {
            return Err(ImageError::Usage(
                "--cache-from is empty; name an image".to_owned(),
            ));
        }
        return Ok(CacheSource {
            reference: text.to_owned(),
        });
    }
    let fields = fields(text, "--cache-from")?;
    let kind = field(&fields, "type").unwrap_or("registry");
    if kind != "registry" {
        return Err(refused("--cache-from", text, kind));
    }
    let reference = field(&fields, "ref")
        .filter(|r| !r.is_empty())
        .ok_or_else(|| {
            ImageError::Usage(format!(
                "--cache-from `{text}` has no ref=; write type=registry,ref=REGISTRY/IMAGE:TAG"
            ))
        })?;
    Ok(CacheSource {
        reference: reference.to_owned(),
    })
}

/// Parses one `--cache-to`; only `type=inline` is possible through the daemon.
pub fn parse_to(text: &str) -> Result<(), ImageError> {
    let text = text.trim();
    let fields = fields(text, "--cache-to")?;
    match field(&fields, "type") {
        Some("inline") => Ok(()),
        Some(kind) => Err(refused("--cache-to", text, kind)),
        None => Err(ImageError::Usage(format!(
            "--cache-to `{text}` has no type=; write --cache-to type=inline"
        ))),
    }
}

fn fields<'a>(text: &'a str, flag: &str) -> Result<Vec<(&'a str, &'a str)>, ImageError> {
    text.split(',')
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(|f| {
            f.split_once('=').ok_or_else(|| {
                ImageError::Usage(format!("{flag} `{text}`: `{f}` is not KEY=VALUE"))
            })
        })
        .collect()
}

fn field<'a>(fields: &[(&'a str, &'a str)], key: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(key))
        .map(|(_, v)| v.trim())
}

fn refused(flag: &str, text: &str, kind: &str) -> ImageError {
    let what = match flag {
        "--cache-from" => "imports cache only from registry images (type=registry,ref=REF)",
        _ => "exports only the inline cache (type=inline, pushed inside the image)",
    };
    ImageError::Usage(format!(
        "{flag} `{text}`: the Docker daemon's built-in BuildKit {what}; type={kind} needs a \
         BuildKit builder of its own (buildx with the docker-container driver) or a daemon with \
         the containerd image store"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_sources_take_both_syntaxes() {
        assert_eq!(
            parse_from("ghcr.io/o/a:cache").map(|s| s.reference).ok(),
            Some("ghcr.io/o/a:cache".into())
        );
        assert_eq!(
            parse_from("type=registry,ref=127.0.0.1:5000/a:main")
                .map(|s| s.reference)
                .ok(),
            Some("127.0.0.1:5000/a:main".into())
        );
        for (bad, says) in [
            ("type=gha", "type=gha needs a BuildKit builder"),
            ("type=local,src=/tmp/c", "type=local"),
            ("type=registry", "has no ref="),
            ("", "is empty"),
        ] {
            let err = parse_from(bad).expect_err(bad).to_string();
            assert!(err.contains(says), "{err}");
        }
    }

    #[test]
    fn only_inline_cache_exports() {
        assert!(parse_to("type=inline").is_ok());
        for bad in [
            "type=registry,ref=r/a:cache,mode=max",
            "type=gha",
            "mode=max",
        ] {
            let err = parse_to(bad).expect_err(bad).to_string();
            assert!(err.starts_with("--cache-to"), "{err}");
        }
        let err = parse_to("type=registry,ref=x")
            .expect_err("refused")
            .to_string();
        assert!(err.contains("exports only the inline cache"), "{err}");
    }
}
