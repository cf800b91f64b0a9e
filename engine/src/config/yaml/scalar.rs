//! What a scalar's text means: plain (unquoted) scalars resolve as in the
//! YAML 1.2 core schema — null, booleans, integers, floats, else a string —
//! as they always have in flowtoy (`yes`, `no`, `on`, `off` and `012` stay
//! strings). Quoted and block scalars are strings. The core tags `!!str`,
//! `!!int`, `!!float`, `!!bool` and `!!null` ask for a type; other tags are
//! ignored.

use serde_json::{Number, Value};
use std::num::ParseIntError;

/// A scalar's tag, as far as it matters here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tag {
    /// No tag: the text decides (plain scalars) or it is a string.
    None,
    /// `!!str`, or the non-specific `!`.
    Str,
    /// `!!int`.
    Int,
    /// `!!float`.
    Float,
    /// `!!bool`.
    Bool,
    /// `!!null`.
    Null,
    /// Any other tag (`!custom`, `!!binary`, ...): read as if untagged.
    Other,
}

impl Tag {
    /// The tag as the parser resolves it (handle and suffix: `!!int` is
    /// `tag:yaml.org,2002:int`, `!x` is `!x`, the non-specific `!` is `!`).
    pub fn from_name(name: Option<&str>) -> Tag {
        match name {
            None => Tag::None,
            Some("!" | "tag:yaml.org,2002:str") => Tag::Str,
            Some("tag:yaml.org,2002:int") => Tag::Int,
            Some("tag:yaml.org,2002:float") => Tag::Float,
            Some("tag:yaml.org,2002:bool") => Tag::Bool,
            Some("tag:yaml.org,2002:null") => Tag::Null,
            Some(_) => Tag::Other,
        }
    }

    /// How the tag is written, for messages.
    fn written(self) -> &'static str {
        match self {
            Tag::Int => "!!int",
            Tag::Float => "!!float",
            Tag::Bool => "!!bool",
            Tag::Null => "!!null",
            Tag::None | Tag::Str | Tag::Other => "",
        }
    }
}

/// The value of a scalar written as `text`, `plain` (unquoted, not a block
/// scalar) or not, with `tag`. An error says why a tagged text is not what
/// its tag asks for.
pub fn resolve(text: String, plain: bool, tag: Tag) -> Result<Value, String> {
    let wrong =
        |text: &str, what: &str| format!("`{text}` is tagged {} but is not {what}", tag.written());
    match tag {
        Tag::Str => Ok(Value::String(text)),
        Tag::None | Tag::Other if !plain => Ok(Value::String(text)),
        Tag::None | Tag::Other => Ok(resolve_plain(text)),
        Tag::Null => match resolve_plain(text.clone()) {
            Value::Null => Ok(Value::Null),
            _ => Err(wrong(&text, "null (`~`, `null` or nothing)")),
        },
        Tag::Bool => match resolve_plain(text.clone()) {
            v @ Value::Bool(_) => Ok(v),
            _ => Err(wrong(&text, "true or false")),
        },
        Tag::Int => match integer(&text) {
            Some(v) => Ok(v),
            None => Err(wrong(&text, "an integer")),
        },
        Tag::Float => {
            let number = integer(&text)
                .and_then(|v| v.as_f64())
                .or_else(|| float(&text).filter(|_| !leading_zero_digits(&text)));
            match number {
                // Infinities and NaN have no JSON form.
                Some(f) => Ok(Number::from_f64(f).map_or(Value::Null, Value::Number)),
                None => Err(wrong(&text, "a number")),
            }
        }
    }
}

/// A plain (unquoted) scalar: null, a boolean, an integer, a float or a
/// string. Integers beyond 64 bits become floats, as in JSON.
pub fn resolve_plain(text: String) -> Value {
    // Most scalars are words: only these first characters can start anything else.
    match text.as_bytes().first() {
        None => return Value::Null,
        Some(b)
            if !matches!(
                b,
                b'0'..=b'9' | b'+' | b'-' | b'.' | b'~' | b'n' | b'N' | b't' | b'T' | b'f' | b'F'
            ) =>
        {
            return Value::String(text)
        }
        _ => {}
    }
    match text.as_str() {
        "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Some(n) = integer(&text) {
        return n;
    }
    if !leading_zero_digits(&text) {
        if let Some(f) = float(&text) {
            // Infinities and NaN have no JSON form.
            return Number::from_f64(f).map_or(Value::Null, Value::Number);
        }
    }
    Value::String(text)
}

/// An integer in any of the core schema's forms; beyond 64 bits, the
/// nearest float.
fn integer(text: &str) -> Option<Value> {
    if let Some(n) = unsigned_int(text, u64::from_str_radix) {
        return Some(Value::from(n));
    }
    if let Some(n) = negative_int(text, i64::from_str_radix) {
        return Some(Value::from(n));
    }
    let wide = unsigned_int(text, u128::from_str_radix)
        .map(|n| n as f64)
        .or_else(|| negative_int(text, i128::from_str_radix).map(|n| n as f64))
        // Longer still: only decimal digits can be, and f64 reads them.
        .or_else(|| {
            let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
            let decimal = !digits.is_empty()
                && digits.bytes().all(|b| b.is_ascii_digit())
                && !leading_zero_digits(text);
            decimal.then(|| text.parse::<f64>().ok()).flatten()
        })?;
    Some(Number::from_f64(wide).map_or(Value::Null, Value::Number))
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

    #[test]
    fn tags_ask_for_a_type() {
        let r = |text: &str, plain, tag| resolve(text.to_string(), plain, tag);
        assert_eq!(r("5", true, Tag::Str), Ok(json!("5")));
        assert_eq!(r("5", false, Tag::Int), Ok(json!(5)));
        assert_eq!(r("0x10", true, Tag::Int), Ok(json!(16)));
        assert_eq!(r("5", true, Tag::Float), Ok(json!(5.0)));
        assert_eq!(r("true", false, Tag::Bool), Ok(json!(true)));
        assert_eq!(r("~", true, Tag::Null), Ok(Value::Null));
        assert_eq!(r("5", true, Tag::Other), Ok(json!(5)));
        assert_eq!(r("5", false, Tag::Other), Ok(json!("5")));
        assert_eq!(r("5", true, Tag::None), Ok(json!(5)));
        let err = r("abc", true, Tag::Int).unwrap_err();
        assert_eq!(err, "`abc` is tagged !!int but is not an integer");
        assert!(r("yes", true, Tag::Bool).is_err());
        assert!(r("x", true, Tag::Null).is_err());
        assert!(r("1.2.3", true, Tag::Float).is_err());
    }

    #[test]
    fn integers_beyond_64_bits_are_floats() {
        let big = "340282366920938463463374607431768211455";
        assert_eq!(resolve_plain(big.into()), json!(3.402823669209385e38));
        let longer = "1".repeat(60);
        assert_eq!(
            resolve_plain(longer.clone()),
            json!(longer.parse::<f64>().unwrap())
        );
        assert_eq!(
            resolve_plain("-0x8000000000000001".into()),
            json!(-9.223372036854776e18)
        );
        // Leading zeros keep it a string, however long.
        let zeros = format!("0{longer}");
        assert_eq!(resolve_plain(zeros.clone()), json!(zeros));
    }
}
