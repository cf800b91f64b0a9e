//! A quick scan for deeply nested brackets, before the parser sees the text.

/// Deepest nesting of flow collections (`[...]`, `{...}`) accepted before the
/// text is handed to the YAML parser. The reader refuses more than 128 levels
/// of any nesting anyway, but libyaml spends time quadratic in the flow
/// nesting depth before it gets there (20,000 `[` take seconds, 100,000
/// minutes).
pub const MAX_FLOW_DEPTH: usize = 256;

/// The 1-based line where the nesting of `[`/`{` outside quotes, comments and
/// block scalars first goes deeper than `limit`, if it does. A rough scan:
/// it may undercount (never overcount by much), which only means the YAML
/// parser sees the text and reports the problem itself.
pub fn flow_depth_exceeded(text: &str, limit: usize) -> Option<usize> {
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
                        return Some(line);
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
    fn deep_flow_nesting_is_found_outside_quotes_comments_and_block_scalars() {
        let deep = format!("flow: {}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(flow_depth_exceeded(&deep, MAX_FLOW_DEPTH), Some(1));
        let deep = format!("a: 1\nflow: {}1{}", "{a: ".repeat(300), "}".repeat(300));
        assert_eq!(flow_depth_exceeded(&deep, MAX_FLOW_DEPTH), Some(2));
        // Brackets in quotes, comments and block scalars do not count.
        let many = "[".repeat(300);
        let text = format!(
            "a: \"{many}\"\nb: '{many}'\n# {many}\nc: |\n  {many}\n\n  {many}\nd: x{many}\n"
        );
        assert!(flow_depth_exceeded(&text, 256).is_none());
    }
}
