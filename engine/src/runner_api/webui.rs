//! The web UI's files (SPEC R20), compiled into the binary: plain HTML, CSS
//! and JavaScript, no build step. The page reads `status`, `outputs` and
//! `events` relative to its own URL, so it works the same behind a relay.

/// The page at `/`.
pub const INDEX_HTML: &str = include_str!("assets/index.html");
/// `/app.js`: live updates from `/events`, polling `/status` as a fallback.
pub const APP_JS: &str = include_str!("assets/app.js");
/// `/style.css`.
pub const STYLE_CSS: &str = include_str!("assets/style.css");
/// `/history.js`: the history view (`#history`, `#runs/ID`) from `/runs`.
pub const HISTORY_JS: &str = include_str!("assets/history.js");
/// `/details.js`: the step details panel (`window.showStepDetails(name)`),
/// following a running step from `/steps/{name}`.
pub const DETAILS_JS: &str = include_str!("assets/details.js");
/// `/graph.js`: the graph view, drawn from `/graph`, coloured from the live status.
pub const GRAPH_JS: &str = include_str!("assets/graph.js");
