//! The status API's bearer token (`--status-token`, `FLOWTOY_STATUS_TOKEN`):
//! required by a server (checked in `auth.rs`), sent by the relay and the
//! TUI's HTTP source.

use std::sync::Arc;

/// The secret a status API requires of every request but `GET /healthz`.
/// Its `Debug` form hides the value.
#[derive(Clone, PartialEq, Eq)]
pub struct StatusToken(Arc<str>);

impl std::fmt::Debug for StatusToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StatusToken(***)")
    }
}

impl StatusToken {
    /// A token from `text`: not empty, made of the characters a header, a
    /// URL and a cookie carry as they are (letters, digits, `-._~+/=`). The error says what is
    /// wrong without showing the value.
    pub fn new(text: &str) -> Result<Self, String> {
        if text.is_empty() {
            return Err("the status token is empty; give a long random string, e.g. from `openssl rand -hex 32`".into());
        }
        if let Some(bad) = text.chars().find(|c| !allowed(*c)) {
            let what = if bad.is_whitespace() {
                "a space"
            } else if bad.is_ascii_graphic() {
                "a punctuation character it cannot carry"
            } else {
                "a character it cannot carry"
            };
            return Err(format!(
                "the status token holds {what}; use letters, digits and - . _ ~ + / = only, e.g. from `openssl rand -hex 32`"
            ));
        }
        Ok(StatusToken(Arc::from(text)))
    }

    /// True when `given` is this token, compared in time that depends on
    /// the lengths only, not on where the first difference is.
    pub fn matches(&self, given: &str) -> bool {
        constant_time_eq(self.0.as_bytes(), given.as_bytes())
    }

    /// The token itself, for a client that sends it. Never log it.
    pub fn reveal(&self) -> &str {
        &self.0
    }
}

/// A character a token may hold.
fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~+/=".contains(c)
}

/// Byte strings equal, without an early exit on the first difference.
fn constant_time_eq(expected: &[u8], given: &[u8]) -> bool {
    if expected.len() != given.len() {
        return false;
    }
    let diff = expected
        .iter()
        .zip(given)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        let token = StatusToken::new("s3cret-token").unwrap();
        assert!(token.matches("s3cret-token"));
        assert!(!token.matches("s3cret-tokeN"));
        assert!(!token.matches("s3cret"));
        assert!(!token.matches(""));
        assert_eq!(format!("{token:?}"), "StatusToken(***)");
    }

    #[test]
    fn bad_tokens_are_refused_without_showing_them() {
        assert!(StatusToken::new("").is_err());
        let err = StatusToken::new("two words").unwrap_err();
        assert!(
            err.contains("a space") && !err.contains("two words"),
            "{err}"
        );
        assert!(StatusToken::new("a;b").is_err());
        assert!(StatusToken::new("base64+/=_-.~A9").is_ok());
    }
}
