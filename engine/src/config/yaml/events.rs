//! The parser's events (`saphyr-parser`, a YAML 1.2 parser in safe Rust)
//! and its syntax errors, worded with their line.

use super::scalar::Tag;
use super::Invalid;
use saphyr_parser::{Event as ParserEvent, Parser, ScalarStyle, ScanError};
use std::panic::AssertUnwindSafe;

/// An anchor, as the parser numbers them: an anchor name used again gets a
/// new number, and an alias names the latest.
pub type AnchorId = usize;

/// One event, with what the reader needs of it.
#[derive(Debug)]
pub enum Event {
    /// A document starts.
    DocumentStart,
    /// `*name`: the anchor it names.
    Alias(AnchorId),
    /// A scalar's text, style, tag and anchor.
    Scalar {
        /// The text, escapes and folding applied.
        value: String,
        /// Unquoted and not a block scalar (`|`, `>`).
        plain: bool,
        /// Its tag.
        tag: Tag,
        /// `&name` on it.
        anchor: Option<AnchorId>,
    },
    /// `[` or a block list starts.
    SequenceStart {
        /// `&name` on it.
        anchor: Option<AnchorId>,
    },
    /// `{` or a block mapping starts.
    MappingStart {
        /// `&name` on it.
        anchor: Option<AnchorId>,
    },
    /// The innermost open list or mapping ends.
    End,
}

/// An event and its 1-based line, or the syntax error that ends the stream.
pub type Parsed = Result<(Event, usize), Invalid>;

/// The parser's events for `text`, ending with an error or before the end
/// of the stream. (Stream starts, document ends and the stream's end carry
/// nothing the reader needs.)
pub fn events(text: &str) -> impl Iterator<Item = Parsed> + '_ {
    let mut parser = Parser::new_from_str(text);
    let mut done = false;
    let mut line = 1;
    // Where each open list and mapping starts (line, column from 0), to
    // say which bracket a syntax error is inside.
    let mut open: Vec<(usize, usize)> = Vec::new();
    std::iter::from_fn(move || loop {
        if done {
            return None;
        }
        // A panic in the parser (a bug of its own) is a problem with the
        // file, not a crash.
        let parsed = std::panic::catch_unwind(AssertUnwindSafe(|| parser.next_event()));
        let (event, span) = match parsed {
            Ok(Some(Ok(parsed))) => parsed,
            Ok(None) => {
                done = true;
                return None;
            }
            Ok(Some(Err(error))) => {
                done = true;
                return Some(Err(syntax_error(&error, text, open.last().copied())));
            }
            Err(_) => {
                done = true;
                return Some(Err(Invalid::at(
                    format!(
                        "the YAML parser failed on the text after line {line}; \
                         check the YAML there"
                    ),
                    line,
                )));
            }
        };
        line = span.start.line();
        match event {
            ParserEvent::SequenceStart(..) | ParserEvent::MappingStart(..) => {
                open.push((line, span.start.col()));
            }
            ParserEvent::SequenceEnd | ParserEvent::MappingEnd => {
                open.pop();
            }
            _ => {}
        }
        let anchor = |id: usize| (id != 0).then_some(id);
        let event = match event {
            ParserEvent::StreamEnd => {
                done = true;
                return None;
            }
            ParserEvent::Nothing | ParserEvent::StreamStart | ParserEvent::DocumentEnd => continue,
            ParserEvent::DocumentStart(_) => Event::DocumentStart,
            ParserEvent::Alias(id) => Event::Alias(id),
            ParserEvent::Scalar(value, style, id, tag) => Event::Scalar {
                value: value.into_owned(),
                plain: style == ScalarStyle::Plain,
                tag: match tag {
                    Some(tag) => Tag::from_name(Some(&format!("{}{}", tag.handle, tag.suffix))),
                    None => Tag::None,
                },
                anchor: anchor(id),
            },
            ParserEvent::SequenceStart(id, _) => Event::SequenceStart { anchor: anchor(id) },
            ParserEvent::MappingStart(id, _) => Event::MappingStart { anchor: anchor(id) },
            ParserEvent::SequenceEnd | ParserEvent::MappingEnd => Event::End,
        };
        return Some(Ok((event, line)));
    })
}

/// The parser's error in its own words, with where it happened
/// (`while parsing a flow sequence, expected ',' or ']' at line 4 column 1`),
/// the bracket it is inside when the innermost open list or mapping
/// (starting at `innermost`) is one, and a hint for tabs used for
/// indentation.
fn syntax_error(error: &ScanError, text: &str, innermost: Option<(usize, usize)>) -> Invalid {
    let mark = error.marker();
    let line = mark.line().max(1);
    let mut message = format!("{} at line {line} column {}", error.info(), mark.col() + 1);
    if let Some((open_line, column)) = innermost {
        if let Some(bracket) = bracket_at(text, open_line, column) {
            message.push_str(&format!(
                ", inside the `{bracket}` opened at line {open_line} column {}",
                column + 1
            ));
        }
    }
    let tab_indented = text
        .lines()
        .nth(line - 1)
        .is_some_and(|l| l.trim_start_matches(' ').starts_with('\t'));
    if tab_indented {
        message.push_str("; YAML does not allow tabs for indentation: use spaces");
    }
    Invalid::at(message, line)
}

/// The `[` or `{` that a list or mapping starting at `line` (1-based),
/// `column` (characters, from 0) opens with, after any `&anchor` and `!tag`;
/// `None` for a block list or mapping.
fn bracket_at(text: &str, line: usize, column: usize) -> Option<char> {
    let rest: String = text
        .lines()
        .nth(line.checked_sub(1)?)?
        .chars()
        .skip(column)
        .collect();
    let mut words = rest.split_whitespace();
    let first = words.find(|w| !w.starts_with(['&', '!']))?;
    first.chars().next().filter(|c| matches!(c, '[' | '{'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(text: &str) -> Invalid {
        match events(text).find_map(Result::err) {
            Some(invalid) => invalid,
            None => panic!("{text:?} parsed"),
        }
    }

    #[test]
    fn syntax_errors_are_worded_with_their_line() {
        let e = error("flow:\n  - name: a\n    tags: [a, b\n");
        assert_eq!(
            e.message,
            "while parsing a flow sequence, expected ',' or ']' at line 4 column 1, \
             inside the `[` opened at line 3 column 11"
        );
        assert_eq!(e.line, Some(4));
        let e = error("a:\n  b: &x !t {c: d\n  e: f\n");
        assert!(
            e.message
                .ends_with(", inside the `{` opened at line 2 column 6"),
            "{}",
            e.message
        );
        let e = error("a: b: c\n");
        assert_eq!(
            e.message,
            "mapping values are not allowed in this context at line 1 column 5"
        );
        assert_eq!(e.line, Some(1));
        let e = error("a: 1\nb: *nowhere\n");
        assert_eq!(
            e.message,
            "while parsing node, found unknown anchor at line 2 column 4"
        );
    }

    #[test]
    fn tabs_used_for_indentation_get_a_hint() {
        let e = error("a:\n\tb: 1\n");
        assert_eq!(
            e.message,
            "tabs disallowed within this context (block indentation) at line 2 column 2; \
             YAML does not allow tabs for indentation: use spaces"
        );
        assert_eq!(e.line, Some(2));
    }

    #[test]
    fn what_libyaml_safer_panicked_on_reads() {
        // A block scalar at the very end with no line break, a tag right
        // before a comma, an escape cut by the end of the text.
        let read = |text: &str| events(text).collect::<Result<Vec<_>, _>>();
        assert!(read("a: |\n  x").is_ok());
        assert!(read("a: [!x, c]\n").is_ok());
        assert!(read("a: \"abc\\").is_err());
    }

    #[test]
    fn events_carry_their_lines() {
        let lines: Vec<usize> = events("a:\n  - 1\n  - [2]\n")
            .map(|p| p.map(|(_, line)| line).unwrap_or(0))
            .collect();
        // document, mapping, `a`, list, `1`, `[`, `2`, `]`, list end, mapping end
        assert_eq!(lines, [1, 1, 1, 2, 2, 3, 3, 3, 4, 4]);
    }
}
