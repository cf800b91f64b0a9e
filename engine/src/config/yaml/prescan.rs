//! A quick scan of the raw text before the parser sees it, for what the
//! parser handles badly: deeply nested brackets (libyaml is quadratic in
//! them) and a tag right before a comma in brackets (`[!x, y]`, where
//! libyaml-safer 0.3 panics: "TODO: What is expected here?").

use super::Invalid;

/// Deepest nesting of flow collections (`[...]`, `{...}`) accepted before the
/// text is handed to the YAML parser. The reader refuses more than 128 levels
/// of any nesting anyway, but libyaml spends time quadratic in the flow
/// nesting depth before it gets there (20,000 `[` take seconds, 100,000
/// minutes).
pub const MAX_FLOW_DEPTH: usize = 256;

/// Refuses `text` if it nests brackets deeper than [`MAX_FLOW_DEPTH`] or
/// has a tag right before a comma in brackets, at the line where it does.
pub fn check(text: &str) -> Result<(), Invalid> {
    match first_finding(text, MAX_FLOW_DEPTH) {
        None => Ok(()),
        Some((Finding::TooDeep, line)) => Err(Invalid::at(
            format!(
                "brackets nested more than {MAX_FLOW_DEPTH} levels deep; flatten the structure"
            ),
            line,
        )),
        Some((Finding::TagBeforeComma(tag), line)) => Err(Invalid::at(
            format!(
                "the tag `{tag}` stands right before a comma, with no value: \
                 write a value after it (`{tag} value,`) or leave the tag out"
            ),
            line,
        )),
    }
}

/// What the scan found.
#[derive(Debug, PartialEq, Eq)]
enum Finding {
    /// Brackets nested deeper than the limit.
    TooDeep,
    /// A tag (as written) right before a comma, inside brackets.
    TagBeforeComma(String),
}

/// The first finding and its 1-based line: nesting of `[`/`{` outside
/// quotes, comments and block scalars deeper than `limit`, or a tag right
/// before a comma inside brackets. A rough scan: it may undercount (never
/// overcount by much), which only means the YAML parser sees the text and
/// reports the problem itself (the reader also catches a panic of the
/// parser, as a last resort).
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
                b'!' if depth > 0 && is_token_start(prev) => {
                    let len = tag_length(&bytes[i..]);
                    if bytes.get(i + len) == Some(&b',') {
                        let tag = String::from_utf8_lossy(&bytes[i..i + len]).into_owned();
                        return Some((Finding::TagBeforeComma(tag), line));
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

/// The length of the tag at the start of `bytes` (`!x`, `!!str`, `!e!x%21`,
/// `!<tag:x>`), as libyaml scans it in brackets: it stops at a comma.
fn tag_length(bytes: &[u8]) -> usize {
    if bytes.get(1) == Some(&b'<') {
        return bytes
            .iter()
            .position(|b| *b == b'>')
            .map_or(bytes.len(), |n| n + 1);
    }
    let in_tag = |b: &u8| b.is_ascii_alphanumeric() || b"-_;/?:@&=+$.%!~*'()".contains(b);
    1 + bytes[1..].iter().take_while(|b| in_tag(b)).count()
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
    fn a_tag_right_before_a_comma_in_brackets_is_refused() {
        // Found by the config_load fuzzer: libyaml-safer panics on these.
        for (text, tag, line) in [
            ("a: [!x, b]\n", "!x", 1),
            ("a: 1\nb: {k: !!str, j: 2}\n", "!!str", 2),
            ("a: [b, !e!x%21,]\n", "!e!x%21", 1),
            ("a: [!<tag:x>, b]\n", "!<tag:x>", 1),
        ] {
            let finding = Finding::TagBeforeComma(tag.into());
            assert_eq!(first_finding(text, 256), Some((finding, line)), "{text:?}");
            let e = check(text).unwrap_err();
            assert!(e
                .message
                .starts_with(&format!("the tag `{tag}` stands right before a comma")));
        }
        // Tags with values, outside brackets, in quotes or in words are fine.
        for text in [
            "a: [!x 1, b]\n",
            "a: !x,\n",
            "a: ['!x,', \"!y,\"]\n",
            "a: [b!x, c]\n",
            "# [!x, b]\n",
        ] {
            assert_eq!(first_finding(text, 256), None, "{text:?}");
        }
    }
}
