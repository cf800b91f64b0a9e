//! How a command is shown in logs without leaking secrets (SPEC R11).

use serde_json::{Map, Value};

/// Which parts of a command may be logged.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Redaction {
    /// Argument positions to hide (0 is the program itself).
    pub args: Vec<usize>,
    /// Arguments containing any of these substrings are hidden.
    pub patterns: Vec<String>,
    /// Log everything as is.
    pub full: bool,
}

impl Redaction {
    /// Reads `redact_args`, `redact_patterns` and `log_full_command`.
    pub fn parse(cfg: &Map<String, Value>) -> Result<Self, String> {
        let args = match cfg.get("redact_args") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_u64()
                        .map(|n| n as usize)
                        .ok_or_else(|| format!("process: `redact_args` holds {v}, not a position"))
                })
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(format!(
                    "process: `redact_args` must be a list of positions, got {other}"
                ))
            }
        };
        let patterns = match cfg.get("redact_patterns") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(format!(
                        "process: `redact_patterns` holds {other}, not a string"
                    )),
                })
                .collect::<Result<_, _>>()?,
            Some(other) => {
                return Err(format!(
                    "process: `redact_patterns` must be a list of strings, got {other}"
                ))
            }
        };
        Ok(Redaction {
            args,
            patterns,
            full: cfg
                .get("log_full_command")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    }
}

/// The command as it may be logged: by default only the program and
/// `<N args>`; with `redact_args`/`redact_patterns` every argument, the chosen
/// ones replaced by `[REDACTED]`; with `log_full_command` everything.
pub fn display_command(argv: &[String], redaction: &Redaction) -> String {
    let Some(program) = argv.first() else {
        return String::new();
    };
    if redaction.full {
        return argv.join(" ");
    }
    if redaction.args.is_empty() && redaction.patterns.is_empty() {
        return format!("{program} <{} args>", argv.len() - 1);
    }
    argv.iter()
        .enumerate()
        .map(|(i, a)| {
            let hidden = redaction.args.contains(&i)
                || redaction
                    .patterns
                    .iter()
                    .any(|p| !p.is_empty() && a.contains(p.as_str()));
            if hidden {
                "[REDACTED]"
            } else {
                a.as_str()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv() -> Vec<String> {
        ["curl", "-u", "admin:hunter2", "--token=abc", "http://x"]
            .map(String::from)
            .to_vec()
    }

    #[test]
    fn default_shows_program_and_count() {
        assert_eq!(
            display_command(&argv(), &Redaction::default()),
            "curl <4 args>"
        );
    }

    #[test]
    fn positions_and_patterns_combine() {
        let r = Redaction {
            args: vec![2],
            patterns: vec!["token".into()],
            full: false,
        };
        assert_eq!(
            display_command(&argv(), &r),
            "curl -u [REDACTED] [REDACTED] http://x"
        );
    }

    #[test]
    fn full_command_when_asked() {
        let r = Redaction {
            full: true,
            ..Redaction::default()
        };
        assert_eq!(display_command(&argv(), &r), argv().join(" "));
    }
}
