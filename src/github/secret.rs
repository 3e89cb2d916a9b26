//! A wrapper for credentials so that a token cannot reach a log line, an error message or a
//! `{:?}` dump by accident: printing it in any form shows `***`.

use std::fmt;

/// A value that must never be printed, such as `GITHUB_TOKEN`.
///
/// `Debug` and `Display` both render `***`; the only way to read the value is
/// [`Secret::expose`], which makes every use easy to find in review.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    /// Wraps a value so that it is hidden from `Debug` and `Display`.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The wrapped value, for the one place that has to send it (an `Authorization` header).
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<T> fmt::Display for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn debug_and_display_hide_the_value() {
        let s = Secret::new(String::from("ghp_canary"));
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{:?}", Some(&s)), "Some(***)");
        assert_eq!(s.expose(), "ghp_canary");
    }
}
