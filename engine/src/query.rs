//! JMESPath queries over JSON data (SPEC R12, R8): compiled once at
//! validation, evaluated by output extraction and by the templates'
//! `jmespath()` function.

use jmespath::Expression;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// JMESPath expressions of a flow, compiled once.
pub type JmesPaths = HashMap<String, Arc<Expression<'static>>>;

/// Evaluates a compiled expression over `data`; no match is `null`.
pub fn search(expr: &Expression<'_>, data: &Value) -> Result<Value, String> {
    let found = expr.search(data).map_err(|e| e.to_string())?;
    serde_json::to_value(&*found).map_err(|e| e.to_string())
}

/// Compiles one expression, with a message that says what is wrong.
pub fn compile(expr: &str) -> Result<Expression<'static>, String> {
    // The jmespath crate's lexer panics on some input; refuse it here with a
    // message instead.
    if let Some(reason) = lexer_trap(expr) {
        return Err(format!(
            "JMESPath expression `{expr}` does not parse: {reason}"
        ));
    }
    jmespath::compile(expr)
        .map_err(|e| format!("JMESPath expression `{expr}` does not parse: {}", e.reason))
}

/// What the jmespath crate's lexer would panic on (found by fuzzing), outside
/// quotes and literals: a number that does not fit in an `i32`
/// (`a[99999999999]`), or `-` before a numeric character that is not an
/// ASCII digit (`-½`).
fn lexer_trap(expr: &str) -> Option<String> {
    let mut quote: Option<char> = None;
    let mut chars = expr.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match quote {
            Some(_) if c == '\\' => {
                chars.next();
            }
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if matches!(c, '\'' | '"' | '`') => quote = Some(c),
            None if c == '-' => match chars.peek() {
                Some(&(_, next)) if next.is_numeric() && !next.is_ascii_digit() => {
                    return Some(format!("'-' must be followed by digits 1-9, not '{next}'"));
                }
                _ => {}
            },
            None if c.is_ascii_digit() => {
                let len = expr[i..].bytes().take_while(u8::is_ascii_digit).count();
                let digits = &expr[i..i + len];
                if digits.parse::<i32>().is_err() {
                    return Some(format!("the number {digits} is too large"));
                }
                while chars.next_if(|(_, c)| c.is_ascii_digit()).is_some() {}
            }
            None => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_too_large_for_the_jmespath_crate_are_refused_not_panicked_on() {
        let e = compile("a[99999999999]").err().unwrap_or_default();
        assert!(e.contains("the number 99999999999 is too large"), "{e}");
        // Found by fuzzing too: `-` before `½` (numeric, not a digit).
        let e = compile("a[-½]").unwrap_err();
        assert!(
            e.contains("'-' must be followed by digits 1-9, not '½'"),
            "{e}"
        );
        assert!(compile("a[-1]").is_ok());
        assert!(compile("`\"-½\"`").is_ok());
        assert!(compile("a[?id == '99999999999']").is_ok());
        assert!(compile("a[2147483647]").is_ok());
    }
}
