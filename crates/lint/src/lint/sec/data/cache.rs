//! Actions that restore a cache that any workflow of the repository can write, and the inputs
//! that decide it.
//!
//! Source: each action's `action.yml` (the input and its default) at its current release, as
//! zizmor's `cache-poisoning` audit models them (zizmorcore/zizmor at 11bbf7e). An opt-out input
//! (`lookup-only`) has `on: false`.

use crate::lint::sec::control::{Control, Coordinate, Kind};

const fn input(name: &'static str, kind: Kind, on: bool, default: bool) -> Control {
    Control::Input {
        name,
        kind,
        on,
        default,
    }
}

/// Cache-aware actions.
pub static CACHE_AWARE: &[Coordinate] = &[
    Coordinate {
        action: "actions/cache",
        when: input("lookup-only", Kind::Bool, false, true),
    },
    Coordinate {
        action: "actions/setup-java",
        when: input("cache", Kind::Free, true, false),
    },
    Coordinate {
        action: "actions/setup-go",
        when: input("cache", Kind::Bool, true, true),
    },
    Coordinate {
        action: "actions/setup-node",
        when: Control::Any(&[
            input("cache", Kind::Exact(&["npm", "yarn", "pnpm"]), true, false),
            input("package-manager-cache", Kind::Bool, true, true),
        ]),
    },
    Coordinate {
        action: "actions/setup-python",
        when: input("cache", Kind::Free, true, false),
    },
    Coordinate {
        action: "actions/setup-dotnet",
        when: input("cache", Kind::Bool, true, false),
    },
    Coordinate {
        action: "astral-sh/setup-uv",
        // Before v10 the cache was on unless `enable-cache: false`; since, only with `true`.
        when: Control::Any(&[
            input("enable-cache", Kind::Exact(&["true"]), true, false),
            Control::All(&[
                Control::VersionBelow(10),
                input("enable-cache", Kind::Bool, true, true),
            ]),
        ]),
    },
    Coordinate {
        action: "swatinem/rust-cache",
        when: input("lookup-only", Kind::Bool, false, true),
    },
    Coordinate {
        action: "ruby/setup-ruby",
        when: input("bundler-cache", Kind::Bool, true, false),
    },
    Coordinate {
        action: "pyo3/maturin-action",
        when: input("sccache", Kind::Bool, true, false),
    },
    Coordinate {
        action: "mlugg/setup-zig",
        when: input("use-cache", Kind::Bool, true, true),
    },
    Coordinate {
        action: "oven-sh/setup-bun",
        when: input("no-cache", Kind::Bool, false, true),
    },
    Coordinate {
        action: "determinatesystems/magic-nix-cache-action",
        when: input("use-gha-cache", Kind::Bool, true, true),
    },
    Coordinate {
        action: "graalvm/setup-graalvm",
        when: input("cache", Kind::Free, true, false),
    },
    Coordinate {
        action: "gradle/actions/setup-gradle",
        when: input("cache-disabled", Kind::Bool, false, true),
    },
    Coordinate {
        action: "docker/setup-buildx-action",
        when: Control::All(&[
            input("cache-binary", Kind::Bool, true, true),
            input("version", Kind::Free, true, false),
        ]),
    },
    Coordinate {
        action: "actions-rust-lang/setup-rust-toolchain",
        when: input("cache", Kind::Bool, true, true),
    },
    Coordinate {
        action: "mozilla-actions/sccache-action",
        when: Control::Always,
    },
    Coordinate {
        action: "nix-community/cache-nix-action",
        when: Control::Always,
    },
    Coordinate {
        action: "jdx/mise-action",
        when: input("cache", Kind::Bool, true, true),
    },
    Coordinate {
        action: "ramsey/composer-install",
        when: input(
            "ignore-cache",
            Kind::Exact(&["yes", "true", "1"]),
            false,
            true,
        ),
    },
    Coordinate {
        action: "awalsh128/cache-apt-pkgs-action",
        when: Control::Always,
    },
];

/// Actions that publish what the job built (a package, a release, an image, a deployment):
/// a job with one of them is a release job.
pub static PUBLISHERS: &[Coordinate] = &[
    Coordinate {
        action: "pypa/gh-action-pypi-publish",
        when: Control::Always,
    },
    Coordinate {
        action: "rubygems/release-gem",
        when: Control::Always,
    },
    Coordinate {
        action: "jreleaser/release-action",
        when: Control::Always,
    },
    Coordinate {
        action: "goreleaser/goreleaser-action",
        when: Control::Always,
    },
    Coordinate {
        action: "softprops/action-gh-release",
        when: Control::Always,
    },
    Coordinate {
        action: "release-drafter/release-drafter",
        when: Control::Always,
    },
    Coordinate {
        action: "googleapis/release-please-action",
        when: Control::Always,
    },
    Coordinate {
        action: "docker/build-push-action",
        when: input("push", Kind::Bool, true, true),
    },
    Coordinate {
        action: "redhat-actions/push-to-registry",
        when: Control::Always,
    },
    Coordinate {
        action: "aws-actions/amazon-ecs-deploy-task-definition",
        when: Control::Always,
    },
    Coordinate {
        action: "aws-actions/aws-cloudformation-github-deploy",
        when: Control::Always,
    },
    Coordinate {
        action: "azure/aci-deploy",
        when: Control::Always,
    },
    Coordinate {
        action: "azure/container-apps-deploy-action",
        when: Control::Always,
    },
    Coordinate {
        action: "azure/functions-action",
        when: Control::Always,
    },
    Coordinate {
        action: "azure/sql-action",
        when: Control::Always,
    },
    Coordinate {
        action: "cloudflare/wrangler-action",
        when: Control::Always,
    },
    Coordinate {
        action: "google-github-actions/deploy-appengine",
        when: Control::Always,
    },
    Coordinate {
        action: "google-github-actions/deploy-cloudrun",
        when: Control::Always,
    },
    Coordinate {
        action: "google-github-actions/deploy-cloud-functions",
        when: Control::Always,
    },
];
