//! `flowtoy validate`: load, merge and validate without running anything;
//! print the steps grouped into the waves in which they can run.
//!
//! `--json` prints one object on stdout, for tools:
//!
//! ```json
//! {
//!   "valid": true,
//!   "files": ["examples/diamond.yaml"],
//!   "steps": 4,
//!   "waves": [
//!     [{"name": "a", "type": "env", "on_error": "fail", "depends_on": []}],
//!     [{"name": "b", "type": "process", "on_error": "fail",
//!       "depends_on": [{"step": "a", "explicit": true, "implicit": false}]}]
//!   ],
//!   "warnings": []
//! }
//! ```
//!
//! A step that runs elsewhere than this process (R34) also has
//! `"executor": {"type": "slurm", "configuration": {...}}`.
//!
//! `waves[0]` is wave 1 (steps with no dependencies); steps keep file order
//! within a wave. `explicit` means named in `depends_on`, `implicit` means
//! referenced by a template as `flows.NAME` (both can be true). When the
//! configuration is invalid it prints `{"valid": false, "errors": [...]}`,
//! one string per problem, and exits 2.

use super::load;
use crate::cli::ValidateArgs;
use crate::error::{CliResult, OK};
use flowtoy::config::{Config, ExecutorDef, Foreach, RetryPolicy, SourceDef, StepDef};
use flowtoy::FlowError;
use serde::Serialize;
use serde_json::json;

/// Runs `flowtoy validate`.
pub fn run(args: ValidateArgs) -> CliResult {
    match load::load(&args.configs, &args.plugins) {
        Ok(config) => {
            let report = report(&config);
            if args.json {
                print_json(&report);
            } else {
                out!("{}", human(&report));
            }
            Ok(OK)
        }
        Err(err) => {
            if args.json {
                print_json(&errors_json(&err));
            }
            Err(err.into())
        }
    }
}

/// What `validate` says about a valid configuration: printed as JSON (the
/// shape is in the module docs) or for people, from the same data.
#[derive(Serialize)]
struct Report<'a> {
    valid: bool,
    files: Vec<String>,
    steps: usize,
    waves: Vec<Vec<StepReport<'a>>>,
    warnings: Vec<String>,
}

/// One step of a wave.
#[derive(Serialize)]
struct StepReport<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    on_error: &'static str,
    depends_on: Vec<Dependency<'a>>,
    #[serde(flatten)]
    control: Control<'a>,
}

/// A step's run control as it applies (its own, or the runner's default).
#[derive(Serialize, Default)]
struct Control<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    retry: Option<&'a RetryPolicy>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timeout: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    when: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    foreach: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_parallel: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    after_skipped: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_concurrency: Option<usize>,
    /// Where the step runs, when not in this process (R34).
    #[serde(skip_serializing_if = "Option::is_none")]
    executor: Option<&'a ExecutorDef>,
}

impl<'a> Control<'a> {
    fn of(config: &'a Config, index: usize, step: &'a StepDef, source: &SourceDef) -> Self {
        let c = &step.control();
        Control {
            retry: c
                .retry
                .as_ref()
                .or(config.runner().retry.as_ref())
                .filter(|r| r.attempts > 1),
            timeout: c.timeout.or(config.runner().timeout),
            when: c.when.as_deref(),
            foreach: c.foreach.as_ref().map(Foreach::to_value),
            max_parallel: c.max_parallel,
            after_skipped: c.run_after_skipped.then_some("run"),
            max_concurrency: source.max_concurrency,
            executor: config.placement(index).remote().map(|r| &r.definition),
        }
    }

    /// `retry 3×, timeout 10 s, ...` for people.
    fn words(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(r) = self.retry {
            out.push(format!("retry {}×", r.attempts));
        }
        if let Some(t) = self.timeout {
            out.push(format!("timeout {t} s"));
        }
        if let Some(w) = self.when {
            out.push(format!("when: {w}"));
        }
        match &self.foreach {
            Some(serde_json::Value::Array(items)) => {
                out.push(format!("foreach {} items", items.len()))
            }
            Some(other) => out.push(format!("foreach {}", other.as_str().unwrap_or_default())),
            None => {}
        }
        if let Some(n) = self.max_parallel {
            out.push(format!("max_parallel {n}"));
        }
        if let Some(a) = self.after_skipped {
            out.push(format!("after_skipped: {a}"));
        }
        if let Some(n) = self.max_concurrency {
            out.push(format!("max_concurrency {n}"));
        }
        if let Some(e) = self.executor {
            out.push(format!("on {}", e.type_name));
        }
        out
    }
}

/// One dependency of a step, and how it was made.
#[derive(Serialize)]
struct Dependency<'a> {
    step: &'a str,
    explicit: bool,
    implicit: bool,
}

/// The report of a valid configuration.
fn report(config: &Config) -> Report<'_> {
    let graph = config.graph();
    let steps: Vec<_> = config.steps_with_sources().collect();
    let waves = graph
        .waves()
        .iter()
        .map(|wave| {
            wave.iter()
                .map(|&i| StepReport {
                    name: &steps[i].0.name,
                    kind: &steps[i].1.type_name,
                    on_error: config.policy(i).as_str(),
                    control: Control::of(config, i, steps[i].0, steps[i].1),
                    depends_on: graph.deps[i]
                        .iter()
                        .map(|(j, kind)| Dependency {
                            step: &steps[*j].0.name,
                            explicit: kind.explicit,
                            implicit: kind.implicit,
                        })
                        .collect(),
                })
                .collect()
        })
        .collect();
    Report {
        valid: true,
        files: config
            .files()
            .iter()
            .map(|f| f.display().to_string())
            .collect(),
        steps: steps.len(),
        waves,
        warnings: config.warnings().map(ToString::to_string).collect(),
    }
}

/// The JSON report of an invalid configuration.
fn errors_json(err: &FlowError) -> serde_json::Value {
    let errors: Vec<String> = match err {
        FlowError::Config(_) => err.errors().map(ToString::to_string).collect(),
        other => vec![other.to_string()],
    };
    json!({ "valid": false, "errors": errors })
}

fn print_json(value: &impl Serialize) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => outln!("{text}"),
        Err(e) => note!("error: cannot print JSON: {e}"),
    }
}

/// The report for people.
fn human(report: &Report) -> String {
    let steps = || report.waves.iter().flatten();
    let width = steps().map(|s| s.name.chars().count()).max().unwrap_or(0);
    let type_width = steps().map(|s| s.kind.chars().count()).max().unwrap_or(0);
    let mut out = format!(
        "{}: valid, {} in {}\n",
        report.files.join(" + "),
        plural(report.steps, "step"),
        plural(report.waves.len(), "wave"),
    );
    for (n, wave) in report.waves.iter().enumerate() {
        out.push_str(&format!("\nwave {}:\n", n + 1));
        for step in wave {
            let mut line = format!("  {:<width$}  {:<type_width$}", step.name, step.kind);
            let deps: Vec<String> = step
                .depends_on
                .iter()
                .map(|d| match d.explicit {
                    true => d.step.to_string(),
                    false => format!("{} (template)", d.step),
                })
                .collect();
            if !deps.is_empty() {
                line.push_str(&format!("  after {}", deps.join(", ")));
            }
            let mut notes = step.control.words();
            if step.on_error != "fail" {
                notes.insert(0, format!("on_error: {}", step.on_error));
            }
            if !notes.is_empty() {
                line.push_str(&format!("  [{}]", notes.join(", ")));
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    if !report.warnings.is_empty() {
        out.push_str(&format!(
            "\n{} (shown on stderr)\n",
            plural(report.warnings.len(), "warning")
        ));
    }
    out
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
