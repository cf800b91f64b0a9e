//! Parsing the `process` configuration and building the command line for a call.

use crate::redact::Redaction;
use flowtoy_plugin_api::Payload;
use serde_json::{Map, Value};
use std::time::Duration;

/// Default cap on captured stdout and stderr, each (64 MiB).
pub const DEFAULT_MAX_OUTPUT_BYTES: usize = 64 * 1024 * 1024;

/// How the payload reaches the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassTo {
    /// Appended as the last argument (default).
    Arg,
    /// Piped to standard input.
    Stdin,
    /// Neither: the configuration's templates already used it (R8).
    Template,
}

/// The parsed `process` configuration.
#[derive(Debug, Clone)]
pub struct ProcessConfig {
    /// The configured command, if any (the payload may supply one).
    pub command: Option<Value>,
    /// Run a string command through `sh -c`.
    pub shell: bool,
    /// How the payload reaches the program.
    pub pass_to: PassTo,
    /// Kill the program and its children after this long.
    pub timeout: Option<Duration>,
    /// Working directory.
    pub cwd: Option<String>,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    /// Cap on captured stdout/stderr bytes.
    pub max_output_bytes: usize,
    /// What to hide when the command is logged.
    pub redaction: Redaction,
}

/// Everything needed to start the program once.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandLine {
    /// Program followed by its arguments.
    pub argv: Vec<String>,
    /// Text to pipe to standard input, if any.
    pub stdin: Option<String>,
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn string_list(value: &Value, what: &str) -> Result<Vec<String>, String> {
    match value {
        Value::Array(items) => Ok(items.iter().map(text_of).collect()),
        other => Err(format!("process: `{what}` must be a list, got {other}")),
    }
}

impl ProcessConfig {
    /// Reads a configuration mapping; unknown keys are ignored.
    pub fn parse(configuration: &Value) -> Result<Self, String> {
        let empty = Map::new();
        let cfg = match configuration {
            Value::Object(m) => m,
            Value::Null => &empty,
            other => {
                return Err(format!(
                    "process: configuration must be a mapping, got {other}"
                ))
            }
        };
        let pass_to = match cfg.get("pass_to").and_then(Value::as_str).unwrap_or("arg") {
            "arg" => PassTo::Arg,
            "stdin" => PassTo::Stdin,
            "template" => PassTo::Template,
            other => {
                return Err(format!(
                    "process: unknown pass_to '{other}' (use arg, stdin or template)"
                ))
            }
        };
        let timeout = match cfg.get("timeout") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let secs = v
                    .as_f64()
                    .filter(|s| s.is_finite() && *s > 0.0)
                    .ok_or_else(|| {
                        format!("process: `timeout` must be a positive number of seconds, got {v}")
                    })?;
                Some(Duration::from_secs_f64(secs))
            }
        };
        let env = match cfg.get("env") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Object(m)) => m.iter().map(|(k, v)| (k.clone(), text_of(v))).collect(),
            Some(other) => return Err(format!("process: `env` must be a mapping, got {other}")),
        };
        let max_output_bytes = match cfg.get("max_output_bytes") {
            None | Some(Value::Null) => DEFAULT_MAX_OUTPUT_BYTES,
            Some(v) => v.as_u64().filter(|n| *n > 0).ok_or_else(|| {
                format!("process: `max_output_bytes` must be a positive integer, got {v}")
            })? as usize,
        };
        let command = match cfg.get("command") {
            None | Some(Value::Null) => None,
            Some(v @ (Value::String(_) | Value::Array(_))) => Some(v.clone()),
            Some(other) => {
                return Err(format!(
                    "process: `command` must be a list or a string, got {other}"
                ))
            }
        };
        Ok(ProcessConfig {
            command,
            shell: cfg.get("shell").and_then(Value::as_bool).unwrap_or(false),
            pass_to,
            timeout,
            cwd: cfg.get("cwd").and_then(Value::as_str).map(str::to_string),
            env,
            max_output_bytes,
            redaction: Redaction::parse(cfg)?,
        })
    }

    fn split(&self, command: &Value) -> Result<Vec<String>, String> {
        match command {
            Value::Array(_) => string_list(command, "command"),
            Value::String(s) if self.shell => Ok(vec!["sh".into(), "-c".into(), s.clone()]),
            Value::String(s) => shlex::split(s).ok_or_else(|| {
                format!("process: cannot split command {s:?} into words (unbalanced quotes?)")
            }),
            other => Err(format!(
                "process: `command` must be a list or a string, got {other}"
            )),
        }
    }

    /// Builds the command line for one call: the structured payload's `command`,
    /// `args` and `stdin` first, then `pass_to` for any other payload.
    pub fn command_line(&self, payload: &Payload) -> Result<CommandLine, String> {
        let structured = match payload {
            Some(Value::Object(m))
                if m.contains_key("command")
                    || m.contains_key("args")
                    || m.contains_key("stdin") =>
            {
                Some(m)
            }
            _ => None,
        };
        let command = structured
            .and_then(|m| m.get("command"))
            .or(self.command.as_ref())
            .ok_or_else(|| {
                "process: no `command` in the configuration or the payload".to_string()
            })?;
        let mut argv = self.split(command)?;
        if argv.is_empty() {
            return Err("process: `command` is empty".into());
        }
        let mut stdin = None;
        if let Some(m) = structured {
            if let Some(args) = m.get("args") {
                argv.extend(string_list(args, "args")?);
            }
            stdin = m.get("stdin").map(text_of);
        } else if let Some(p) = payload {
            match self.pass_to {
                PassTo::Arg => argv.push(text_of(p)),
                PassTo::Stdin => stdin = Some(text_of(p)),
                PassTo::Template => {}
            }
        }
        Ok(CommandLine { argv, stdin })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn line(cfg: Value, payload: Payload) -> CommandLine {
        ProcessConfig::parse(&cfg)
            .unwrap()
            .command_line(&payload)
            .unwrap()
    }

    #[test]
    fn string_commands_split_like_a_shell() {
        let l = line(json!({"command": "echo 'a b' c"}), None);
        assert_eq!(l.argv, ["echo", "a b", "c"]);
    }

    #[test]
    fn shell_true_runs_through_sh() {
        let l = line(json!({"command": "echo $HOME | wc", "shell": true}), None);
        assert_eq!(l.argv, ["sh", "-c", "echo $HOME | wc"]);
    }

    #[test]
    fn pass_to_modes() {
        let p = Some(json!("x"));
        assert_eq!(
            line(json!({"command": ["cat"]}), p.clone()).argv,
            ["cat", "x"]
        );
        let l = line(json!({"command": ["cat"], "pass_to": "stdin"}), p.clone());
        assert_eq!(
            (l.argv, l.stdin),
            (vec!["cat".to_string()], Some("x".to_string()))
        );
        let l = line(json!({"command": ["cat"], "pass_to": "template"}), p);
        assert_eq!((l.argv.len(), l.stdin), (1, None));
    }

    #[test]
    fn structured_payload_replaces_command_and_appends_args() {
        let l = line(
            json!({"command": ["false"]}),
            Some(json!({"command": ["echo"], "args": ["a", 1], "stdin": "in"})),
        );
        assert_eq!(l.argv, ["echo", "a", "1"]);
        assert_eq!(l.stdin.as_deref(), Some("in"));
    }

    #[test]
    fn non_string_payload_goes_as_json_text() {
        let l = line(json!({"command": ["echo"]}), Some(json!({"k": 1})));
        assert_eq!(l.argv, ["echo", "{\"k\":1}"]);
    }

    #[test]
    fn missing_command_is_an_error() {
        let cfg = ProcessConfig::parse(&json!({})).unwrap();
        assert!(cfg
            .command_line(&None)
            .unwrap_err()
            .contains("no `command`"));
        assert!(ProcessConfig::parse(&json!({"pass_to": "pipe"})).is_err());
        assert!(ProcessConfig::parse(&json!({"timeout": -1})).is_err());
    }
}
