//! Where things stand in one file: the lines of top-level keys, sources and
//! steps, noted while the file is read so problems can point at them.

use std::collections::HashMap;

/// Where things stand in one file (1-based lines).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Lines {
    /// Each top-level key (`sources`, `flow`, `plugins`, ...).
    pub top: HashMap<String, usize>,
    /// Each entry under the top-level `sources:`.
    pub sources: HashMap<String, usize>,
    /// Where each item of the top-level `flow:` list starts, in order.
    pub steps: Vec<usize>,
}

/// Where an event stands, as far as [`Lines`] cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    /// A key of the top-level mapping.
    TopKey,
    /// A key of the mapping under the top-level `sources`.
    SourceName,
    /// The start of an item of the top-level `flow` list.
    FlowItem,
    /// Anywhere else.
    Other,
}

impl Lines {
    /// Notes the line of an event at `place`; `key` is the text of a
    /// scalar key.
    pub(super) fn note(&mut self, place: Place, key: Option<&str>, line: usize) {
        match (place, key) {
            (Place::TopKey, Some(key)) => {
                self.top.insert(key.to_string(), line);
            }
            (Place::SourceName, Some(key)) => {
                self.sources.entry(key.to_string()).or_insert(line);
            }
            (Place::FlowItem, _) => self.steps.push(line),
            _ => {}
        }
    }
}
