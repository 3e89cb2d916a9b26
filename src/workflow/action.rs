//! Typed, lenient view of action metadata (`action.yml`) over the YAML tree.
