//! libyaml's events (through `libyaml-safer`, libyaml ported to safe Rust)
//! and its syntax errors, worded with their line.

use super::scalar::Tag;
use super::Invalid;
use libyaml_safer::{EventData, Mark, Parser, ScalarStyle};
use std::panic::AssertUnwindSafe;

/// One event, with what the reader needs of it.
#[derive(Debug)]
pub enum Event {
    /// A document starts.
    DocumentStart,
    /// `*name`.
    Alias(String),
    /// A scalar's text, style, tag and anchor.
    Scalar {
        /// The text, escapes and folding applied.
        value: String,
        /// Unquoted and not a block scalar (`|`, `>`).
        plain: bool,
        /// Its tag.
        tag: Tag,
        /// `&name` on it.
        anchor: Option<String>,
    },
    /// `[` or a block list starts.
    SequenceStart {
        /// `&name` on it.
        anchor: Option<String>,
    },
    /// `{` or a block mapping starts.
    MappingStart {
        /// `&name` on it.
        anchor: Option<String>,
    },
    /// The innermost open list or mapping ends.
    End,
}

/// How much of the text the parser decodes at a time.
const INPUT_CHUNK: usize = 16 * 1024;

/// An event and its 1-based line, or the syntax error that ends the stream.
pub type Parsed = Result<(Event, usize), Invalid>;

/// libyaml's events for `text`, ending with an error or before the end of
/// the stream. (Stream starts, document ends and the stream's end carry
/// nothing the reader needs.)
pub fn events(text: &str) -> impl Iterator<Item = Parsed> + '_ {
    let mut parser = Parser::new();
    // The parser decodes whatever its input offers at once into a buffer of
    // `char`s: offered the whole text, a 13 MB file took 52 MB more. A
    // buffered reader offers it 16 KiB at a time.
    parser.set_input(std::io::BufReader::with_capacity(
        INPUT_CHUNK,
        text.as_bytes(),
    ));
    let mut done = false;
    let mut line = 1;
    std::iter::from_fn(move || loop {
        if done {
            return None;
        }
        // A panic in the parser (a bug of its own, like the one `prescan.rs`
        // steers clear of) is a problem with the file, not a crash.
        let parsed = std::panic::catch_unwind(AssertUnwindSafe(|| parser.parse()));
        let event = match parsed {
            Ok(Ok(event)) => event,
            Ok(Err(error)) => {
                done = true;
                return Some(Err(syntax_error(&error, text)));
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
        line = usize::try_from(event.start_mark.line)
            .unwrap_or(usize::MAX)
            .saturating_add(1);
        let event = match event.data {
            EventData::StreamEnd => {
                done = true;
                return None;
            }
            EventData::StreamStart { .. } | EventData::DocumentEnd { .. } => continue,
            EventData::DocumentStart { .. } => Event::DocumentStart,
            EventData::Alias { anchor } => Event::Alias(anchor),
            EventData::Scalar {
                anchor,
                tag,
                value,
                style,
                ..
            } => Event::Scalar {
                value,
                plain: style == ScalarStyle::Plain,
                tag: Tag::from_name(tag.as_deref()),
                anchor,
            },
            EventData::SequenceStart { anchor, .. } => Event::SequenceStart { anchor },
            EventData::MappingStart { anchor, .. } => Event::MappingStart { anchor },
            EventData::SequenceEnd | EventData::MappingEnd => Event::End,
        };
        return Some(Ok((event, line)));
    })
}

/// libyaml's error in its own words, with where it happened and in what
/// context (`did not find expected ',' or ']' at line 4 column 9, while
/// parsing a flow sequence at line 3 column 13`), plus a hint for tabs.
fn syntax_error(error: &libyaml_safer::Error, text: &str) -> Invalid {
    let Some(mark) = error.problem_mark() else {
        // The reader refused a character (only control characters can be
        // refused in text that is UTF-8 already).
        return refused_character(error.problem(), text);
    };
    let mut message = format!("{} at {}", error.problem(), at(mark));
    if let (Some(context), Some(context_mark)) = (error.context(), error.context_mark()) {
        message.push_str(", ");
        message.push_str(context);
        if (context_mark.line, context_mark.column) != (mark.line, mark.column) {
            message.push_str(" at ");
            message.push_str(&at(context_mark));
        }
    }
    let line = usize::try_from(mark.line)
        .unwrap_or(usize::MAX)
        .saturating_add(1);
    let tab_indented = text
        .lines()
        .nth(line - 1)
        .is_some_and(|l| l.trim_start_matches(' ').starts_with('\t'));
    if tab_indented {
        message.push_str("; YAML does not allow tabs for indentation: use spaces");
    }
    Invalid::at(message, line)
}

/// `line 4 column 9` (libyaml counts from 0).
fn at(mark: Mark) -> String {
    format!("line {} column {}", mark.line + 1, mark.column + 1)
}

/// The reader's `problem` with the first character YAML does not allow,
/// and its line.
fn refused_character(problem: &str, text: &str) -> Invalid {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{7E}' | '\u{85}')
            || matches!(c, '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}')
            || c >= '\u{10000}'
    };
    match text.char_indices().find(|(_, c)| !allowed(*c)) {
        Some((offset, c)) => {
            let before = &text[..offset];
            let line = before.matches('\n').count() + 1;
            let line_start = before.rfind('\n').map_or(0, |n| n + 1);
            let column = before[line_start..].chars().count() + 1;
            Invalid::at(
                format!(
                    "{problem} (U+{:04X} at line {line} column {column})",
                    u32::from(c)
                ),
                line,
            )
        }
        None => Invalid {
            message: problem.to_string(),
            line: None,
        },
    }
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
    fn syntax_errors_are_worded_as_libyaml_words_them() {
        let e = error("flow:\n  - name: a\n    tags: [a, b\n  - name: b\n");
        assert_eq!(
            e.message,
            "did not find expected ',' or ']' at line 4 column 9, \
             while parsing a flow sequence at line 3 column 11"
        );
        assert_eq!(e.line, Some(4));
        let e = error("a: b: c\n");
        assert_eq!(
            e.message,
            "mapping values are not allowed in this context at line 1 column 5"
        );
        assert_eq!(e.line, Some(1));
    }

    #[test]
    fn tabs_used_for_indentation_get_a_hint() {
        let e = error("a:\n\tb: 1\n");
        assert_eq!(e.line, Some(2));
        assert!(
            e.message
                .ends_with("; YAML does not allow tabs for indentation: use spaces"),
            "{}",
            e.message
        );
    }

    #[test]
    fn a_panic_of_the_parser_is_an_error_at_the_last_line_read() {
        // libyaml-safer 0.3 panics on a tag right before a comma in
        // brackets; `prescan.rs` refuses those before parsing, this is the
        // last resort for anything like it.
        let e = error("a: 1\nb: [!x, c]\n");
        assert_eq!(
            e.message,
            "the YAML parser failed on the text after line 2; check the YAML there"
        );
        assert_eq!(e.line, Some(2));
    }

    #[test]
    fn control_characters_are_refused_at_their_line() {
        let e = error("a: 1\nb: é\u{7}y\n");
        assert_eq!(
            e.message,
            "control characters are not allowed (U+0007 at line 2 column 5)"
        );
        assert_eq!(e.line, Some(2));
    }

    #[test]
    fn characters_split_across_input_chunks_are_read_whole() {
        // Every offset modulo 3 and 4 falls on the chunk boundary once.
        for pad in 0..12 {
            let mut text = format!("k{}: 1\nlist:\n", "p".repeat(pad));
            while text.len() < 3 * INPUT_CHUNK {
                text.push_str("- é日本🦀\n");
            }
            let scalars = events(&text)
                .filter_map(|parsed| match parsed {
                    Ok((Event::Scalar { value, .. }, _)) => Some(value),
                    Ok(_) => None,
                    Err(e) => panic!("{pad}: {e:?}"),
                })
                .filter(|v| v == "é日本🦀")
                .count();
            assert_eq!(scalars, text.matches("- é").count(), "{pad}");
        }
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
