//! The build key: what decides whether an existing image can be reused instead of rebuilt.
//!
//! The key covers the build context's content digest and every input that changes the image
//! for the same context: the Dockerfile's path, the target stage, the platform, the build
//! arguments and the user's labels. It leaves out what changes on every commit without
//! changing the content (the revision and creation-time labels), so an unchanged context at a
//! new commit is retagged rather than rebuilt.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

/// The label carrying the build key on every image deploy-action builds.
pub const BUILD_KEY_LABEL: &str = "dev.deploy-action.build-key";

/// The label carrying the shape key: [`build_key`] over the context's shape digest
/// ([`crate::context::BuildContext::shape_digest`]) instead of its content digest. It
/// only tells a build that an image with the same key may exist, so that reading the context
/// for its digest before uploading it is worth it.
pub const SHAPE_KEY_LABEL: &str = "dev.deploy-action.shape-key";

/// Names the key format; bump it when the hashed fields change.
const KEY_DOMAIN: &str = "deploy-action build key v1";

/// What goes into the key.
#[derive(Debug, Clone, Copy)]
pub struct KeyInputs<'a> {
    /// [`crate::context::PackStats::context_digest`].
    pub context_digest: &'a str,
    /// The Dockerfile's path inside the context.
    pub dockerfile: &'a str,
    /// The target stage.
    pub target: Option<&'a str>,
    /// The platform asked for.
    pub platform: Option<&'a str>,
    /// The build arguments.
    pub build_args: &'a BTreeMap<String, String>,
    /// The `--label` values given by the user (not the computed OCI labels).
    pub user_labels: &'a BTreeMap<String, String>,
    /// Other options that change the image: `cache-to=inline` (cache metadata in the config),
    /// the ids of secrets and SSH agents a build mounts (never their values). Empty for
    /// builds without them, so their keys are what they were before these options existed.
    pub options: &'a [String],
}

/// `sha256:<hex>` over the inputs, each length-prefixed so no two input sets collide.
pub fn build_key(inputs: &KeyInputs<'_>) -> String {
    let mut h = Sha256::new();
    let mut field = |name: &str, value: &str| {
        h.update(format!("{name} {} ", value.len()).as_bytes());
        h.update(value.as_bytes());
        h.update(b"\n");
    };
    field("domain", KEY_DOMAIN);
    field("context", inputs.context_digest);
    field("dockerfile", inputs.dockerfile);
    field("target", inputs.target.unwrap_or(""));
    field("platform", inputs.platform.unwrap_or(""));
    for (k, v) in inputs.build_args {
        field("arg", k);
        field("value", v);
    }
    for (k, v) in inputs.user_labels {
        field("label", k);
        field("value", v);
    }
    for option in inputs.options {
        field("option", option);
    }
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_input_changes_the_key_and_order_does_not() {
        let args = BTreeMap::from([("A".to_owned(), "1".to_owned())]);
        let none = BTreeMap::new();
        let base = KeyInputs {
            context_digest: "sha256:00",
            dockerfile: "Dockerfile",
            target: None,
            platform: None,
            build_args: &none,
            user_labels: &none,
            options: &[],
        };
        let inline = ["cache-to=inline".to_owned()];
        let k = build_key(&base);
        assert!(k.starts_with("sha256:") && k.len() == 71);
        let variants = [
            KeyInputs {
                context_digest: "sha256:01",
                ..base
            },
            KeyInputs {
                dockerfile: "other/Dockerfile",
                ..base
            },
            KeyInputs {
                target: Some("test"),
                ..base
            },
            KeyInputs {
                platform: Some("linux/arm64"),
                ..base
            },
            KeyInputs {
                build_args: &args,
                ..base
            },
            KeyInputs {
                user_labels: &args,
                ..base
            },
            KeyInputs {
                options: &inline,
                ..base
            },
        ];
        for v in variants {
            assert_ne!(build_key(&v), k, "{v:?}");
        }
        // An argument and a label with the same text are different inputs.
        assert_ne!(
            build_key(&KeyInputs {
                build_args: &args,
                ..base
            }),
            build_key(&KeyInputs {
                user_labels: &args,
                ..base
            })
        );
        assert_eq!(build_key(&base), k);
    }
}
