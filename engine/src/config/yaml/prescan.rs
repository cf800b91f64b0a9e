//! A quick scan of the raw text before the parser sees it: control
//! characters, which YAML does not allow but the parser lets through, and
//! deeply nested brackets, refused early and briefly.

use super::Invalid;

/// Deepest nesting of flow collections (`[...]`, `{...}`) accepted before the
/// text is handed to the YAML parser. The reader refuses more than 128 levels
/// of any nesting anyway; this keeps the message about brackets (and
/// libyaml, the parser before, spent time quadratic in the flow nesting
/// depth: 20,000 `[` took seconds).
pub const MAX_FLOW_DEPTH: usize = 256;

/// Refuses `text` if it holds a control character or nests brackets deeper
/// than [`MAX_FLOW_DEPTH`], at the line where it does.
pub fn check(text: &str) -> Result<(), Invalid> {
    control_character(text)?;
    match first_finding(text, MAX_FLOW_DEPTH) {
        None => Ok(()),
        Some((Finding::TooDeep, line)) => Err(Invalid::at(
            format!(
                "brackets nested more than {MAX_FLOW_DEPTH} levels deep; flatten the structure"
            ),
            line,
        )),
    }
}

/// Refuses the first character YAML does not allow (C0 and C1 controls
/// other than tab, line feed, carriage return and next line; DEL).
fn control_character(text: &str) -> Result<(), Invalid> {
    let bytes = text.as_bytes();
    // A byte that may start one (C1 controls are `C2 80`–`C2 9F`): checked
    // a block at a time without branching, which the compiler vectorizes.
    let maybe =
        |b: u8| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) | (b == 0x7F) | (b == 0xC2);
    if bytes
        .chunks(256)
        .all(|block| !block.iter().fold(false, |found, b| found | maybe(*b)))
    {
        return Ok(());
    }
    let suspect = bytes.iter().enumerate().position(|(i, b)| {
        (*b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r'))
            || *b == 0x7F
            || (*b == 0xC2
                && bytes
                    .get(i + 1)
                    .is_some_and(|n| (0x80..=0x9F).contains(n) && *n != 0x85))
    });
    let Some(offset) = suspect else {
        return Ok(());
    };
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |n| n + 1);
    let column = before[line_start..].chars().count() + 1;
    let code = text[offset..].chars().next().map_or(0, u32::from);
    Err(Invalid::at(
        format!("control characters are not allowed (U+{code:04X} at line {line} column {column})"),
        line,
    ))
}

/// What the scan found.
#[derive(Debug, PartialEq, Eq)]
enum Finding {
    /// Brackets nested deeper than the limit.
    TooDeep,
}

/// The first finding and its 1-based line: nesting of `[`/`{` outside
/// quotes, comments and block scalars deeper than `limit`. A rough scan: it
/// may undercount (never overcount by much), which only means the reader
/// refuses the nesting itself (past 128 levels).
fn first_finding(text: &str, limit: usize) -> Option<(Finding, usize)> {
    let mut depth = 0usize;
    let mut line = 1usize;
    let mut quote: Option<u8> = None;
    let mut prev = b'\n';
    // Indentation of the line that opened a block scalar (`|` or `>`): lines
    // indented deeper are its text.
    let mut block_indent: Option<usize> = None;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if prev == b'\n' {
            let indent = bytes[i..].iter().take_while(|c| **c == b' ').count();
            let blank = matches!(bytes.get(i + indent), None | Some(b'\n' | b'\r'));
            match block_indent {
                Some(parent) if blank || indent > parent => {
                    // Skip the whole line of block-scalar text.
                    let len = bytes[i..].iter().position(|c| *c == b'\n');
                    i += len.map_or(bytes.len() - i, |n| n + 1);
                    line += 1;
                    continue;
                }
                _ => block_indent = None,
            }
        }
        // Most bytes change nothing: skip to the next one that may.
        let boring = match quote {
            None => &PLAIN_BORING,
            Some(_) => &QUOTED_BORING,
        };
        if boring[usize::from(b)] {
            let run = bytes[i..].iter().position(|c| !boring[usize::from(*c)]);
            let run = run.unwrap_or(bytes.len() - i);
            i += run;
            prev = bytes[i - 1];
            continue;
        }
        match quote {
            Some(q) if b == q => quote = None,
            Some(b'"') if b == b'\\' => i += 1,
            Some(_) => {}
            None => match b {
                b'#' if prev.is_ascii_whitespace() => {
                    let len = bytes[i..].iter().position(|c| *c == b'\n');
                    i += len.unwrap_or(bytes.len() - i);
                    continue;
                }
                b'"' | b'\''
                    if prev.is_ascii_whitespace() || (depth > 0 && is_token_start(prev)) =>
                {
                    quote = Some(b)
                }
                b'[' | b'{' if depth > 0 || prev.is_ascii_whitespace() => {
                    depth += 1;
                    if depth > limit {
                        return Some((Finding::TooDeep, line));
                    }
                }

                b']' | b'}' => depth = depth.saturating_sub(1),
                b'|' | b'>' if depth == 0 && is_token_start(prev) => {
                    let rest = &bytes[i + 1..];
                    let end = rest.iter().position(|c| *c == b'\n').unwrap_or(rest.len());
                    let header = String::from_utf8_lossy(&rest[..end]);
                    let header = header.split(" #").next().unwrap_or("").trim();
                    if header
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == '-' || c == '+')
                    {
                        let start = text[..i].rfind('\n').map_or(0, |n| n + 1);
                        let indent = bytes[start..].iter().take_while(|c| **c == b' ').count();
                        block_indent = Some(indent);
                    }
                }
                _ => {}
            },
        }
        if bytes.get(i) == Some(&b'\n') {
            line += 1;
        }
        prev = bytes.get(i).copied().unwrap_or(b);
        i += 1;
    }
    None
}

/// Bytes that change nothing in [`first_finding`] outside quotes: not a
/// line break, `#`, a quote, a bracket, `|` or `>`. (Whitespace is boring
/// too: it only matters as the byte before an interesting one.)
const PLAIN_BORING: [bool; 256] = boring_except(b"\n#\"'[]{}|>");

/// Bytes that change nothing inside quotes: not a line break, a quote or `\\`.
const QUOTED_BORING: [bool; 256] = boring_except(b"\n\"'\\");

/// Every byte but those in `interesting`.
const fn boring_except(interesting: &[u8]) -> [bool; 256] {
    let mut table = [true; 256];
    let mut i = 0;
    while i < interesting.len() {
        table[interesting[i] as usize] = false;
        i += 1;
    }
    table
}

/// True after a byte that may precede the start of a YAML token.
fn is_token_start(prev: u8) -> bool {
    matches!(
        prev,
        b' ' | b'\t' | b'\n' | b'\r' | b'[' | b'{' | b',' | b':' | b'-' | b'?'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_bracket_nesting_is_found_outside_quotes_comments_and_block_scalars() {
        let deep = format!("flow: {}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(
            first_finding(&deep, MAX_FLOW_DEPTH),
            Some((Finding::TooDeep, 1))
        );
        let deep = format!("a: 1\nflow: {}1{}", "{a: ".repeat(300), "}".repeat(300));
        assert_eq!(
            first_finding(&deep, MAX_FLOW_DEPTH),
            Some((Finding::TooDeep, 2))
        );
        // Brackets in quotes, comments and block scalars do not count.
        let many = "[".repeat(300);
        let text = format!(
            "a: \"{many}\"\nb: '{many}'\n# {many}\nc: |\n  {many}\n\n  {many}\nd: x{many}\n"
        );
        assert!(first_finding(&text, 256).is_none());
    }

    #[test]
    fn control_characters_are_refused_at_their_line() {
        let e = check("a: 1\nb: é\u{7}y\n").unwrap_err();
        assert_eq!(
            e.message,
            "control characters are not allowed (U+0007 at line 2 column 5)"
        );
        assert_eq!(e.line, Some(2));
        assert_eq!(check("a: \u{9f}\n").unwrap_err().line, Some(1));
        assert!(check("a: \"\t\u{85}é\"\r\n").is_ok());
    }
}
