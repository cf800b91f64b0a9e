//! A remote runner's status API address (`--status-url`, SPEC R18).

/// A remote runner's status API address, from a `--status-url` given either
/// as the base URL (`http://host:8000`) or as its `/status` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusUrl {
    base: String,
}

impl StatusUrl {
    /// Parses `url`; the error says what is wrong and what is expected.
    ///
    /// ```
    /// use flowtoy::runner_api::StatusUrl;
    /// let url = StatusUrl::parse("http://127.0.0.1:8000/status").unwrap();
    /// assert_eq!(url.endpoint("events"), "http://127.0.0.1:8000/events");
    /// assert_eq!(StatusUrl::parse("http://127.0.0.1:8000/").unwrap(), url);
    /// ```
    pub fn parse(url: &str) -> Result<Self, String> {
        let trimmed = url.trim();
        let parsed = reqwest::Url::parse(trimmed).map_err(|e| {
            format!("invalid status URL '{url}': {e}; expected e.g. http://127.0.0.1:8000 or http://127.0.0.1:8000/status")
        })?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(format!(
                "invalid status URL '{url}': expected an http:// or https:// URL with a host, e.g. http://127.0.0.1:8000"
            ));
        }
        let mut base = trimmed.trim_end_matches('/');
        if let Some(stripped) = base.strip_suffix("/status") {
            base = stripped.trim_end_matches('/');
        }
        Ok(StatusUrl {
            base: base.to_string(),
        })
    }

    /// The base URL, without a trailing slash.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// The URL of one endpoint, e.g. `endpoint("status")`.
    pub fn endpoint(&self, name: &str) -> String {
        format!("{}/{}", self.base, name.trim_start_matches('/'))
    }
}

/// The API path of a step's details, its name percent-encoded
/// (`steps/a%20b` for the step `a b`).
///
/// ```
/// assert_eq!(flowtoy::runner_api::step_path("fetch 2/3"), "steps/fetch%202%2F3");
/// ```
pub fn step_path(name: &str) -> String {
    use percent_encoding::{utf8_percent_encode, NON_ALPHANUMERIC};
    format!("steps/{}", utf8_percent_encode(name, NON_ALPHANUMERIC))
}
