//! Bearer-token authentication of the status API (`--status-token`): every
//! route but `GET /healthz` needs the token, else `401` with a JSON error
//! and `WWW-Authenticate: Bearer`.
//!
//! A request carries the token in one of three ways:
//! - `Authorization: Bearer TOKEN` (API clients, the relay, the TUI);
//! - `?token=TOKEN` in the URL: how the web UI is opened
//!   (`http://HOST:PORT/?token=TOKEN`). A browser's `EventSource` cannot set
//!   headers, so this is also how a script could reach `/events`;
//! - the cookie [`cookie_name`] that the server sets (`HttpOnly`,
//!   `SameSite=Strict`) on an answer to a request authenticated by the query
//!   parameter: the page's own assets, `fetch` calls and `EventSource`
//!   carry it without the token in their URLs.
//!
//! Tokens are compared in constant time ([`StatusToken::matches`]) and
//! never logged: the request log prints paths without their query.

use super::reply::json_error;
use super::StatusToken;
use warp::http::{HeaderMap, HeaderValue, StatusCode};
use warp::reply::Response;
use warp::{Filter, Rejection};

/// The name of the cookie a server on `port` sets: one per port, since
/// browsers share cookies between the ports of a host.
pub fn cookie_name(port: u16) -> String {
    format!("flowtoy_status_token_{port}")
}

/// Why a request was refused (turned into a 401 by [`unauthorized`]).
#[derive(Debug)]
pub struct Unauthorized(&'static str);

impl warp::reject::Reject for Unauthorized {}

/// How a request was let in: by the query parameter (then the answer sets
/// the cookie), or otherwise.
#[derive(Debug, Clone, Copy)]
pub struct Granted {
    by_query: bool,
}

/// The value of `name` in a raw query string, percent-decoded.
fn query_value(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        (key == name).then(|| percent_decode(value))
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (key, value) = pair.trim().split_once('=')?;
            (key == name).then(|| value.to_string())
        })
}

/// Checks one request against `token`.
fn check(
    token: &StatusToken,
    cookie: &str,
    headers: &HeaderMap,
    query: &str,
) -> Result<Granted, Unauthorized> {
    if let Some(header) = headers.get("authorization") {
        let given = header
            .to_str()
            .ok()
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .ok_or(Unauthorized(
                "the Authorization header is not `Bearer TOKEN`",
            ))?;
        return if token.matches(given.trim()) {
            Ok(Granted { by_query: false })
        } else {
            Err(Unauthorized("wrong status token"))
        };
    }
    if let Some(given) = query_value(query, "token") {
        return if token.matches(&given) {
            Ok(Granted { by_query: true })
        } else {
            Err(Unauthorized("wrong status token"))
        };
    }
    if let Some(given) = cookie_value(headers, cookie) {
        return if token.matches(&given) {
            Ok(Granted { by_query: false })
        } else {
            Err(Unauthorized(
                "wrong status token in the cookie; open the page again with ?token=TOKEN",
            ))
        };
    }
    Err(Unauthorized(
        "this status API needs a token: send `Authorization: Bearer TOKEN`, or open the web UI as /?token=TOKEN",
    ))
}

/// A filter that lets a request through when `token` is `None` or the
/// request carries it; else rejects with [`Unauthorized`].
pub fn required(
    token: Option<StatusToken>,
    port: u16,
) -> impl Filter<Extract = (Granted,), Error = Rejection> + Clone {
    let cookie = cookie_name(port);
    let raw_query = warp::query::raw().or(warp::any().map(String::new)).unify();
    warp::header::headers_cloned().and(raw_query).and_then(
        move |headers: HeaderMap, query: String| {
            let outcome = match &token {
                None => Ok(Granted { by_query: false }),
                Some(token) => check(token, &cookie, &headers, &query),
            };
            async move { outcome.map_err(warp::reject::custom) }
        },
    )
}

impl Granted {
    /// Adds the token cookie to `reply` when the request was let in by the
    /// query parameter, so the page's further requests carry it.
    pub fn finish(self, mut reply: Response, token: Option<&StatusToken>, port: u16) -> Response {
        if let (true, Some(token)) = (self.by_query, token) {
            let cookie = format!(
                "{}={}; Path=/; HttpOnly; SameSite=Strict",
                cookie_name(port),
                token.reveal()
            );
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                reply.headers_mut().append("set-cookie", value);
            }
        }
        reply
    }
}

/// The 401 answer for an [`Unauthorized`] rejection, if it is one.
pub fn unauthorized(rejection: &Rejection) -> Option<Response> {
    let Unauthorized(why) = rejection.find::<Unauthorized>()?;
    let mut reply = json_error(StatusCode::UNAUTHORIZED, why);
    reply.headers_mut().insert(
        "www-authenticate",
        HeaderValue::from_static("Bearer realm=\"flowtoy\""),
    );
    Some(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_and_cookie_are_read() {
        assert_eq!(
            query_value("a=1&token=x%2By+z", "token").as_deref(),
            Some("x+y+z")
        );
        assert_eq!(query_value("tokens=1", "token"), None);
        assert_eq!(percent_decode("100%"), "100%");
        let mut headers = HeaderMap::new();
        headers.insert(
            "cookie",
            HeaderValue::from_static("a=b; flowtoy_status_token_80=t"),
        );
        assert_eq!(
            cookie_value(&headers, "flowtoy_status_token_80").as_deref(),
            Some("t")
        );
        assert_eq!(cookie_value(&headers, "flowtoy_status_token_81"), None);
    }
}
