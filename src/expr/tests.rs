//! Tests across the module: GitHub semantics, each diagnostic, and robustness.
