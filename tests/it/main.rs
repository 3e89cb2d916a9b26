//! The integration tests: one binary (`cargo test --test it`), a module per area, one harness.
//!
//! Each module was a test binary of its own (`tests/build_buildkit.rs` is now `build::buildkit`),
//! so `cargo test --test it build::` runs an area and `cargo test --test it build::buildkit::`
//! one former file. All modules run as threads of this one process: nothing here may change the
//! current directory or the process environment; every CLI child gets a scrubbed one from
//! `harness::bin()` or `harness::bin_command()`, and every wait has a deadline.

mod harness;

mod act;
mod action;
mod build {
    mod buildkit;
    mod daemon;
    mod faults;
    mod options;
    mod registry;
    mod remote;
    mod reuse;
    mod tags;
}
mod commit_sha;
mod conformance;
mod corpus;
mod deploy {
    mod docker;
    mod github;
    mod ledger;
}
mod docs;
mod faults;
mod fuzz_regressions;
mod gen_workflow;
mod github {
    mod fake;
    mod http;
    mod ledger;
    mod store;
}
mod hostile_yaml;
mod limits;
mod lint {
    mod cli;
    mod expressions;
    mod fix;
    mod local_uses;
    mod parity;
    mod pipeline;
    mod security;
    mod shellcheck;
    mod suggestions;
}
mod progressive {
    mod docker;
    mod traffic;
}
mod promote {
    mod docker;
    mod flow;
    mod gates;
    mod github;
    mod staged;
}
mod secret_canary;
