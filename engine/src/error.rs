//! Errors of the engine, each with a kind and where it happened.
//!
//! A configuration yields [`Problem`]s — errors and warnings alike, each with
//! a [`ProblemKind`], a message, and the file, line and step it concerns —
//! collected all at once and returned as [`FlowError::Config`]. A step that
//! fails at run time yields a [`StepError`] whose [`StepErrorKind`] tells,
//! for instance, a failed provider call (worth retrying) from a template
//! error (not worth it).

use std::fmt;
use std::path::PathBuf;

/// What sort of problem a configuration has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProblemKind {
    /// A file cannot be read (missing, a directory, not UTF-8, no file given).
    Read,
    /// The text is not valid YAML.
    Syntax,
    /// A value has the wrong shape or type (a missing name, a bad `on_error`...).
    Shape,
    /// A key flowtoy does not know; ignored (a warning).
    UnknownKey,
    /// Two steps with one name.
    DuplicateName,
    /// A `source` that cannot be resolved (a `base` naming no source...).
    Source,
    /// A provider type no built-in or loaded plugin provides.
    UnknownProviderType,
    /// A template that does not parse.
    Template,
    /// A JMESPath expression that does not parse.
    JmesPath,
    /// Dependencies on steps that do not exist (listed in a block of their
    /// own, in the shape SPEC R6 fixes).
    MissingDependency,
    /// A dependency cycle.
    Cycle,
    /// A plugin directory or library problem.
    Plugin,
    /// An executor type nobody provides, an executor configuration its type
    /// refuses, or a step its executor cannot run (R34, R35).
    Executor,
}

/// Whether a problem stops the configuration from running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Severity {
    /// The configuration cannot run.
    Error,
    /// Worth telling; the configuration still runs.
    Warning,
}

/// One problem found in a configuration, with as much location as is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What sort of problem it is.
    pub kind: ProblemKind,
    /// An error or a warning.
    pub severity: Severity,
    /// What is wrong and what to do.
    pub message: String,
    /// The file the problem is in, when known.
    pub file: Option<PathBuf>,
    /// 1-based line in that file, when known.
    pub line: Option<usize>,
    /// The step concerned, if any.
    pub step: Option<String>,
}

impl Problem {
    /// An error of `kind` with a message and no location yet.
    pub fn new(kind: ProblemKind, message: impl Into<String>) -> Self {
        Problem {
            kind,
            severity: Severity::Error,
            message: message.into(),
            file: None,
            line: None,
            step: None,
        }
    }

    /// A warning of `kind` with a message and no location yet.
    pub fn warning(kind: ProblemKind, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Warning,
            ..Problem::new(kind, message)
        }
    }

    /// True for warnings.
    pub fn is_warning(&self) -> bool {
        self.severity == Severity::Warning
    }

    /// Attaches a file.
    pub fn in_file(mut self, file: Option<PathBuf>) -> Self {
        self.file = file;
        self
    }

    /// Attaches a line.
    pub fn at_line(mut self, line: Option<usize>) -> Self {
        self.line = line;
        self
    }

    /// Attaches a step name.
    pub fn for_step(mut self, step: &str) -> Self {
        self.step = Some(step.to_string());
        self
    }

    /// Makes it a warning.
    pub fn as_warning(mut self) -> Self {
        self.severity = Severity::Warning;
        self
    }

    /// Sets the kind.
    pub fn of_kind(mut self, kind: ProblemKind) -> Self {
        self.kind = kind;
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.kind == ProblemKind::MissingDependency {
            // The line keeps the shape SPEC R6 fixes; where it is comes last.
            f.write_str(&self.message)?;
            return match (&self.file, self.line) {
                (Some(file), Some(line)) => write!(f, " ({}:{line})", file.display()),
                (Some(file), None) => write!(f, " ({})", file.display()),
                _ => Ok(()),
            };
        }
        match (&self.file, self.line) {
            (Some(file), Some(line)) => write!(f, "{}:{}: ", file.display(), line)?,
            (Some(file), None) => write!(f, "{}: ", file.display())?,
            _ => {}
        }
        if let Some(step) = &self.step {
            write!(f, "step '{step}': ")?;
        }
        f.write_str(&self.message)
    }
}

/// What sort of failure ended a step's try.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StepErrorKind {
    /// A template of the step (input, configuration, output) failed to render.
    Template,
    /// The provider refused its configuration (`create` failed).
    Configuration,
    /// The provider call failed: an error from `call`, or a failed result.
    Provider,
    /// The provider panicked.
    Panic,
    /// The try ran out of time.
    Timeout,
    /// An output could not be picked from the result.
    Output,
    /// The run was cancelled while the step ran.
    Cancelled,
}

impl StepErrorKind {
    /// True for failures another try could change: a failed or panicking
    /// provider call and a timeout (SPEC R25). A template, configuration or
    /// output error would fail the same way again.
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            StepErrorKind::Provider | StepErrorKind::Panic | StepErrorKind::Timeout
        )
    }

    /// True for failures of the provider's call itself (counted by
    /// `flowtoy_provider_failures_total`): a rejected configuration, an
    /// error or failed result, a panic, a timeout.
    pub fn is_provider_failure(self) -> bool {
        self.is_retryable() || self == StepErrorKind::Configuration
    }
}

/// Why a step failed: a kind and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepError {
    /// What sort of failure.
    pub kind: StepErrorKind,
    /// What happened, for people (secret values masked when recorded).
    pub message: String,
}

impl StepError {
    /// A step error of `kind`.
    pub fn new(kind: StepErrorKind, message: impl Into<String>) -> Self {
        StepError {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StepError {}

/// Everything that can go wrong in the engine outside a step.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FlowError {
    /// The configuration is invalid; every problem found is listed, with
    /// the warnings found on the way (which the message leaves out: show
    /// them with [`FlowError::warnings`]).
    #[error("{}", render_problems(.0))]
    Config(Vec<Problem>),
    /// The run could not be started or carried on (not a step failure).
    #[error("{0}")]
    Run(String),
}

impl FlowError {
    /// A configuration error with one problem.
    pub fn config(problem: Problem) -> Self {
        FlowError::Config(vec![problem])
    }

    /// True for errors that are the user's configuration (exit code 2).
    pub fn is_config(&self) -> bool {
        matches!(self, FlowError::Config(_))
    }

    /// The problems of a configuration error, warnings included (empty for
    /// other errors).
    pub fn problems(&self) -> &[Problem] {
        match self {
            FlowError::Config(problems) => problems,
            FlowError::Run(_) => &[],
        }
    }

    /// The errors of a configuration error (its problems less warnings).
    pub fn errors(&self) -> impl Iterator<Item = &Problem> {
        self.problems().iter().filter(|p| !p.is_warning())
    }

    /// The warnings found on the way to a configuration error.
    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.problems().iter().filter(|p| p.is_warning())
    }
}

/// Formats the errors among `problems` the way the CLI prints them: general
/// problems first, then the missing-dependency block in the shape SPEC R6
/// fixes. Warnings are left out.
pub fn render_problems(problems: &[Problem]) -> String {
    let (deps, mut general): (Vec<&Problem>, Vec<&Problem>) = problems
        .iter()
        .filter(|p| !p.is_warning())
        .partition(|p| p.kind == ProblemKind::MissingDependency);
    // In file order; file-wide problems (no line) first.
    general.sort_by_key(|p| (p.file.clone(), p.line));
    let mut out = String::new();
    if !general.is_empty() {
        let noun = if general.len() == 1 {
            "problem"
        } else {
            "problems"
        };
        out.push_str(&format!(
            "Flow configuration has {} {noun}:\n",
            general.len()
        ));
        for p in &general {
            out.push_str(&format!("  - {p}\n"));
        }
    }
    if !deps.is_empty() {
        out.push_str("Flow configuration has invalid dependencies:\n");
        for p in &deps {
            out.push_str(&format!("  - {p}\n"));
        }
    }
    out.truncate(out.trim_end().len());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_render_with_location_and_dependency_block() {
        let dep = Problem::new(
            ProblemKind::MissingDependency,
            "Step 'step2' depends on missing step(s): 'missing1', 'missing2'",
        );
        let general = Problem::new(ProblemKind::Shape, "unknown on_error 'boom'")
            .in_file(Some("f.yaml".into()))
            .at_line(Some(3))
            .for_step("a");
        let text = FlowError::Config(vec![dep, general]).to_string();
        assert_eq!(
            text,
            "Flow configuration has 1 problem:\n  - f.yaml:3: step 'a': unknown on_error 'boom'\n\
             Flow configuration has invalid dependencies:\n  - Step 'step2' depends on missing step(s): 'missing1', 'missing2'"
        );
    }

    #[test]
    fn only_provider_failures_and_timeouts_are_retryable() {
        use StepErrorKind::*;
        let retryable: Vec<_> = [
            Template,
            Configuration,
            Provider,
            Panic,
            Timeout,
            Output,
            Cancelled,
        ]
        .into_iter()
        .filter(|k| k.is_retryable())
        .collect();
        assert_eq!(retryable, [Provider, Panic, Timeout]);
    }
}
