//! Run control on steps and the runner (SPEC R25–R29): `retry`, `timeout`,
//! `when`, `foreach`, `max_parallel`, `after_skipped`, and a source's
//! `max_concurrency` — what they mean as types, and how they are read from
//! YAML with every problem collected.

use super::load::kind_of;
use serde_json::{Map, Value};
use std::time::Duration;

/// The step keys read here, for the unknown-key check.
pub const STEP_KEYS: [&str; 7] = [
    "executor",
    "retry",
    "timeout",
    "when",
    "foreach",
    "max_parallel",
    "after_skipped",
];

/// How a step's failed tries are retried (R25).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RetryPolicy {
    /// Tries in all, the first included (≥ 1; 1 is no retry).
    pub attempts: u32,
    /// Seconds before the second try.
    pub delay: f64,
    /// Each later wait is the previous one times this.
    pub backoff: f64,
    /// No wait is longer than this many seconds.
    pub max_delay: f64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 1,
            delay: 1.0,
            backoff: 2.0,
            max_delay: 60.0,
        }
    }
}

impl RetryPolicy {
    /// The wait before try `attempt` (2 for the first retry): `delay ×
    /// backoff^(attempt−2)`, at most `max_delay`.
    pub fn wait_before(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(2).min(1000) as i32;
        let seconds = (self.delay * self.backoff.powi(exponent)).min(self.max_delay);
        Duration::try_from_secs_f64(seconds.max(0.0)).unwrap_or(Duration::MAX)
    }
}

/// What a `foreach` step runs over (R28).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Foreach {
    /// A list written in the YAML; its strings are rendered per run.
    List(Vec<Value>),
    /// A template that renders to a list (a JSON array text, or a value).
    Template(String),
}

impl Foreach {
    /// As written: the list, or the template text.
    pub fn to_value(&self) -> Value {
        match self {
            Foreach::List(items) => Value::Array(items.clone()),
            Foreach::Template(text) => Value::String(text.clone()),
        }
    }
}

/// Where a step runs (R34): an executor type and its configuration.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ExecutorDef {
    /// The executor type, e.g. `local` or `slurm`.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Its configuration mapping (not rendered: it holds no templates).
    pub configuration: Value,
}

impl ExecutorDef {
    /// The default executor: this process.
    pub const LOCAL: &'static str = "local";

    /// True for the `local` executor.
    pub fn is_local(&self) -> bool {
        self.type_name == Self::LOCAL
    }
}

/// A step's run control (R25–R28). The default changes nothing.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepControl {
    /// Its own retry policy (replaces `runner.retry` whole).
    pub retry: Option<RetryPolicy>,
    /// Seconds each try may take.
    pub timeout: Option<f64>,
    /// A Jinja expression, as written (with or without `{{ }}`).
    pub when: Option<String>,
    /// Runs the step once per item.
    pub foreach: Option<Foreach>,
    /// Most iterations of a `foreach` step running at once.
    pub max_parallel: Option<usize>,
    /// `after_skipped: run`: the step runs even when a step it depends on was
    /// skipped because its `when` was false (the join of an if/else).
    pub run_after_skipped: bool,
    /// Where it runs (R34), when not where the runner's default says.
    pub executor: Option<ExecutorDef>,
}

impl StepControl {
    /// No run control at all (the default).
    pub const NONE: StepControl = StepControl {
        retry: None,
        timeout: None,
        when: None,
        foreach: None,
        max_parallel: None,
        run_after_skipped: false,
        executor: None,
    };

    /// True when nothing is set.
    pub fn is_none(&self) -> bool {
        *self == StepControl::NONE
    }

    /// The expression of `when`, without the `{{ }}` it may be written in.
    pub fn when_expression(&self) -> Option<&str> {
        self.when.as_deref().map(strip_braces)
    }
}

/// `{{ expr }}` → `expr`; anything else as is.
pub fn strip_braces(text: &str) -> &str {
    let t = text.trim();
    match t.strip_prefix("{{").and_then(|r| r.strip_suffix("}}")) {
        Some(inner) if !inner.contains("{{") && !inner.contains("}}") => inner.trim(),
        _ => t,
    }
}

/// A number of seconds > 0, or why not.
pub fn seconds(key: &str, value: &Value) -> Result<f64, String> {
    match value.as_f64() {
        Some(s) if s > 0.0 && s.is_finite() && s <= 1e9 => Ok(s),
        _ => Err(format!(
            "`{key}` must be a number of seconds greater than 0, not {value}"
        )),
    }
}

/// An integer ≥ 1, or why not.
pub fn count(key: &str, value: &Value) -> Result<usize, String> {
    match value.as_u64().filter(|n| *n >= 1) {
        Some(n) => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
        None => Err(format!(
            "`{key}` must be an integer of 1 or more, not {value}"
        )),
    }
}

/// Reads a `retry` mapping; every problem is pushed.
pub fn retry(key: &str, value: &Value, problems: &mut Vec<String>) -> Option<RetryPolicy> {
    let Some(m) = value.as_object() else {
        problems.push(format!(
            "`{key}` must be a mapping {{attempts, delay, backoff, max_delay}}, not {}",
            kind_of(value)
        ));
        return None;
    };
    let mut policy = RetryPolicy::default();
    let before = problems.len();
    for (name, v) in m {
        let field = format!("{key}.{name}");
        match name.as_str() {
            "attempts" => match v.as_u64().filter(|n| *n >= 1) {
                Some(n) => policy.attempts = u32::try_from(n).unwrap_or(u32::MAX),
                None => problems.push(format!(
                    "`{field}` must be an integer of 1 or more (tries in all, the first included), not {v}"
                )),
            },
            "delay" | "max_delay" => match v.as_f64().filter(|s| *s >= 0.0 && s.is_finite()) {
                Some(s) if name == "delay" => policy.delay = s,
                Some(s) => policy.max_delay = s,
                None => problems.push(format!(
                    "`{field}` must be a number of seconds of 0 or more, not {v}"
                )),
            },
            "backoff" => match v.as_f64().filter(|b| *b >= 1.0 && b.is_finite()) {
                Some(b) => policy.backoff = b,
                None => problems.push(format!("`{field}` must be a number of 1 or more, not {v}")),
            },
            other => problems.push(format!(
                "unknown key `{other}` in `{key}`: use attempts, delay, backoff, max_delay"
            )),
        }
    }
    (problems.len() == before).then_some(policy)
}

/// Reads an `executor` mapping `{type, configuration}`; every problem is pushed.
pub fn executor(key: &str, value: &Value, problems: &mut Vec<String>) -> Option<ExecutorDef> {
    let Some(m) = value.as_object() else {
        problems.push(format!(
            "`{key}` must be a mapping {{type, configuration}}, not {}",
            kind_of(value)
        ));
        return None;
    };
    let before = problems.len();
    for name in m.keys() {
        if name != "type" && name != "configuration" {
            problems.push(format!(
                "unknown key `{name}` in `{key}`: use type and configuration"
            ));
        }
    }
    let type_name = match m.get("type") {
        Some(Value::String(t)) if !t.trim().is_empty() => t.clone(),
        None | Some(Value::Null) => {
            problems.push(format!(
                "`{key}` needs a `type` (local, slurm, or an executor type of a plugin)"
            ));
            String::new()
        }
        Some(other) => {
            problems.push(format!(
                "`{key}.type` must be an executor type name, not {}",
                kind_of(other)
            ));
            String::new()
        }
    };
    let configuration = match m.get("configuration") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(c @ Value::Object(_)) => c.clone(),
        Some(other) => {
            problems.push(format!(
                "`{key}.configuration` must be a mapping, not {}",
                kind_of(other)
            ));
            Value::Object(Map::new())
        }
    };
    (problems.len() == before).then_some(ExecutorDef {
        type_name,
        configuration,
    })
}

/// Reads the run-control keys of a step mapping; every problem is pushed.
pub fn step_control(m: &Map<String, Value>, problems: &mut Vec<String>) -> StepControl {
    let mut control = StepControl::default();
    let present = |key: &str| m.get(key).filter(|v| !v.is_null());
    if let Some(v) = present("retry") {
        control.retry = retry("retry", v, problems);
    }
    if let Some(v) = present("timeout") {
        match seconds("timeout", v) {
            Ok(s) => control.timeout = Some(s),
            Err(msg) => problems.push(msg),
        }
    }
    if let Some(v) = present("when") {
        match v {
            Value::String(s) if !s.trim().is_empty() => control.when = Some(s.clone()),
            Value::Bool(b) => control.when = Some(if *b { "true" } else { "false" }.into()),
            other => problems.push(format!(
                "`when` must be a Jinja expression (text), not {}",
                kind_of(other)
            )),
        }
    }
    if let Some(v) = present("foreach") {
        match v {
            Value::Array(items) => control.foreach = Some(Foreach::List(items.clone())),
            Value::String(s) if !s.trim().is_empty() => {
                control.foreach = Some(Foreach::Template(s.clone()))
            }
            other => problems.push(format!(
                "`foreach` must be a list or a template that gives a list, not {}",
                kind_of(other)
            )),
        }
    }
    if let Some(v) = present("max_parallel") {
        match count("max_parallel", v) {
            Ok(n) => control.max_parallel = Some(n),
            Err(msg) => problems.push(msg),
        }
        if control.foreach.is_none() && m.get("foreach").is_none_or(Value::is_null) {
            problems.push("`max_parallel` limits the iterations of a `foreach` step; this step has no `foreach`".into());
        }
    }
    if let Some(v) = present("executor") {
        control.executor = executor("executor", v, problems);
    }
    if let Some(v) = present("after_skipped") {
        match v.as_str() {
            Some("run") => control.run_after_skipped = true,
            Some("skip") => control.run_after_skipped = false,
            _ => problems.push(format!("`after_skipped` must be `run` or `skip`, not {v}")),
        }
    }
    control
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: Value) -> (StepControl, Vec<String>) {
        let mut problems = Vec::new();
        let control = step_control(v.as_object().unwrap(), &mut problems);
        (control, problems)
    }

    #[test]
    fn waits_grow_by_backoff_up_to_max_delay() {
        let p = RetryPolicy {
            attempts: 6,
            delay: 0.5,
            backoff: 3.0,
            max_delay: 5.0,
        };
        let waits: Vec<f64> = (2..=6).map(|a| p.wait_before(a).as_secs_f64()).collect();
        assert_eq!(waits, [0.5, 1.5, 4.5, 5.0, 5.0]);
    }

    #[test]
    fn every_bad_key_is_a_problem() {
        let (_, problems) = read(json!({
            "retry": {"attempts": 0, "delay": -1, "backoff": 0.5, "jitter": 1},
            "timeout": -2,
            "when": 3,
            "foreach": 7,
            "max_parallel": 0,
            "after_skipped": "maybe",
        }));
        assert_eq!(problems.len(), 9, "{problems:#?}");
    }

    #[test]
    fn good_keys_are_read() {
        let (c, problems) = read(json!({
            "retry": {"attempts": 3, "delay": 0.1},
            "timeout": 2.5,
            "when": "{{ flows.a.ok }}",
            "foreach": [1, 2],
            "max_parallel": 2,
            "after_skipped": "run",
        }));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(c.retry.as_ref().map(|r| r.attempts), Some(3));
        assert_eq!(c.timeout, Some(2.5));
        assert_eq!(c.when_expression(), Some("flows.a.ok"));
        assert_eq!(c.foreach, Some(Foreach::List(vec![json!(1), json!(2)])));
        assert!(c.run_after_skipped);
    }
}
