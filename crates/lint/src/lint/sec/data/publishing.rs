//! Publishing with a long-lived token where the package index offers Trusted Publishing
//! (short-lived OIDC credentials): the actions and inputs that show it, and the indices that
//! support it.
//!
//! Source: PyPI's, RubyGems' and npm's Trusted Publishing documentation for the indices; the
//! actions' own `action.yml` for the inputs (`password`, `api-token`, `always-auth`,
//! `setup-trusted-publisher`), as zizmor's `use-trusted-publishing` audit models them
//! (zizmorcore/zizmor at 11bbf7e).

use crate::lint::sec::control::{Control, Coordinate, Kind};

const PYPI: &[&str] = &[
    "https://upload.pypi.org/legacy/",
    "https://test.pypi.org/legacy/",
];
const RUBYGEMS: &[&str] = &["https://rubygems.org"];
const NPMJS: &[&str] = &["https://registry.npmjs.org", "https://registry.npmjs.org/"];

const fn input(name: &'static str, kind: Kind, on: bool, default: bool) -> Control {
    Control::Input {
        name,
        kind,
        on,
        default,
    }
}

/// Steps that authenticate with a token to an index that supports Trusted Publishing, and the
/// input that shows it.
pub static TOKEN_PUBLISHING: &[(Coordinate, &str)] = &[
    (
        Coordinate {
            action: "pypa/gh-action-pypi-publish",
            when: Control::All(&[
                input("password", Kind::Free, true, false),
                input("repository-url", Kind::Exact(PYPI), true, true),
                input("repository_url", Kind::Exact(PYPI), true, true),
            ]),
        },
        "password",
    ),
    (
        Coordinate {
            action: "rubygems/release-gem",
            when: input("setup-trusted-publisher", Kind::Bool, false, false),
        },
        "setup-trusted-publisher",
    ),
    (
        Coordinate {
            action: "rubygems/configure-rubygems-credentials",
            when: Control::All(&[
                input("api-token", Kind::Free, true, false),
                input("gem-server", Kind::Exact(RUBYGEMS), true, true),
            ]),
        },
        "api-token",
    ),
    (
        Coordinate {
            action: "actions/setup-node",
            when: Control::All(&[
                input("registry-url", Kind::Exact(NPMJS), true, true),
                input("always-auth", Kind::Bool, true, false),
            ]),
        },
        "always-auth",
    ),
];
