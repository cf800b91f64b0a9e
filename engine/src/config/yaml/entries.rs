//! A mapping being read: its entries in order, the line of each key, and
//! the key waiting for its value. Small mappings (most of a flow's) are
//! kept as a list and become a map of exactly their size when they end;
//! a mapping growing past [`FEW`] entries moves into a map on the way, so
//! looking for a duplicate key stays fast.

use serde_json::{Map, Value};

/// Mappings up to this many entries look for duplicate keys in a list.
const FEW: usize = 16;

/// A key, its line and its value.
pub type Entry = (String, usize, Value);

/// The entries of one mapping being read.
#[derive(Default)]
pub struct Entries {
    /// Key, its line and its value, in order (while there are few).
    few: Vec<Entry>,
    /// The entries and their keys' lines, once there are many.
    many: Option<(Map<String, Value>, Vec<usize>)>,
    /// The key read last, waiting for its value, and its line.
    pending: Option<(String, usize)>,
}

impl Entries {
    /// An empty mapping whose list reuses `spare`'s room.
    pub fn reusing(spare: Vec<Entry>) -> Entries {
        Entries {
            few: spare,
            many: None,
            pending: None,
        }
    }

    /// The key waiting for its value.
    pub fn pending_key(&self) -> Option<&str> {
        self.pending.as_ref().map(|(key, _)| key.as_str())
    }

    /// Takes a key read at `line`; when the mapping has it already, gives
    /// it back with the line of the first.
    pub fn key(&mut self, key: String, line: usize) -> Result<(), (String, usize)> {
        let first = match &self.many {
            Some((map, lines)) => map.contains_key(&key).then(|| {
                map.keys()
                    .position(|k| *k == key)
                    .map_or(line, |i| lines[i])
            }),
            None => self.few.iter().find(|(k, ..)| *k == key).map(|e| e.1),
        };
        if let Some(first) = first {
            return Err((key, first));
        }
        self.pending = Some((key, line));
        Ok(())
    }

    /// Takes the value of the pending key.
    pub fn value(&mut self, value: Value) {
        let (key, line) = self.pending.take().unwrap_or_default();
        if self.many.is_none() && self.few.len() == FEW {
            let mut map = Map::with_capacity(2 * FEW);
            let mut lines = Vec::with_capacity(2 * FEW);
            for (key, line, value) in self.few.drain(..) {
                map.insert(key, value);
                lines.push(line);
            }
            self.many = Some((map, lines));
        }
        match &mut self.many {
            Some((map, lines)) => {
                map.insert(key, value);
                lines.push(line);
            }
            None => self.few.push((key, line, value)),
        }
    }

    /// The mapping read, and the (empty) list to reuse for another.
    pub fn finish(self) -> (Map<String, Value>, Vec<Entry>) {
        let mut few = self.few;
        let map = match self.many {
            Some((map, _)) => map,
            None => {
                let mut map = Map::with_capacity(few.len());
                for (key, _, value) in few.drain(..) {
                    map.insert(key, value);
                }
                map
            }
        };
        (map, few)
    }
}
