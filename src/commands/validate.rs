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
//! `waves[0]` is wave 1 (steps with no dependencies); steps keep file order
//! within a wave. `explicit` means named in `depends_on`, `implicit` means
//! referenced by a template as `flows.NAME` (both can be true). When the
//! configuration is invalid it prints `{"valid": false, "errors": [...]}`,
//! one string per problem, and exits 2.

use super::load;
use crate::cli::ValidateArgs;
use crate::exit;
use flowtoy::config::{Config, OnError};
use flowtoy::{FlowError, ProviderRegistry};
use serde_json::{json, Value};

/// Runs `flowtoy validate`; returns the exit code.
pub fn run(args: ValidateArgs) -> i32 {
    match load::load(&args.configs, &args.plugins) {
        Ok((config, registry)) => {
            let report = report(&config, &registry);
            if args.json {
                print_json(&report);
            } else {
                print!("{}", human(&config, &report));
            }
            // The process ends now: freeing a large flow's values and
            // compiled templates one by one would only make it end later.
            std::mem::forget((config, report));
            exit::OK
        }
        Err(err) => {
            if args.json {
                print_json(&errors_json(&err));
            }
            exit::report(&err)
        }
    }
}

/// The JSON report of a valid configuration (the shape is in the module docs).
fn report(config: &Config, registry: &ProviderRegistry) -> Value {
    let graph = config.graph();
    let waves: Vec<Value> = graph
        .waves()
        .iter()
        .map(|wave| {
            let steps = wave
                .iter()
                .map(|&i| {
                    // Built in place: `json!` would copy each nested value again.
                    let deps: Vec<Value> = graph.deps[i]
                        .iter()
                        .map(|(j, kind)| {
                            object([
                                ("step", config.flow[*j].name.as_str().into()),
                                ("explicit", kind.explicit.into()),
                                ("implicit", kind.implicit.into()),
                            ])
                        })
                        .collect();
                    object([
                        ("name", config.flow[i].name.as_str().into()),
                        ("type", config.resolved_source(i).type_name.as_str().into()),
                        ("on_error", on_error(config, i).as_str().into()),
                        ("depends_on", Value::Array(deps)),
                    ])
                })
                .collect();
            Value::Array(steps)
        })
        .collect();
    let warnings: Vec<&String> = registry.warnings.iter().chain(&config.warnings).collect();
    object([
        ("valid", true.into()),
        (
            "files",
            config
                .files
                .iter()
                .map(|f| Value::from(f.display().to_string()))
                .collect(),
        ),
        ("steps", config.flow.len().into()),
        ("waves", Value::Array(waves)),
        (
            "warnings",
            warnings
                .into_iter()
                .map(|w| Value::from(w.as_str()))
                .collect(),
        ),
    ])
}

/// A JSON object with these fields, in this order.
fn object<const N: usize>(fields: [(&str, Value); N]) -> Value {
    Value::Object(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

/// The policy that applies to step `i`: its own, the runner's, or `fail`.
fn on_error(config: &Config, i: usize) -> OnError {
    config.flow[i]
        .on_error
        .or(config.runner.on_error)
        .unwrap_or(OnError::Fail)
}

/// The JSON report of an invalid configuration.
fn errors_json(err: &FlowError) -> Value {
    let errors: Vec<String> = match err {
        FlowError::Config(problems) => problems.iter().map(ToString::to_string).collect(),
        other => vec![other.to_string()],
    };
    json!({ "valid": false, "errors": errors })
}

fn print_json(value: &Value) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("error: cannot print JSON: {e}"),
    }
}

/// The human-readable report, built from the JSON one so both always agree.
fn human(config: &Config, report: &Value) -> String {
    let files: Vec<String> = config
        .files
        .iter()
        .map(|f| f.display().to_string())
        .collect();
    let empty = Vec::new();
    let waves = report["waves"].as_array().unwrap_or(&empty);
    let mut out = format!(
        "{}: valid, {} in {}\n",
        files.join(" + "),
        plural(config.flow.len(), "step"),
        plural(waves.len(), "wave"),
    );
    let width = config
        .flow
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(0);
    let type_width = (0..config.flow.len())
        .map(|i| config.resolved_source(i).type_name.chars().count())
        .max()
        .unwrap_or(0);
    for (n, wave) in waves.iter().enumerate() {
        out.push_str(&format!("\nwave {}:\n", n + 1));
        for step in wave.as_array().unwrap_or(&empty) {
            let name = step["name"].as_str().unwrap_or_default();
            let kind = step["type"].as_str().unwrap_or_default();
            let mut line = format!("  {name:<width$}  {kind:<type_width$}");
            let deps: Vec<String> = step["depends_on"]
                .as_array()
                .unwrap_or(&empty)
                .iter()
                .map(|d| {
                    let dep = d["step"].as_str().unwrap_or_default();
                    if d["explicit"] == true {
                        dep.to_string()
                    } else {
                        format!("{dep} (template)")
                    }
                })
                .collect();
            if !deps.is_empty() {
                line.push_str(&format!("  after {}", deps.join(", ")));
            }
            match step["on_error"].as_str() {
                Some("fail") | None => {}
                Some(policy) => line.push_str(&format!("  [on_error: {policy}]")),
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
    }
    let warnings = report["warnings"].as_array().map_or(0, Vec::len);
    if warnings > 0 {
        out.push_str(&format!(
            "\n{} (shown on stderr)\n",
            plural(warnings, "warning")
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
