//! Events → JSON values, one event at a time: only the values built so far
//! are held. The builder decides every YAML corner itself: aliases are
//! copies of their anchor's value (bounded, against "billion laughs"; the
//! parser resolves names, and an anchor name used again names the newer
//! node); duplicate keys, keys that are lists or mappings, an alias inside
//! the collection it names, a second document and nesting deeper than
//! [`MAX_DEPTH`] are refused at their line.

use super::entries::{Entries, Entry};
use super::events::{AnchorId, Event};
use super::lines::{Lines, Place};
use super::scalar;
use super::{FlowItems, Invalid};
use serde_json::Value;
use std::collections::HashMap;

/// Deepest nesting of lists and mappings accepted (deeper values could not
/// be dropped or merged without deep recursion).
pub const MAX_DEPTH: usize = 128;

/// Most values aliases may copy in one file: memory stays bounded.
pub const MAX_ALIAS_NODES: usize = 1_000_000;

/// Why a key that is a list or a mapping is refused.
const COLLECTION_KEY: &str =
    "a mapping key is a list or a mapping (written with `?`); keys must be text";

/// A collection being built.
enum Open {
    Sequence(Vec<Value>),
    Mapping(Entries),
}

struct Frame {
    open: Open,
    anchor: Option<AnchorId>,
    /// The nesting depth and value count of the items so far.
    size: Size,
}

/// How deep a value nests (a scalar is 0, `[1]` is 1) and how many values
/// it holds.
#[derive(Clone, Copy, Default)]
struct Size {
    depth: usize,
    nodes: usize,
}

impl Size {
    const SCALAR: Size = Size { depth: 0, nodes: 1 };

    fn add(&mut self, item: Size) {
        self.depth = self.depth.max(item.depth);
        self.nodes += item.nodes;
    }

    /// The size of a collection holding items of this size.
    fn around(self) -> Size {
        Size {
            depth: self.depth + 1,
            nodes: self.nodes + 1,
        }
    }
}

/// What an anchor name stands for.
enum Anchored {
    /// A list or mapping still being read: an alias to it would be inside it.
    Open,
    /// A complete value.
    Done(Value, Size),
}

/// Builds one document's value from events and notes where things stand.
pub struct Builder<'h> {
    /// Receives the items of the top-level `flow` list.
    flow_items: Option<FlowItems<'h>>,
    stack: Vec<Frame>,
    root: Option<Value>,
    anchors: HashMap<AnchorId, Anchored>,
    /// Emptied lists of finished collections, to build the next ones in
    /// (each finished value gets exactly its size).
    spare_items: Vec<Vec<Value>>,
    spare_entries: Vec<Vec<Entry>>,
    alias_nodes: usize,
    documents: usize,
    lines: Lines,
}

impl<'h> Builder<'h> {
    /// A builder handing the items of the top-level `flow` list to
    /// `flow_items` (which then keeps nulls in their place).
    pub fn new(flow_items: Option<FlowItems<'h>>) -> Self {
        Builder {
            flow_items,
            stack: Vec::new(),
            root: None,
            anchors: HashMap::new(),
            spare_items: Vec::new(),
            spare_entries: Vec::new(),
            alias_nodes: 0,
            documents: 0,
            lines: Lines::default(),
        }
    }

    /// The value read (`Null` for a text with no document) and the lines.
    pub fn finish(self) -> (Value, Lines) {
        (self.root.unwrap_or(Value::Null), self.lines)
    }

    /// Takes the next event, written at `line`.
    pub fn event(&mut self, event: Event, line: usize) -> Result<(), Invalid> {
        let is_key = matches!(
            self.stack.last(),
            Some(Frame { open: Open::Mapping(entries), .. }) if entries.pending_key().is_none()
        );
        let key = match &event {
            Event::Scalar { value, .. } if is_key => Some(value.as_str()),
            _ => None,
        };
        self.lines.note(self.place(&event, is_key), key, line);
        match event {
            Event::DocumentStart => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err(Invalid::at(
                        format!(
                            "a second YAML document starts at line {line} (after `---`); \
                             a configuration file holds one document"
                        ),
                        line,
                    ));
                }
                Ok(())
            }
            Event::Scalar {
                value,
                plain,
                tag,
                anchor,
            } => {
                // A key is its text, whatever it looks like (`1:` is "1").
                let value = if is_key {
                    Value::String(value)
                } else {
                    scalar::resolve(value, plain, tag).map_err(|m| Invalid::at(m, line))?
                };
                self.place_value(value, Size::SCALAR, anchor, line, false)
            }
            Event::Alias(id) => {
                let (value, size) = self.alias(id, line)?;
                self.place_value(value, size, None, line, true)
            }
            Event::SequenceStart { .. } | Event::MappingStart { .. } if is_key => {
                // `? [a, b]` or `? {a: b}`: JSON keys are text. (Turned
                // into text, nested keys grow exponentially with depth.)
                Err(Invalid::at(COLLECTION_KEY, line))
            }
            Event::SequenceStart { anchor } => {
                let items = self.spare_items.pop().unwrap_or_default();
                self.open(Open::Sequence(items), anchor, line)
            }
            Event::MappingStart { anchor } => {
                let spare = self.spare_entries.pop().unwrap_or_default();
                self.open(Open::Mapping(Entries::reusing(spare)), anchor, line)
            }
            Event::End => match self.stack.pop() {
                Some(frame) => {
                    let value = match frame.open {
                        Open::Sequence(mut items) => {
                            // Exactly its size; the buffer is kept for the next.
                            let mut exact = Vec::with_capacity(items.len());
                            exact.append(&mut items);
                            self.spare_items.push(items);
                            Value::Array(exact)
                        }
                        Open::Mapping(entries) => {
                            let (map, spare) = entries.finish();
                            self.spare_entries.push(spare);
                            Value::Object(map)
                        }
                    };
                    self.place_value(value, frame.size.around(), frame.anchor, line, false)
                }
                None => Ok(()),
            },
        }
    }

    /// Where an event stands, for [`Lines`].
    fn place(&self, event: &Event, is_key: bool) -> Place {
        match self.stack.as_slice() {
            [_] if is_key => Place::TopKey,
            [root, Frame {
                open: Open::Sequence(_),
                ..
            }] if pending_key(root) == Some("flow") && !matches!(event, Event::End) => {
                Place::FlowItem
            }
            [root, _] if is_key && pending_key(root) == Some("sources") => Place::SourceName,
            _ => Place::Other,
        }
    }

    /// A list or mapping starts.
    fn open(&mut self, open: Open, anchor: Option<AnchorId>, line: usize) -> Result<(), Invalid> {
        if self.stack.len() >= MAX_DEPTH {
            return Err(too_deep(line));
        }
        if let Some(id) = anchor {
            self.anchors.insert(id, Anchored::Open);
        }
        self.stack.push(Frame {
            open,
            anchor,
            size: Size::default(),
        });
        Ok(())
    }

    /// A copy of the value anchored `id`. (The parser refuses aliases
    /// that name no anchor.)
    fn alias(&mut self, id: AnchorId, line: usize) -> Result<(Value, Size), Invalid> {
        match self.anchors.get(&id) {
            Some(Anchored::Done(value, size)) => {
                self.alias_nodes += size.nodes;
                if self.alias_nodes > MAX_ALIAS_NODES {
                    return Err(Invalid::at(
                        "anchors and aliases (`&a`, `*a`) expand to too many values \
                         (more than 1,000,000), as in a \"billion laughs\" document: \
                         use fewer aliases",
                        line,
                    ));
                }
                Ok((value.clone(), *size))
            }
            Some(Anchored::Open) | None => Err(Invalid::at(
                "this alias stands inside the list or mapping its anchor names, \
                 which would contain itself",
                line,
            )),
        }
    }

    /// A complete value: remembered under its anchor, then placed in the
    /// collection being built (as an item, a key or a key's value).
    fn place_value(
        &mut self,
        value: Value,
        size: Size,
        anchor: Option<AnchorId>,
        line: usize,
        from_alias: bool,
    ) -> Result<(), Invalid> {
        if self.stack.len() + size.depth > MAX_DEPTH {
            return Err(too_deep(line));
        }
        if let Some(id) = anchor {
            self.anchors.insert(id, Anchored::Done(value.clone(), size));
        }
        let value = self.hand_over(value, from_alias, line);
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(value);
            return Ok(());
        };
        frame.size.add(size);
        match &mut frame.open {
            Open::Sequence(items) => items.push(value),
            Open::Mapping(entries) if entries.pending_key().is_none() => {
                let text = match value {
                    Value::String(text) => text,
                    Value::Array(_) | Value::Object(_) => {
                        return Err(Invalid::at(COLLECTION_KEY, line))
                    }
                    // An alias to a number, boolean or null.
                    other => other.to_string(),
                };
                if let Err((text, first)) = entries.key(text, line) {
                    return Err(Invalid::at(
                        format!(
                            "duplicate key `{text}`: the same mapping has it at line {first} \
                             already; write each key once"
                        ),
                        line,
                    ));
                }
            }
            Open::Mapping(entries) => entries.value(value),
        }
        Ok(())
    }

    /// Hands an item of the top-level `flow` list to `flow_items` (or, for
    /// `flow: *alias`, every item of the list) and gives back what to keep
    /// in its place: a null, unless the list has an anchor of its own.
    fn hand_over(&mut self, value: Value, from_alias: bool, line: usize) -> Value {
        let Some(receive) = self.flow_items.as_mut() else {
            return value;
        };
        match self.stack.as_slice() {
            [root, Frame {
                open: Open::Sequence(items),
                anchor,
                ..
            }] if pending_key(root) == Some("flow") => {
                let start = self.lines.steps.last().copied().unwrap_or(line);
                let index = items.len();
                if anchor.is_some() {
                    // An alias may copy the list: it keeps its items.
                    receive(index, value.clone(), start);
                    value
                } else {
                    receive(index, value, start);
                    Value::Null
                }
            }
            [root] if from_alias && pending_key(root) == Some("flow") => match value {
                Value::Array(items) => {
                    let count = items.len();
                    for (index, item) in items.into_iter().enumerate() {
                        self.lines.steps.push(line);
                        receive(index, item, line);
                    }
                    Value::Array(vec![Value::Null; count])
                }
                other => other,
            },
            _ => value,
        }
    }
}

/// The key a mapping is reading the value of.
fn pending_key(frame: &Frame) -> Option<&str> {
    match &frame.open {
        Open::Mapping(entries) => entries.pending_key(),
        Open::Sequence(_) => None,
    }
}

fn too_deep(line: usize) -> Invalid {
    Invalid::at(
        format!(
            "the document is nested too deeply (more than {MAX_DEPTH} levels of lists \
             and mappings); flatten the structure"
        ),
        line,
    )
}
