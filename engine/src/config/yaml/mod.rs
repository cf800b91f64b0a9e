//! The YAML reader: the events of `saphyr-parser` (a YAML 1.2 parser in
//! safe Rust) turned straight into JSON values, one event at a
//! time, plus the lines where top-level keys, sources and steps stand.
//!
//! Nothing collects a document's events before building: only the values
//! built so far are held, and each item of the top-level `flow` list is
//! handed over ([`FlowItems`]) as soon as it is complete, so a step can be
//! read from it and its value dropped. Texts over 256 KiB are parsed on a
//! thread of their own while this one builds.
//!
//! - `events.rs`: the parser's events and its syntax errors, worded with
//!   their line;
//! - `batch.rs`: events in batches from the parsing thread (and the
//!   emptied batches back);
//! - `build.rs`: events → values (aliases, duplicate keys, depth, documents);
//! - `entries.rs`: a mapping being read (its keys in order, duplicates);
//! - `scalar.rs`: what a scalar's text means (plain scalars, tags);
//! - `lines.rs`: where things stand;
//! - `prescan.rs`: a scan of the raw text before parsing (control
//!   characters, deeply nested brackets).

mod batch;
mod build;
mod entries;
mod events;
mod lines;
mod prescan;
mod scalar;

pub use lines::Lines;

use build::Builder;
use events::{events, Parsed};
use serde_json::Value;

/// Text that is not valid YAML, or valid YAML that no configuration can
/// hold: what is wrong, and the 1-based line when known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// What is wrong, in words that say what to change.
    pub message: String,
    /// Where.
    pub line: Option<usize>,
}

impl Invalid {
    fn at(message: impl Into<String>, line: usize) -> Invalid {
        Invalid {
            message: message.into(),
            line: Some(line),
        }
    }
}

/// Called with each item of the top-level `flow` list as soon as it is
/// complete: its index, value (given away) and 1-based line (for
/// `flow: *alias`, the alias's line). Items can so be read into steps
/// while the rest of the file is still being parsed; the value keeps a
/// null in their place.
pub type FlowItems<'h> = &'h mut dyn FnMut(usize, Value, usize);

/// Texts at least this long (256 KiB) are parsed on a thread of their own while this
/// one builds values: parsing and building take about the same time.
const PARALLEL_FROM: usize = 1 << 18;

/// Reads `text`, a YAML stream of at most one document: its value (`Null`
/// when there is no document) and where things stand in it.
pub fn read(text: &str, flow_items: Option<FlowItems<'_>>) -> Result<(Value, Lines), Invalid> {
    prescan::check(text)?;
    if text.len() < PARALLEL_FROM {
        return build(events(text), flow_items);
    }
    std::thread::scope(|scope| {
        let (parsing, received) = batch::channel();
        let thread = std::thread::Builder::new()
            .name("yaml".into())
            .spawn_scoped(scope, move || parsing.parse(text));
        match thread {
            Ok(_) => build(received, flow_items),
            // No thread to be had: parse here.
            Err(_) => build(events(text), flow_items),
        }
    })
}

/// Builds the value from a stream of events, stopping at the first problem.
fn build(
    events: impl Iterator<Item = Parsed>,
    flow_items: Option<FlowItems<'_>>,
) -> Result<(Value, Lines), Invalid> {
    let mut builder = Builder::new(flow_items);
    for parsed in events {
        let (event, line) = parsed?;
        builder.event(event, line)?;
    }
    Ok(builder.finish())
}

#[cfg(test)]
mod tests;
