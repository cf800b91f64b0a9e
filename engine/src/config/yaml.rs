//! A streaming YAML reader: the events of libyaml (the parser `serde_yaml`
//! itself uses, through `unsafe-libyaml`) turned straight into JSON values,
//! one event at a time, plus the lines where top-level keys, sources and steps
//! stand.
//!
//! `serde_yaml` first collects every event of a document and only then builds
//! values; for a 10 MB file that is most of a gigabyte. This reader holds
//! only the values built so far. Where it would have to decide something the
//! way `serde_yaml` does in a rare corner — tags, duplicate keys, integers
//! beyond 64 bits, very deep nesting, an unknown or reused anchor name,
//! aliases that expand to very much, a second document — it says
//! [`Read::Unusual`] and `load.rs` lets `serde_yaml` decide (and word any
//! error). A list or mapping used as a key is refused outright. Plain scalars
//! are resolved exactly as `serde_yaml` resolves them (YAML 1.2 core schema);
//! the tests and a differential fuzz target compare the two.

use serde_json::{Map, Number, Value};
use std::collections::{HashMap, HashSet};
use std::mem::MaybeUninit;
use std::num::ParseIntError;

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

/// What reading a text gave.
#[derive(Debug)]
pub enum Read {
    /// The document's value (`Null` for an empty text) and its lines.
    Value(Value, Lines),
    /// Well-formed as far as read, but its value is for `serde_yaml` to decide.
    Unusual(Lines),
    /// libyaml refused the text; `serde_yaml` words the error.
    Invalid,
    /// Valid YAML that no configuration can hold: what is wrong, and the line.
    Refused(String, usize),
}

/// Nesting deeper than this is left to `serde_yaml`, which refuses more
/// than 128 levels with its own message.
const MAX_DEPTH: usize = 100;

/// Alias expansion beyond this many copied values is left to `serde_yaml`
/// (which bounds it by the size of the document): memory stays bounded.
const MAX_ALIAS_NODES: usize = 1_000_000;

/// Texts at least this long are parsed on a thread of their own while this
/// one builds values: libyaml and the building take about the same time.
const PARALLEL_FROM: usize = 1 << 20;

/// Events are handed between the threads this many at a time.
const BATCH: usize = 4096;

/// libyaml refused the text.
struct SyntaxError;

type Parsed = Result<(Event, usize), SyntaxError>;

/// Why a key that is a list or a mapping is refused.
pub const COLLECTION_KEY: &str =
    "a mapping key is a list or a mapping (written with `?`); keys must be text";

/// Called with each item of the top-level `flow` list as soon as it is
/// complete (its index, value and 1-based line); what it returns is kept in
/// the item's place. Items can so be read into steps while the rest of the
/// file is still being parsed, and their values dropped at once.
pub type FlowItems<'h> = &'h mut dyn FnMut(usize, Value, usize) -> Value;

/// Reads `text`, a whole YAML stream.
pub fn read(text: &str) -> Read {
    read_with(text, None)
}

/// As [`read`], handing each item of the top-level `flow` list to `items`.
pub fn read_with(text: &str, items: Option<FlowItems<'_>>) -> Read {
    if text.len() < PARALLEL_FROM {
        return build(events(text), items);
    }
    std::thread::scope(|scope| {
        let (batches, received) = std::sync::mpsc::sync_channel::<Vec<Parsed>>(4);
        let parsing = std::thread::Builder::new()
            .name("yaml".into())
            .spawn_scoped(scope, move || {
                let mut batch = Vec::with_capacity(BATCH);
                for parsed in events(text) {
                    batch.push(parsed);
                    if batch.len() == BATCH {
                        let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                        // The builder stopped early (it has what it needs).
                        if batches.send(full).is_err() {
                            return;
                        }
                    }
                }
                let _ = batches.send(batch);
            });
        match parsing {
            Ok(_) => build(received.into_iter().flatten(), items),
            // No thread to be had: parse here.
            Err(_) => build(events(text), items),
        }
    })
}

/// libyaml's events for `text`, ending with the stream's end or an error.
fn events(text: &str) -> impl Iterator<Item = Parsed> + '_ {
    let mut parser = Parser::new(text);
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let next = parser.as_mut().and_then(|p| p.next());
        done = matches!(next, None | Some((Event::StreamEnd, _)));
        Some(next.ok_or(SyntaxError))
    })
}

/// Builds the value and notes the lines from a stream of events.
fn build(events: impl Iterator<Item = Parsed>, flow_items: Option<FlowItems<'_>>) -> Read {
    let mut builder = Builder {
        flow_items,
        ..Builder::default()
    };
    let mut documents = 0;
    for parsed in events {
        let Ok((event, line)) = parsed else {
            return Read::Invalid;
        };
        match event {
            Event::StreamEnd => break,
            Event::DocumentStart => {
                documents += 1;
                if documents > 1 {
                    builder.unusual = true;
                    break;
                }
            }
            Event::Other => {}
            event => builder.event(event, line),
        }
        if let Some((message, line)) = builder.refused.take() {
            return Read::Refused(message, line);
        }
        if builder.too_deep || builder.stack.len() > MAX_DEPTH {
            // Too deep for serde_yaml too: it words the error. Building on
            // would make values too deep to drop without recursion.
            builder.unusual = true;
            break;
        }
    }
    let Builder {
        root,
        lines,
        unusual,
        ..
    } = builder;
    if unusual {
        Read::Unusual(lines)
    } else {
        Read::Value(root.unwrap_or(Value::Null), lines)
    }
}

/// One libyaml event, copied out of the parser.
enum Event {
    StreamEnd,
    DocumentStart,
    /// Stream start and document end: nothing to do.
    Other,
    Alias(String),
    Scalar {
        /// `None` when the bytes are not UTF-8 (only escapes could do that).
        value: Option<String>,
        plain: bool,
        tagged: bool,
        anchor: Option<String>,
    },
    SequenceStart {
        tagged: bool,
        anchor: Option<String>,
    },
    MappingStart {
        tagged: bool,
        anchor: Option<String>,
    },
    End,
}

/// libyaml's parser over one text. It is boxed because libyaml keeps
/// pointers into its own state.
struct Parser<'a> {
    state: Box<MaybeUninit<unsafe_libyaml::yaml_parser_t>>,
    _text: std::marker::PhantomData<&'a str>,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Option<Parser<'a>> {
        let mut state = Box::new(MaybeUninit::<unsafe_libyaml::yaml_parser_t>::uninit());
        // SAFETY: `state` is a valid, boxed (so never moved) parser; the input
        // outlives the parser (the lifetime 'a ties them).
        unsafe {
            let p = state.as_mut_ptr();
            if unsafe_libyaml::yaml_parser_initialize(p).fail {
                return None;
            }
            unsafe_libyaml::yaml_parser_set_encoding(p, unsafe_libyaml::YAML_UTF8_ENCODING);
            unsafe_libyaml::yaml_parser_set_input_string(p, text.as_ptr(), text.len() as u64);
        }
        Some(Parser {
            state,
            _text: std::marker::PhantomData,
        })
    }

    /// The next event and its 1-based line; `None` on a syntax error (after
    /// which the reader stops).
    fn next(&mut self) -> Option<(Event, usize)> {
        let mut raw = MaybeUninit::<unsafe_libyaml::yaml_event_t>::uninit();
        // SAFETY: the parser was initialized in `new`; the event is read only
        // after libyaml filled it, and deleted once copied.
        unsafe {
            let p = self.state.as_mut_ptr();
            if unsafe_libyaml::yaml_parser_parse(p, raw.as_mut_ptr()).fail {
                return None;
            }
            let raw = raw.as_mut_ptr();
            let line = (*raw).start_mark.line as usize + 1;
            let event = copy_event(&*raw);
            unsafe_libyaml::yaml_event_delete(raw);
            Some((event, line))
        }
    }
}

impl Drop for Parser<'_> {
    fn drop(&mut self) {
        // SAFETY: initialized in `new` (a failed initialization never makes a Parser).
        unsafe { unsafe_libyaml::yaml_parser_delete(self.state.as_mut_ptr()) }
    }
}

/// Copies what the reader needs out of a libyaml event.
///
/// # Safety
/// `raw` must be an event libyaml filled in and has not deleted.
unsafe fn copy_event(raw: &unsafe_libyaml::yaml_event_t) -> Event {
    // SAFETY (all blocks): libyaml sets the union member that matches the
    // event type, and its strings are NUL-terminated (or null pointers).
    match raw.type_ {
        unsafe_libyaml::YAML_STREAM_END_EVENT => Event::StreamEnd,
        unsafe_libyaml::YAML_DOCUMENT_START_EVENT => Event::DocumentStart,
        unsafe_libyaml::YAML_ALIAS_EVENT => {
            Event::Alias(unsafe { c_text(raw.data.alias.anchor) }.unwrap_or_default())
        }
        unsafe_libyaml::YAML_SCALAR_EVENT => {
            let s = unsafe { raw.data.scalar };
            let bytes = unsafe { std::slice::from_raw_parts(s.value, s.length as usize) };
            Event::Scalar {
                value: std::str::from_utf8(bytes).ok().map(str::to_owned),
                plain: s.style == unsafe_libyaml::YAML_PLAIN_SCALAR_STYLE,
                tagged: !s.tag.is_null(),
                anchor: unsafe { c_text(s.anchor) },
            }
        }
        unsafe_libyaml::YAML_SEQUENCE_START_EVENT => {
            let s = unsafe { raw.data.sequence_start };
            Event::SequenceStart {
                tagged: !s.tag.is_null(),
                anchor: unsafe { c_text(s.anchor) },
            }
        }
        unsafe_libyaml::YAML_MAPPING_START_EVENT => {
            let s = unsafe { raw.data.mapping_start };
            Event::MappingStart {
                tagged: !s.tag.is_null(),
                anchor: unsafe { c_text(s.anchor) },
            }
        }
        unsafe_libyaml::YAML_SEQUENCE_END_EVENT | unsafe_libyaml::YAML_MAPPING_END_EVENT => {
            Event::End
        }
        _ => Event::Other,
    }
}

/// A NUL-terminated libyaml string, or `None` for a null pointer.
///
/// # Safety
/// `ptr` must be null or point to a NUL-terminated string.
unsafe fn c_text(ptr: *const u8) -> Option<String> {
    if ptr.is_null() {
        return None;
    }
    // SAFETY: as promised by the caller.
    let text = unsafe { std::ffi::CStr::from_ptr(ptr.cast()) };
    Some(text.to_string_lossy().into_owned())
}

/// A collection being built.
enum Open {
    Sequence(Vec<Value>),
    /// The map so far and the key waiting for its value.
    Mapping(Map<String, Value>, Option<String>),
}

struct Frame {
    open: Open,
    anchor: Option<String>,
    /// The nesting depth and value count of the items so far.
    size: Size,
}

/// How deep a value nests (a scalar is 1) and how many values it holds.
#[derive(Clone, Copy, Default)]
struct Size {
    depth: usize,
    nodes: usize,
}

impl Size {
    const SCALAR: Size = Size { depth: 1, nodes: 1 };

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

/// Builds values from events, notes lines, and notes what is unusual.
#[derive(Default)]
struct Builder<'h> {
    /// Receives the items of the top-level `flow` list.
    flow_items: Option<FlowItems<'h>>,
    stack: Vec<Frame>,
    root: Option<Value>,
    anchors: HashMap<String, (Value, Size)>,
    /// Every anchor name seen so far, complete or not.
    anchor_names: HashSet<String>,
    /// Why reading must stop, and where.
    refused: Option<(String, usize)>,
    alias_nodes: usize,
    /// A value nests deeper than [`MAX_DEPTH`] (aliases can do that too).
    too_deep: bool,
    lines: Lines,
    unusual: bool,
}

impl Builder<'_> {
    fn event(&mut self, event: Event, line: usize) {
        let is_key = matches!(
            self.stack.last(),
            Some(Frame {
                open: Open::Mapping(_, None),
                ..
            })
        );
        self.note_line(&event, line, is_key);
        match event {
            Event::Scalar {
                value,
                plain,
                tagged,
                anchor,
            } => {
                // Tags, and anchors on keys: `serde_yaml` decides.
                self.unusual |= tagged || (is_key && anchor.is_some());
                let anchor = self.open_anchor(anchor);
                let value = match value {
                    // A key is its text, whatever it looks like (`1:` is "1").
                    Some(text) if is_key || !plain => Some(Value::String(text)),
                    Some(text) => resolve_plain(text),
                    None => None,
                };
                let value = value.unwrap_or_else(|| {
                    self.unusual = true;
                    Value::Null
                });
                self.finish(value, Size::SCALAR, anchor);
            }
            Event::Alias(name) => {
                let value = match self.anchors.get(&name) {
                    Some((v, size)) if !is_key && !self.unusual => {
                        self.alias_nodes += size.nodes;
                        (self.alias_nodes <= MAX_ALIAS_NODES).then(|| (v.clone(), *size))
                    }
                    _ => None,
                };
                let (value, size) = value.unwrap_or_else(|| {
                    self.unusual = true;
                    (Value::Null, Size::SCALAR)
                });
                self.finish(value, size, None);
            }
            Event::SequenceStart { .. } | Event::MappingStart { .. } if is_key => {
                // `? [a, b]` or `? {a: b}`: JSON keys are text. (Turned
                // into text, nested keys grow exponentially with depth.)
                self.refused = Some((COLLECTION_KEY.to_string(), line));
            }
            Event::SequenceStart { tagged, anchor } => {
                self.unusual |= tagged;
                let anchor = self.open_anchor(anchor);
                self.stack.push(Frame {
                    open: Open::Sequence(Vec::new()),
                    anchor,
                    size: Size::default(),
                });
            }
            Event::MappingStart { tagged, anchor } => {
                self.unusual |= tagged;
                let anchor = self.open_anchor(anchor);
                self.stack.push(Frame {
                    open: Open::Mapping(Map::new(), None),
                    anchor,
                    size: Size::default(),
                });
            }
            Event::End => {
                if let Some(frame) = self.stack.pop() {
                    let value = match frame.open {
                        Open::Sequence(items) => Value::Array(items),
                        Open::Mapping(map, _) => Value::Object(map),
                    };
                    self.finish(value, frame.size.around(), frame.anchor);
                }
            }
            Event::StreamEnd | Event::DocumentStart | Event::Other => {}
        }
    }

    /// A node with an anchor starts. Its value is remembered when it is
    /// complete, so an alias inside it (endless: `serde_yaml` refuses it)
    /// finds nothing and is left to `serde_yaml`.
    fn open_anchor(&mut self, anchor: Option<String>) -> Option<String> {
        let name = anchor?;
        if !self.anchor_names.insert(name.clone()) {
            // A name used twice: `serde_yaml` numbers anchors by how many
            // names it has seen, so a reused name can end up sharing a number
            // with a later anchor, and its aliases then read that one. Files
            // read the same as before only if `serde_yaml` decides these.
            self.unusual = true;
        }
        Some(name)
    }

    /// A complete value: remembered under its anchor, then placed in the
    /// collection being built (as an item, a key or a key's value).
    fn finish(&mut self, value: Value, size: Size, anchor: Option<String>) {
        if size.depth > MAX_DEPTH {
            self.too_deep = true;
            return;
        }
        if let Some(name) = anchor {
            if !self.unusual {
                self.anchors.insert(name, (value.clone(), size));
            }
        }
        let value = match (&mut self.flow_items, self.stack.as_slice()) {
            (
                Some(receive),
                [root, Frame {
                    open: Open::Sequence(items),
                    ..
                }],
            ) if top_key(root) == Some("flow") && !self.unusual => {
                let line = self.lines.steps.last().copied().unwrap_or(0);
                receive(items.len(), value, line)
            }
            _ => value,
        };
        let Some(frame) = self.stack.last_mut() else {
            self.root = Some(value);
            return;
        };
        frame.size.add(size);
        match &mut frame.open {
            Open::Sequence(items) => items.push(value),
            Open::Mapping(_, key @ None) => match value {
                Value::String(text) => *key = Some(text),
                _ => {
                    self.unusual = true;
                    *key = Some(String::new());
                }
            },
            Open::Mapping(map, key @ Some(_)) => {
                let key = key.take().unwrap_or_default();
                if map.contains_key(&key) {
                    // `serde_yaml` reports duplicate keys with its own words.
                    self.unusual = true;
                } else if !self.unusual {
                    map.insert(key, value);
                }
            }
        }
    }

    /// Notes the line of a top-level key, a source's name or a step.
    fn note_line(&mut self, event: &Event, line: usize, is_key: bool) {
        match self.stack.as_slice() {
            [_] if is_key => {
                if let Event::Scalar {
                    value: Some(key), ..
                } = event
                {
                    self.lines.top.insert(key.clone(), line);
                }
            }
            [root, Frame {
                open: Open::Sequence(_),
                ..
            }] if top_key(root) == Some("flow") && !matches!(event, Event::End) => {
                self.lines.steps.push(line);
            }
            [root, _] if is_key && top_key(root) == Some("sources") => {
                if let Event::Scalar {
                    value: Some(key), ..
                } = event
                {
                    self.lines.sources.entry(key.clone()).or_insert(line);
                }
            }
            _ => {}
        }
    }
}

/// The key a mapping is reading the value of.
fn top_key(frame: &Frame) -> Option<&str> {
    match &frame.open {
        Open::Mapping(_, Some(key)) => Some(key.as_str()),
        _ => None,
    }
}

/// A plain (unquoted) scalar as `serde_yaml` reads it: null, a boolean, an
/// integer, a float or a string. `None` for an integer beyond 64 bits.
fn resolve_plain(text: String) -> Option<Value> {
    // Most scalars are words: only these first characters can start anything else.
    match text.as_bytes().first() {
        None => return Some(Value::Null),
        Some(b)
            if !matches!(
                b,
                b'0'..=b'9' | b'+' | b'-' | b'.' | b'~' | b'n' | b'N' | b't' | b'T' | b'f' | b'F'
            ) =>
        {
            return Some(Value::String(text))
        }
        _ => {}
    }
    match text.as_str() {
        "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    if let Some(n) = unsigned_int(&text, u64::from_str_radix) {
        return Some(Value::from(n));
    }
    if let Some(n) = negative_int(&text, i64::from_str_radix) {
        return Some(Value::from(n));
    }
    if unsigned_int(&text, u128::from_str_radix).is_some()
        || negative_int(&text, i128::from_str_radix).is_some()
    {
        return None;
    }
    if !leading_zero_digits(&text) {
        if let Some(f) = float(&text) {
            // Infinities and NaN have no JSON form.
            return Some(Number::from_f64(f).map_or(Value::Null, Value::Number));
        }
    }
    Some(Value::String(text))
}

type Radix<T> = fn(&str, u32) -> Result<T, ParseIntError>;

const PREFIXES: [(&str, u32); 3] = [("0x", 16), ("0o", 8), ("0b", 2)];

/// `12`, `+12`, `0x1f`, `0o17`, `0b101` (not `012`, which is a string).
fn unsigned_int<T>(text: &str, parse: Radix<T>) -> Option<T> {
    let digits = text.strip_prefix('+').unwrap_or(text);
    for (prefix, radix) in PREFIXES {
        if let Some(rest) = digits.strip_prefix(prefix) {
            if rest.starts_with(['+', '-']) {
                return None;
            }
            if let Ok(n) = parse(rest, radix) {
                return Some(n);
            }
        }
    }
    if digits.starts_with(['+', '-']) || leading_zero_digits(text) {
        return None;
    }
    parse(digits, 10).ok()
}

/// `-12`, `-0x1f`, `-0o17`, `-0b101`.
fn negative_int<T>(text: &str, parse: Radix<T>) -> Option<T> {
    if let Some(rest) = text.strip_prefix('-') {
        for (prefix, radix) in PREFIXES {
            if let Some(digits) = rest.strip_prefix(prefix) {
                if let Ok(n) = parse(&format!("-{digits}"), radix) {
                    return Some(n);
                }
            }
        }
    }
    if leading_zero_digits(text) {
        return None;
    }
    parse(text, 10).ok()
}

/// `0123`, `-01`: digits after a leading zero are a string in YAML 1.2.
fn leading_zero_digits(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    digits.len() > 1 && digits.starts_with('0') && digits[1..].bytes().all(|b| b.is_ascii_digit())
}

/// `1.5`, `-2e3`, `.inf`, `-.inf`, `.nan` (finite ones as written).
fn float(text: &str) -> Option<f64> {
    let unsigned = match text.strip_prefix('+') {
        Some(rest) if rest.starts_with(['+', '-']) => return None,
        Some(rest) => rest,
        None => text,
    };
    match (unsigned, text) {
        (".inf" | ".Inf" | ".INF", _) => Some(f64::INFINITY),
        (_, "-.inf" | "-.Inf" | "-.INF") => Some(f64::NEG_INFINITY),
        (_, ".nan" | ".NaN" | ".NAN") => Some(f64::NAN),
        _ => unsigned.parse::<f64>().ok().filter(|f| f.is_finite()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::Path;

    /// What `serde_yaml` makes of the same text.
    fn serde_yaml_value(text: &str) -> Value {
        serde_yaml::from_str(text).unwrap_or_else(|e| panic!("{text:?}: {e}"))
    }

    fn value(text: &str) -> Value {
        match read(text) {
            Read::Value(v, _) => v,
            other => panic!("{text:?}: {other:?}"),
        }
    }

    #[test]
    fn plain_scalars_resolve_as_serde_yaml_resolves_them() {
        let scalars = [
            "",
            "~",
            "null",
            "Null",
            "NULL",
            "nULL",
            "true",
            "True",
            "TRUE",
            "tRUE",
            "false",
            "False",
            "FALSE",
            "yes",
            "no",
            "on",
            "off",
            "0",
            "1",
            "-1",
            "+1",
            "++1",
            "+-1",
            "007",
            "-007",
            "0x1f",
            "0X1f",
            "-0x1f",
            "+0x1f",
            "0x-1",
            "0o17",
            "-0o17",
            "0b101",
            "-0b101",
            "0b2",
            "0x",
            "1_000",
            "18446744073709551615",
            "-9223372036854775808",
            "9223372036854775807",
            "1.5",
            "-1.5",
            "+1.5",
            "1e3",
            "-2E-3",
            ".5",
            "5.",
            "0.0",
            "00.5",
            "1.0e+400",
            ".inf",
            ".Inf",
            "-.INF",
            "+.inf",
            ".nan",
            ".NaN",
            "+.nan",
            "inf",
            "nan",
            "NaN",
            "infinity",
            "-",
            "--",
            ".",
            "..",
            "+",
            "1.2.3",
            "12:30",
            "1 2",
            "0123abc",
            "n",
            "t",
            "f",
            "tru",
            "nulls",
            "~x",
            "hello",
            "héllo",
            "HOME",
            "flows.a",
            "-x",
            ".x",
            "3rd",
        ];
        for scalar in scalars {
            let text = format!("k: {scalar}\n");
            match read(&text) {
                Read::Value(v, _) => assert_eq!(v, serde_yaml_value(&text), "{scalar:?}"),
                Read::Invalid => assert!(serde_yaml::from_str::<Value>(&text).is_err()),
                other => panic!("{scalar:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn quoted_and_block_scalars_stay_strings() {
        let text = "a: '1'\nb: \"true\"\nc: |\n  012\nd: >\n  null\ne: \"\\u00e9\\t\"\n";
        assert_eq!(value(text), serde_yaml_value(text));
        assert_eq!(value(text)["a"], json!("1"));
    }

    #[test]
    fn keys_are_their_text() {
        let text = "1: a\ntrue: b\n~: c\n1.50: d\n'q': e\n";
        assert_eq!(
            value(text),
            json!({"1": "a", "true": "b", "~": "c", "1.50": "d", "q": "e"})
        );
    }

    #[test]
    fn every_example_and_fixture_reads_as_serde_yaml_reads_it() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut checked = 0;
        for dir in ["examples", "tests/fixtures", "plugins/file/examples"] {
            let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                if path.extension().is_none_or(|e| e != "yaml") {
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                let expected = serde_yaml::from_str::<Value>(&text);
                match (read(&text), expected) {
                    (Read::Value(v, _), Ok(expected)) => {
                        assert_eq!(v, expected, "{}", path.display());
                        checked += 1;
                    }
                    (Read::Value(v, _), Err(e)) => {
                        panic!("{}: read {v} but serde_yaml says {e}", path.display())
                    }
                    // Left to serde_yaml: it decides, so nothing to compare.
                    // Left to serde_yaml (it decides), or refused on purpose
                    // (collection keys): nothing to compare.
                    (Read::Unusual(_) | Read::Invalid | Read::Refused(..), _) => {}
                }
            }
        }
        assert!(checked > 30, "only {checked} files compared");
    }

    #[test]
    fn rare_corners_are_left_to_serde_yaml() {
        for text in [
            "a: !!str 5\n",
            "a: !custom {x: 1}\n",
            "a: 1\na: 2\n",
            "*a : 1\n",
            "a: 340282366920938463463374607431768211455\n",
            "a: *nowhere\n",
            "a: 1\n---\nb: 2\n",
        ] {
            assert!(matches!(read(text), Read::Unusual(_)), "{text:?}");
        }
        assert!(matches!(read("a: [1, 2\n"), Read::Invalid));
        assert!(matches!(read("? [a, b]\n: c\n"), Read::Refused(_, 1)));
        assert!(matches!(
            read("x: 1\ny:\n  ? {a: b}\n  : c\n"),
            Read::Refused(_, 3)
        ));
        assert!(matches!(read("a:\n\tb: 1\n"), Read::Invalid));
    }

    #[test]
    fn aliases_are_copies_and_bombs_stay_bounded() {
        let text = "base: &b {x: 1, y: [2]}\nuse: *b\nlist: [*b, *b]\n";
        assert_eq!(value(text), serde_yaml_value(text));
        // Found by the differential fuzzer: an alias inside the collection
        // its anchor names is that collection (endless), not the anchor's
        // earlier value.
        for text in ["a: &x 1\nb: &x [*x]\n", "a: &x 1\nb: &x {k: *x}\n"] {
            assert!(matches!(read(text), Read::Unusual(_)), "{text:?}");
            assert!(serde_yaml::from_str::<Value>(text).is_err(), "{text:?}");
        }
        // A name anchored twice is left to serde_yaml, which reads it its
        // own way (found by the differential fuzzer): here `*x` gives the
        // node anchored `&y`.
        let text = "a: &x 1\nb: &x 2\nc: &y 3\nd: *x\n";
        assert!(matches!(read(text), Read::Unusual(_)));
        assert_eq!(serde_yaml_value(text)["d"], json!(3));
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..12 {
            let prev = (b'a' + level - 1) as char;
            let this = (b'a' + level) as char;
            bomb.push_str(&format!(
                "{this}: &{this} [{}]\n",
                vec![format!("*{prev}"); 10].join(", ")
            ));
        }
        assert!(matches!(read(&bomb), Read::Unusual(_)));
    }

    #[test]
    fn nesting_deeper_than_serde_yaml_allows_is_left_to_it() {
        let deep = format!("a: {}{}\n", "[".repeat(150), "]".repeat(150));
        assert!(matches!(read(&deep), Read::Unusual(_)));
        let fine = format!("a: {}{}\n", "[".repeat(50), "]".repeat(50));
        assert_eq!(value(&fine), serde_yaml_value(&fine));
        // 100,000 levels of block lists, and aliases nesting one level per
        // line: stopped early, never built (or dropped) that deep.
        assert!(matches!(
            read(&format!("a:\n{}x\n", "- ".repeat(100_000))),
            Read::Unusual(_)
        ));
        let mut chain = String::from("a0: &a0 [x]\n");
        for i in 1..100_000 {
            chain.push_str(&format!("a{i}: &a{i} [*a{}]\n", i - 1));
        }
        assert!(matches!(read(&chain), Read::Unusual(_)));
    }

    #[test]
    fn lines_of_top_level_keys_sources_and_steps() {
        let text = "\
# a comment
sources:
  home: {type: env}
  web:
    type: rest
flow:
  - name: a
    source: home

  - source: web
    name: b
  - {name: c, source: home}
runner: {max_workers: 2}
";
        let Read::Value(_, lines) = read(text) else {
            panic!()
        };
        assert_eq!(lines.top["sources"], 2);
        assert_eq!(lines.top["flow"], 6);
        assert_eq!(lines.top["runner"], 13);
        assert_eq!(lines.sources["home"], 3);
        assert_eq!(lines.sources["web"], 4);
        assert_eq!(lines.steps, [7, 10, 12]);
    }

    #[test]
    fn large_texts_parse_on_a_thread_of_their_own_with_the_same_result() {
        let mut text = String::from("sources:\n  home: {type: env}\nflow:\n");
        while text.len() < PARALLEL_FROM + 1000 {
            let i = text.len();
            text.push_str(&format!(
                "  - {{name: s{i}, source: home, n: {i}, f: 1.5}}\n"
            ));
        }
        let (threaded, lines) = match read(&text) {
            Read::Value(v, lines) => (v, lines),
            other => panic!("{other:?}"),
        };
        assert_eq!(threaded, serde_yaml_value(&text));
        let sequential = match build(events(&text), None) {
            Read::Value(v, _) => v,
            other => panic!("{other:?}"),
        };
        assert_eq!(threaded, sequential);
        assert_eq!(
            lines.steps.len(),
            threaded["flow"].as_array().unwrap().len()
        );
        // A syntax error at the very end, and a second document, are still seen.
        assert!(matches!(
            read(&format!("{text}  - [unclosed\n")),
            Read::Invalid
        ));
        assert!(matches!(
            read(&format!("{text}---\nb: 1\n")),
            Read::Unusual(_)
        ));
    }

    #[test]
    fn an_empty_text_is_null() {
        assert_eq!(value(""), Value::Null);
        assert_eq!(value("# only a comment\n"), Value::Null);
    }
}
