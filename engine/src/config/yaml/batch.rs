//! Events handed from the parsing thread to the building one, in batches.
//!
//! The texts of a batch's scalars stand in one buffer, so the parsing
//! thread frees its own strings and the building thread allocates the
//! values it keeps: strings allocated on one thread and freed on another
//! make the two wait on the allocator's locks (with glibc's allocator that
//! cost more than the second thread gained). Emptied batches go back to
//! the parsing thread to be filled again, so their room is allocated (and
//! its pages touched) once, not for every batch.

use super::events::{events, AnchorId, Event, Parsed};
use super::scalar::Tag;
use super::Invalid;
use std::ops::Range;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

/// Events are handed between the threads this many at a time.
pub const BATCH: usize = 4096;

/// Full batches waiting for the building thread (empty ones waiting for
/// the parsing thread: one more).
const IN_FLIGHT: usize = 4;

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
struct Batch {
    events: Vec<(Packed, usize)>,
    texts: String,
    error: Option<Invalid>,
}

impl Batch {
    fn new() -> Batch {
        Batch {
            events: Vec::with_capacity(BATCH),
            texts: String::new(),
            error: None,
        }
    }

    /// Whether it holds [`BATCH`] events, or ends with an error.
    fn is_full(&self) -> bool {
        self.events.len() >= BATCH || self.error.is_some()
    }

    /// Adds an event (or the error that ends the stream).
    fn push(&mut self, parsed: Parsed) {
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

    /// Event `index` again (its scalar's text in a string of its own),
    /// leaving an `End` in its place.
    fn take(&mut self, index: usize) -> Option<Parsed> {
        let slot = self.events.get_mut(index)?;
        let (packed, line) = std::mem::replace(slot, (Packed::Other(Event::End), 0));
        let event = match packed {
            Packed::Scalar {
                text,
                plain,
                tag,
                anchor,
            } => Event::Scalar {
                value: self.texts[text].to_owned(),
                plain,
                tag,
                anchor,
            },
            Packed::Other(event) => event,
        };
        Some(Ok((event, line)))
    }
}

/// The parsing side: where full batches go, and where emptied ones come
/// back from.
pub struct Parsing {
    full: SyncSender<Batch>,
    empty: Receiver<Batch>,
}

impl Parsing {
    /// Parses `text` into batches of events, until the stream ends or the
    /// building side hangs up (at an error). Runs on the parsing thread.
    pub fn parse(self, text: &str) {
        let mut batch = Batch::new();
        for parsed in events(text) {
            batch.push(parsed);
            if batch.is_full() {
                let next = self.empty.try_recv().unwrap_or_else(|_| Batch::new());
                if self.full.send(std::mem::replace(&mut batch, next)).is_err() {
                    return;
                }
            }
        }
        let _ = self.full.send(batch);
    }
}

/// The building side: the events of the batches received, in order.
pub struct Received {
    full: Receiver<Batch>,
    empty: SyncSender<Batch>,
    /// The batch being read and the index of its next event.
    current: Option<(Batch, usize)>,
}

/// The two sides of handing events from one thread to another.
pub fn channel() -> (Parsing, Received) {
    let (full_sender, full) = sync_channel(IN_FLIGHT);
    let (empty, empty_receiver) = sync_channel(IN_FLIGHT + 1);
    let parsing = Parsing {
        full: full_sender,
        empty: empty_receiver,
    };
    let received = Received {
        full,
        empty,
        current: None,
    };
    (parsing, received)
}

impl Iterator for Received {
    type Item = Parsed;

    fn next(&mut self) -> Option<Parsed> {
        loop {
            match &mut self.current {
                Some((batch, next)) => {
                    if let Some(parsed) = batch.take(*next) {
                        *next += 1;
                        return Some(parsed);
                    }
                    if let Some(invalid) = batch.error.take() {
                        return Some(Err(invalid));
                    }
                    if let Some((mut batch, _)) = self.current.take() {
                        batch.events.clear();
                        batch.texts.clear();
                        // The parsing thread may have ended: then it is dropped.
                        let _ = self.empty.try_send(batch);
                    }
                }
                None => self.current = Some((self.full.recv().ok()?, 0)),
            }
        }
    }
}
