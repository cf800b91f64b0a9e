//! Events handed from the parsing thread to the building one, packed:
//! the texts of a batch's scalars stand in one buffer, so the parsing
//! thread frees its own strings and the building thread allocates the
//! values it keeps. (Strings allocated on one thread and freed on another
//! make the two threads wait on the allocator's locks: with glibc's
//! allocator that cost more than the second thread gained.)

use super::events::{AnchorId, Event, Parsed};
use super::scalar::Tag;
use super::Invalid;
use std::ops::Range;

/// Events are handed between the threads this many at a time.
pub const BATCH: usize = 4096;

/// One event, its scalar's text (if any) as a range of [`Batch::texts`].
enum Packed {
    Scalar {
        text: Range<usize>,
        plain: bool,
        tag: Tag,
        anchor: Option<AnchorId>,
    },
    Other(Event),
}

/// Up to [`BATCH`] events and their 1-based lines, and the syntax error
/// that ended the stream, if one did.
#[derive(Default)]
pub struct Batch {
    events: Vec<(Packed, usize)>,
    texts: String,
    error: Option<Invalid>,
}

impl Batch {
    /// An empty batch with room for [`BATCH`] events.
    pub fn new() -> Batch {
        Batch {
            events: Vec::with_capacity(BATCH),
            texts: String::new(),
            error: None,
        }
    }

    /// Whether it holds [`BATCH`] events, or ends with an error.
    pub fn is_full(&self) -> bool {
        self.events.len() >= BATCH || self.error.is_some()
    }

    /// Adds an event (or the error that ends the stream).
    pub fn push(&mut self, parsed: Parsed) {
        match parsed {
            Ok((
                Event::Scalar {
                    value,
                    plain,
                    tag,
                    anchor,
                },
                line,
            )) => {
                let start = self.texts.len();
                self.texts.push_str(&value);
                let text = start..self.texts.len();
                self.events.push((
                    Packed::Scalar {
                        text,
                        plain,
                        tag,
                        anchor,
                    },
                    line,
                ));
            }
            Ok((event, line)) => self.events.push((Packed::Other(event), line)),
            Err(invalid) => self.error = Some(invalid),
        }
    }

    /// The events again, each scalar's text in a string of its own.
    pub fn unpack(self) -> impl Iterator<Item = Parsed> {
        let Batch {
            events,
            texts,
            error,
        } = self;
        events
            .into_iter()
            .map(move |(packed, line)| {
                let event = match packed {
                    Packed::Scalar {
                        text,
                        plain,
                        tag,
                        anchor,
                    } => Event::Scalar {
                        value: texts[text].to_owned(),
                        plain,
                        tag,
                        anchor,
                    },
                    Packed::Other(event) => event,
                };
                Ok((event, line))
            })
            .chain(error.map(Err))
    }
}
