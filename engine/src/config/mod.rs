//! Configuration: loading and merging YAML files (SPEC R1), the typed model
//! (R2–R5), and validation that reports every problem at once (R6).
//!
//! ```no_run
//! let config = flowtoy::config::load_yaml_files(&["base.yaml", "override.yaml"])?;
//! println!("{} steps", config.flow().len());
//! # Ok::<(), flowtoy::FlowError>(())
//! ```

mod builder;
mod control;
mod fields;
mod graph;
mod load;
mod model;
mod placement;
mod validate;
mod yaml;

pub use control::{strip_braces, ExecutorDef, Foreach, RetryPolicy, StepControl};
pub use graph::{EdgeKind, Graph};
pub use load::{deep_merge, parse_yaml, LoadedFile};
pub use model::{
    InputSpec, OnError, OutputKind, OutputSpec, PluginsConfig, RunnerConfig, SourceDef, SourceRef,
    StepDef,
};
pub use validate::Compiled;
pub use yaml::Lines;

use crate::error::{FlowError, Problem, ProblemKind};
use crate::registry::ProviderRegistry;
use builder::{ModelBuilder, Origins};
use indexmap::IndexMap;
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The parts of a configuration as read: the typed model before validation.
#[derive(Debug, Clone)]
struct Model {
    sources: IndexMap<String, SourceDef>,
    flow: Vec<StepDef>,
    runner: RunnerConfig,
    plugins: PluginsConfig,
    files: Vec<PathBuf>,
    warnings: Vec<Problem>,
}

/// A validated configuration: read, merged, checked against the provider
/// types of its registry, templates and expressions compiled, dependency
/// graph built. Only [`RawConfig::compile`] (through the
/// [`Loader`](crate::loader::Loader)) makes one, and nothing can change it
/// afterwards, so it always agrees with its graph. It is what a
/// [`LocalRunner`](crate::runner::LocalRunner) runs.
#[derive(Debug, Clone)]
pub struct Config {
    model: Arc<Model>,
    compiled: Arc<Compiled>,
    registry: Arc<ProviderRegistry>,
}

impl Config {
    /// Named provider configurations.
    pub fn sources(&self) -> &IndexMap<String, SourceDef> {
        &self.model.sources
    }

    /// The steps, in file order.
    pub fn flow(&self) -> &[StepDef] {
        &self.model.flow
    }

    /// The `runner` section.
    pub fn runner(&self) -> &RunnerConfig {
        &self.model.runner
    }

    /// The `plugins` section.
    pub fn plugins(&self) -> &PluginsConfig {
        &self.model.plugins
    }

    /// The files it was merged from, in order.
    pub fn files(&self) -> &[PathBuf] {
        &self.model.files
    }

    /// Non-fatal findings (unknown keys, plugin libraries that did not load,
    /// ...), each with where it is.
    pub fn warnings(&self) -> impl Iterator<Item = &Problem> {
        self.model.warnings.iter().chain(&self.registry.warnings)
    }

    /// The provider types it was checked against, and will run with.
    pub fn registry(&self) -> &ProviderRegistry {
        &self.registry
    }

    /// The dependency graph (steps by index in file order).
    pub fn graph(&self) -> &Graph {
        &self.compiled.graph
    }

    /// What validation compiled.
    pub(crate) fn compiled(&self) -> &Compiled {
        &self.compiled
    }

    /// The source step `step` calls, after resolving names and overrides
    /// (R5), before its templates are rendered. `None` for an index past the
    /// last step.
    pub fn resolved_source(&self, step: usize) -> Option<&SourceDef> {
        self.compiled.resolved.get(step).map(Arc::as_ref)
    }

    /// Each step with its resolved source, in file order.
    pub fn steps_with_sources(&self) -> impl Iterator<Item = (&StepDef, &SourceDef)> {
        self.model
            .flow
            .iter()
            .zip(self.compiled.resolved.iter().map(Arc::as_ref))
    }

    /// Where step `step` runs (R34): in this process, or through a remote
    /// executor. Local for an index past the last step.
    pub fn placement(&self, step: usize) -> &crate::executor::Placement {
        static LOCAL: crate::executor::Placement = crate::executor::Placement::Local;
        self.compiled.placements.get(step).unwrap_or(&LOCAL)
    }

    /// The failure policy of step `step` (R4: its own, else the runner's,
    /// else `fail`).
    pub fn policy(&self, step: usize) -> OnError {
        self.model
            .flow
            .get(step)
            .and_then(|s| s.on_error)
            .or(self.model.runner.on_error)
            .unwrap_or(OnError::Fail)
    }
}

/// A configuration that has been read and merged but not validated: the step
/// between the files and a [`Config`]. It cannot run; [`RawConfig::compile`]
/// (or a [`Loader`](crate::loader::Loader), which loads its plugin
/// directories first) turns it into a [`Config`] or reports every problem.
#[derive(Debug)]
pub struct RawConfig {
    model: Model,
    problems: Vec<Problem>,
}

impl RawConfig {
    /// Reads and merges `paths` left to right. Unreadable files and YAML
    /// syntax errors of every file are reported together.
    pub fn load<P: AsRef<Path>>(paths: &[P]) -> Result<RawConfig, FlowError> {
        if paths.is_empty() {
            return Err(FlowError::config(Problem::new(
                ProblemKind::Read,
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
        Ok(RawConfig::from_files(files))
    }

    /// Reads `text` as if it were the content of a file called `name` (used
    /// in problems); nothing is read from disk. For embedding and fuzzing.
    pub fn from_text(name: &str, text: &str) -> Result<RawConfig, FlowError> {
        let file = load::from_text(Path::new(name), text).map_err(FlowError::config)?;
        Ok(RawConfig::from_files(vec![file]))
    }

    /// Merges files already read, left to right.
    fn from_files(files: Vec<LoadedFile>) -> RawConfig {
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
        let model = Model {
            sources: builder.sources(root.get("sources")),
            flow: builder.flow(root.get("flow"), read_steps.unwrap_or_default()),
            runner: builder.runner(root.get("runner")),
            plugins: builder.plugins(root.get("plugins")),
            files: paths,
            warnings: std::mem::take(&mut builder.warnings),
        };
        RawConfig {
            model,
            problems: builder.problems,
        }
    }

    /// The `plugins` section as read (its directories are loaded before
    /// validation, so unknown provider types are reported with the rest).
    pub fn plugins(&self) -> &PluginsConfig {
        &self.model.plugins
    }

    /// The steps as read.
    pub fn flow(&self) -> &[StepDef] {
        &self.model.flow
    }

    /// Warnings found while reading.
    pub fn warnings(&self) -> &[Problem] {
        &self.model.warnings
    }

    /// Checks everything that can be checked without running a step against
    /// the provider types of `registry`, and compiles templates and
    /// expressions. Every problem is reported at once, together with those
    /// found while reading and `more` (e.g. plugin directories that cannot be
    /// read).
    pub fn compile(
        self,
        registry: ProviderRegistry,
        mut more: Vec<Problem>,
    ) -> Result<Config, FlowError> {
        let RawConfig {
            model,
            mut problems,
        } = self;
        problems.append(&mut more);
        match validate::compile(&model, &registry) {
            Ok(compiled) if problems.is_empty() => {
                return Ok(Config {
                    model: Arc::new(model),
                    compiled: Arc::new(compiled),
                    registry: Arc::new(registry),
                })
            }
            Ok(_) => {}
            Err(more) => problems.extend(more),
        }
        // Warnings travel with the errors: an unknown key is often the
        // reason for an error.
        problems.extend(model.warnings);
        problems.extend(registry.warnings);
        Err(FlowError::Config(problems))
    }
}

/// Loads and validates a configuration given as YAML text; `name` stands for
/// the file in problems. Provider types are checked against the built-ins
/// and the plugins of `FLOWTOY_PLUGIN_PATH` and `plugins.dirs` (see
/// [`Loader`](crate::loader::Loader)).
///
/// ```
/// let config = flowtoy::config::load_yaml_str("f.yaml", "flow:\n  - {name: a, source: env}\n")?;
/// assert_eq!(config.flow()[0].name, "a");
/// # Ok::<(), flowtoy::FlowError>(())
/// ```
pub fn load_yaml_str(name: &str, text: &str) -> Result<Config, FlowError> {
    crate::loader::Loader::new().load_str(name, text)
}

/// Loads, merges (later files win) and validates configuration files, with
/// the built-in providers and the plugins of `FLOWTOY_PLUGIN_PATH` and
/// `plugins.dirs` (see [`Loader`](crate::loader::Loader)).
pub fn load_yaml_files<P: AsRef<Path>>(paths: &[P]) -> Result<Config, FlowError> {
    crate::loader::Loader::new().load(paths)
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
        let draft = RawConfig::from_text("f.yaml", FLOW).unwrap();
        assert_eq!(draft.model.flow.len(), 2);
        assert_eq!(draft.model.flow[1].line, Some(8));
        assert_eq!(draft.problems.len(), 1, "{:?}", draft.problems);
        assert_eq!(draft.problems[0].line, Some(7));
        assert_eq!(draft.model.warnings.len(), 1);
        // Tags the reader resolves itself: the same steps.
        let tagged = FLOW.replace("name: b", "name: !!str b");
        let tagged = RawConfig::from_text("f.yaml", &tagged).unwrap();
        assert_eq!(tagged.model.flow, draft.model.flow);
        assert_eq!(tagged.problems, draft.problems);
        assert_eq!(tagged.model.warnings, draft.model.warnings);
    }

    #[test]
    fn a_flow_that_is_an_alias_keeps_its_steps() {
        let text = "shared: &steps\n  - {name: a, source: env}\n  - {name: b, source: env}\nflow: *steps\n";
        let draft = RawConfig::from_text("f.yaml", text).unwrap();
        let names: Vec<&str> = draft.model.flow.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        // Their problems point at the alias.
        assert_eq!(draft.model.flow[1].line, Some(4));
        // Items that are aliases are read like any other item.
        let text = "base: &a {name: a, source: env}\nflow:\n  - *a\n  - {name: b, source: env}\n";
        let draft = RawConfig::from_text("f.yaml", text).unwrap();
        assert_eq!(draft.model.flow.len(), 2);
        assert_eq!(draft.model.flow[0].name, "a");
    }

    #[test]
    fn a_later_files_flow_replaces_the_steps_read_from_an_earlier_one() {
        let dir = tempfile::tempdir().unwrap();
        let first = dir.path().join("first.yaml");
        let second = dir.path().join("second.yaml");
        std::fs::write(&first, FLOW).unwrap();
        std::fs::write(&second, "flow:\n  - {name: c, source: home}\n").unwrap();
        let draft = RawConfig::load(&[&first, &second]).unwrap();
        let names: Vec<&str> = draft.model.flow.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["c"]);
        assert_eq!(draft.model.flow[0].file.as_deref(), Some(second.as_path()));
        assert!(draft.problems.is_empty(), "{:?}", draft.problems);
        let draft = RawConfig::load(&[&second, &first]).unwrap();
        assert_eq!(draft.model.flow.len(), 2);
    }
}
