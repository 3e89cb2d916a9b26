//! Typed, lenient view of a workflow file over the YAML tree.
