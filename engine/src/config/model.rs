//! The typed configuration model (SPEC R2–R5, R9, R12): sources, steps and
//! their parts, the runner and plugins sections. `builder.rs` makes it.

use super::control::{ExecutorDef, RetryPolicy, StepControl};
use crate::error::{Problem, ProblemKind};
use serde_json::Value;
use std::path::PathBuf;

/// A named or inline provider configuration (SPEC R3).
#[derive(Debug, Clone, PartialEq)]
pub struct SourceDef {
    /// The provider type, e.g. `rest`.
    pub type_name: String,
    /// The configuration mapping handed to the provider (after rendering).
    pub configuration: Value,
    /// Most calls to this source running at once (R29).
    pub max_concurrency: Option<usize>,
}

impl SourceDef {
    /// A source of `type_name` with `configuration` and no limit.
    pub fn new(type_name: impl Into<String>, configuration: Value) -> Self {
        SourceDef {
            type_name: type_name.into(),
            configuration,
            max_concurrency: None,
        }
    }

    /// The definition as the mapping `{type, configuration}`.
    pub fn to_value(&self) -> Value {
        serde_json::json!({"type": self.type_name, "configuration": self.configuration})
    }
}

/// The `source` field of a step (SPEC R5).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SourceRef {
    /// A name from `sources`, or else a provider type with empty configuration.
    Named(String),
    /// An inline `{type, configuration}` (boxed, as the rarer forms: a
    /// step stays small).
    Inline(Box<SourceDef>),
    /// `{base, override}`: the override deep-merged into the base source.
    Override {
        /// The base source's name.
        base: String,
        /// The mapping merged into `{type, configuration}` of the base.
        overrides: Box<Value>,
    },
}

/// The `input` field of a step (SPEC R9).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum InputSpec {
    /// No payload.
    None,
    /// A string template (including the `value`/`template` of typed mappings).
    Text(String),
    /// A mapping or list whose strings are rendered (boxed, as `Literal`:
    /// most inputs are text, and a step stays small).
    Structured(Box<Value>),
    /// A number or boolean passed as is.
    Literal(Box<Value>),
}

/// How an output picks its value (SPEC R12).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum OutputKind {
    /// The whole `data`.
    Json,
    /// A JMESPath expression over `data`.
    JmesPath(String),
    /// A template rendered with `result`, `meta`, `status`, ...
    Template(String),
}

/// One output spec.
#[derive(Debug, Clone, PartialEq)]
pub struct OutputSpec {
    /// The output's name under `flows.STEP`.
    pub name: String,
    /// How the value is picked.
    pub kind: OutputKind,
    /// Marked `secret: true`: its value is masked wherever shown (R24).
    pub secret: bool,
}

/// What happens when a step fails (SPEC R14).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OnError {
    /// Halt the run.
    Fail,
    /// Skip everything that depends on the step.
    Skip,
    /// Let dependents run anyway.
    Continue,
}

impl OnError {
    /// Parses `fail`, `skip` or `continue`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "fail" => Some(OnError::Fail),
            "skip" => Some(OnError::Skip),
            "continue" => Some(OnError::Continue),
            _ => None,
        }
    }

    /// The policy's name.
    pub fn as_str(self) -> &'static str {
        match self {
            OnError::Fail => "fail",
            OnError::Skip => "skip",
            OnError::Continue => "continue",
        }
    }
}

/// One step of the flow (SPEC R4).
#[derive(Debug, Clone, PartialEq)]
pub struct StepDef {
    /// Unique name.
    pub name: String,
    /// Which provider configuration it calls.
    pub source: SourceRef,
    /// The payload spec.
    pub input: InputSpec,
    /// What it keeps.
    pub output: Vec<OutputSpec>,
    /// Explicit dependencies.
    pub depends_on: Vec<String>,
    /// The step's own policy, if set.
    pub on_error: Option<OnError>,
    /// Retries, timeout, condition, fan-out (R25–R28), when any is set
    /// (boxed: most steps have none, and 50,000 steps should not carry
    /// 130 bytes each for it). Read it with [`StepDef::control`].
    pub run_control: Option<Box<StepControl>>,
    /// Where the step is written: file and line, when known.
    pub file: Option<PathBuf>,
    /// 1-based line of the step's `name:`, when known.
    pub line: Option<usize>,
}

impl StepDef {
    /// The step's run control (all defaults when it sets none).
    pub fn control(&self) -> &StepControl {
        static NONE: StepControl = StepControl::NONE;
        self.run_control.as_deref().unwrap_or(&NONE)
    }

    /// A problem located at this step.
    pub fn problem(&self, message: impl Into<String>) -> Problem {
        Problem::new(ProblemKind::Shape, message)
            .in_file(self.file.clone())
            .at_line(self.line)
            .for_step(&self.name)
    }
}

/// The `runner` section.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunnerConfig {
    /// Most steps running at once (default 4).
    pub max_workers: Option<usize>,
    /// Default failure policy (default `fail`).
    pub on_error: Option<OnError>,
    /// Default retry policy of every step (R25).
    pub retry: Option<RetryPolicy>,
    /// Default timeout of every step's tries, in seconds (R26).
    pub timeout: Option<f64>,
    /// Where steps run unless they say otherwise (R34; default `local`).
    pub executor: Option<ExecutorDef>,
}

/// The `plugins` section, with relative dirs already resolved.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PluginsConfig {
    /// Directories to load plugin libraries from.
    pub dirs: Vec<PathBuf>,
    /// The YAML file that listed them, and the line of its `plugins:`, so
    /// problems with a directory can point there.
    pub listed_in: Option<(PathBuf, Option<usize>)>,
}
