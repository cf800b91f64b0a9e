//! Configuration: loading and merging YAML files (SPEC R1), the typed model
//! (R2–R5), and validation that reports every problem at once (R6).
//!
//! ```no_run
//! let config = flowtoy::config::load_yaml_files(&["base.yaml", "override.yaml"])?;
//! println!("{} steps", config.flow.len());
//! # Ok::<(), flowtoy::FlowError>(())
//! ```

mod load;
mod model;
mod validate;
mod yaml;

pub use load::{deep_merge, parse_yaml, LoadedFile};
pub use model::{
    InputSpec, OnError, OutputKind, OutputSpec, PluginsConfig, RunnerConfig, SourceDef, SourceRef,
    StepDef,
};
pub use validate::Compiled;
pub use yaml::Lines;

use crate::error::{FlowError, Problem};
use crate::registry::ProviderRegistry;
use indexmap::IndexMap;
use model::{ModelBuilder, Origins};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A loaded, merged and validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Named provider configurations.
    pub sources: IndexMap<String, SourceDef>,
    /// The steps, in file order.
    pub flow: Vec<StepDef>,
    /// The `runner` section.
    pub runner: RunnerConfig,
    /// The `plugins` section.
    pub plugins: PluginsConfig,
    /// The files it was merged from, in order.
    pub files: Vec<PathBuf>,
    /// Non-fatal findings (unknown keys, ...).
    pub warnings: Vec<String>,
    /// Templates, JMESPath expressions, resolved sources and the graph.
    pub(crate) compiled: Arc<Compiled>,
}

impl Config {
    /// The dependency graph (steps by index in file order).
    pub fn graph(&self) -> &crate::graph::Graph {
        &self.compiled.graph
    }

    /// The source a step calls, after resolving names and overrides (R5),
    /// before its templates are rendered.
    pub fn resolved_source(&self, step: usize) -> &SourceDef {
        &self.compiled.resolved[step]
    }

    /// The index of the step called `name`.
    pub fn step_index(&self, name: &str) -> Option<usize> {
        self.flow.iter().position(|s| s.name == name)
    }
}

/// A configuration that has been read and merged but not validated yet: the
/// step between the files and a [`Config`]. Its plugin directories can be
/// loaded before validation, so unknown provider types are reported together
/// with every other problem.
#[derive(Debug)]
pub struct Draft {
    /// The model as read (not validated).
    pub config: Config,
    problems: Vec<Problem>,
}

impl Draft {
    /// Reads and merges `paths` left to right. Unreadable files and YAML
    /// syntax errors of every file are reported together.
    pub fn load<P: AsRef<Path>>(paths: &[P]) -> Result<Draft, FlowError> {
        if paths.is_empty() {
            return Err(FlowError::config(Problem::new(
                "no configuration file given: name one or more YAML files",
            )));
        }
        let mut files = Vec::new();
        let mut problems = Vec::new();
        for p in paths {
            match load::read_file(p.as_ref()) {
                Ok(f) => files.push(f),
                Err(problem) => problems.push(problem),
            }
        }
        if !problems.is_empty() {
            return Err(FlowError::Config(problems));
        }
        Ok(Draft::from_files(files))
    }

    /// Reads `text` as if it were the content of a file called `name` (used
    /// in problems); nothing is read from disk. For embedding and fuzzing.
    pub fn from_text(name: &str, text: &str) -> Result<Draft, FlowError> {
        let file = load::from_text(Path::new(name), text).map_err(FlowError::config)?;
        Ok(Draft::from_files(vec![file]))
    }

    /// Merges files already read, left to right.
    fn from_files(files: Vec<LoadedFile>) -> Draft {
        let mut origins = Origins::default();
        let mut read_steps = None;
        let mut merged = Value::Object(Map::new());
        let paths: Vec<PathBuf> = files.iter().map(|f| f.path.clone()).collect();
        for f in files {
            origins.note(&f.path, &f.lines);
            if f.value.get("flow").is_some() {
                origins.flow_file = Some(f.path.clone());
                read_steps = f.steps;
            }
            if f.value.get("plugins").and_then(|p| p.get("dirs")).is_some() {
                origins.plugins_file = Some(f.path);
            }
            deep_merge(&mut merged, f.value);
        }
        if origins.flow_file.is_none() {
            origins.flow_file = paths.last().cloned();
        }
        let root = match merged {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        let mut builder = ModelBuilder::new(&origins);
        builder.check_top_level(&root);
        let config = Config {
            sources: builder.sources(root.get("sources")),
            flow: builder.flow(root.get("flow"), read_steps.unwrap_or_default()),
            runner: builder.runner(root.get("runner")),
            plugins: builder.plugins(root.get("plugins")),
            files: paths,
            warnings: std::mem::take(&mut builder.warnings),
            compiled: Arc::new(Compiled::default()),
        };
        Draft {
            config,
            problems: builder.problems,
        }
    }

    /// Checks everything that can be checked without running a step and
    /// compiles templates and expressions. With a registry, provider types are
    /// checked too. Every problem is reported at once.
    pub fn validate(self, registry: Option<&ProviderRegistry>) -> Result<Config, FlowError> {
        let Draft {
            mut config,
            mut problems,
        } = self;
        match validate::compile(&config, registry) {
            Ok(compiled) if problems.is_empty() => {
                config.compiled = Arc::new(compiled);
                Ok(config)
            }
            Ok(_) => Err(FlowError::Config(problems)),
            Err(more) => {
                problems.extend(more);
                Err(FlowError::Config(problems))
            }
        }
    }
}

/// Loads and validates a configuration given as YAML text; `name` stands for
/// the file in problems. Provider types are not checked (as in
/// [`load_yaml_files`]).
///
/// ```
/// let config = flowtoy::config::load_yaml_str("f.yaml", "flow:\n  - {name: a, source: env}\n")?;
/// assert_eq!(config.flow[0].name, "a");
/// # Ok::<(), flowtoy::FlowError>(())
/// ```
pub fn load_yaml_str(name: &str, text: &str) -> Result<Config, FlowError> {
    Draft::from_text(name, text)?.validate(None)
}

/// Loads, merges (later files win) and validates configuration files. Provider
/// types are checked when a runner is made, against its registry.
pub fn load_yaml_files<P: AsRef<Path>>(paths: &[P]) -> Result<Config, FlowError> {
    Draft::load(paths)?.validate(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLOW: &str = "\
sources:
  home: {type: env}
flow:
  - name: a
    source: home
    extra: 1
  - 5
  - name: b
    source: {type: env}
    depends_on: [a]
";

    #[test]
    fn steps_are_read_with_their_lines_problems_and_warnings() {
        let draft = Draft::from_text("f.yaml", FLOW).unwrap();
        assert_eq!(draft.config.flow.len(), 2);
        assert_eq!(draft.config.flow[1].line, Some(8));
        assert_eq!(draft.problems.len(), 1, "{:?}", draft.problems);
        assert_eq!(draft.problems[0].line, Some(7));
        assert_eq!(draft.config.warnings.len(), 1);
        // Tags the reader resolves itself: the same steps.
        let tagged = FLOW.replace("name: b", "name: !!str b");
        let tagged = Draft::from_text("f.yaml", &tagged).unwrap();
        assert_eq!(tagged.config.flow, draft.config.flow);
        assert_eq!(tagged.problems, draft.problems);
        assert_eq!(tagged.config.warnings, draft.config.warnings);
    }

    #[test]
    fn a_flow_that_is_an_alias_keeps_its_steps() {
        let text = "shared: &steps\n  - {name: a, source: env}\n  - {name: b, source: env}\nflow: *steps\n";
        let draft = Draft::from_text("f.yaml", text).unwrap();
        let names: Vec<&str> = draft.config.flow.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        // Their problems point at the alias.
        assert_eq!(draft.config.flow[1].line, Some(4));
        // Items that are aliases are read like any other item.
        let text = "base: &a {name: a, source: env}\nflow:\n  - *a\n  - {name: b, source: env}\n";
        let draft = Draft::from_text("f.yaml", text).unwrap();
        assert_eq!(draft.config.flow.len(), 2);
        assert_eq!(draft.config.flow[0].name, "a");
    }

    #[test]
    fn a_later_files_flow_replaces_the_steps_read_from_an_earlier_one() {
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join("first.yaml");
        let second = dir.path().join("second.yaml");
        std::fs::write(&first, FLOW).unwrap();
        std::fs::write(&second, "flow:\n  - {name: c, source: home}\n").unwrap();
        let draft = Draft::load(&[&first, &second]).unwrap();
        let names: Vec<&str> = draft.config.flow.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["c"]);
        assert_eq!(draft.config.flow[0].file.as_deref(), Some(second.as_path()));
        assert!(draft.problems.is_empty(), "{:?}", draft.problems);
        let draft = Draft::load(&[&second, &first]).unwrap();
        assert_eq!(draft.config.flow.len(), 2);
    }
}
