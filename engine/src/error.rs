//! Errors of the engine, each carrying where it happened.

use std::fmt;
use std::path::PathBuf;

/// One problem found in a configuration, with as much location as is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The file the problem is in, when known.
    pub file: Option<PathBuf>,
    /// 1-based line in that file, when known.
    pub line: Option<usize>,
    /// The step concerned, if any.
    pub step: Option<String>,
    /// What is wrong and what to do.
    pub message: String,
    /// Missing-dependency problems are listed in their own block (SPEC R6).
    pub missing_deps: bool,
}

impl Problem {
    /// A problem with a message and no location yet.
    pub fn new(message: impl Into<String>) -> Self {
        Problem {
            file: None,
            line: None,
            step: None,
            message: message.into(),
            missing_deps: false,
        }
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
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.missing_deps {
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

/// Everything that can go wrong in the engine.
#[derive(Debug, thiserror::Error)]
pub enum FlowError {
    /// The configuration is invalid; every problem found is listed.
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
}

/// Formats problems the way the CLI prints them: general problems first, then
/// the missing-dependency block in the shape SPEC R6 fixes.
pub fn render_problems(problems: &[Problem]) -> String {
    let (deps, mut general): (Vec<&Problem>, Vec<&Problem>) =
        problems.iter().partition(|p| p.missing_deps);
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
        let mut dep =
            Problem::new("Step 'step2' depends on missing step(s): 'missing1', 'missing2'");
        dep.missing_deps = true;
        let general = Problem::new("unknown on_error 'boom'")
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
}
