//! Tests across the module: GitHub semantics, each diagnostic, robustness and conformance.

mod corpus;
mod diagnostics;
mod robustness;
mod semantics;
