//! Building the typed model from the merged value (SPEC R2–R5, R9, R12):
//! leniently, every shape problem collected at its file and line.

use super::control::{step_control, STEP_KEYS};
use super::fields::{input_spec, output_spec};
use super::model::{
    InputSpec, OnError, PluginsConfig, RunnerConfig, SourceDef, SourceRef, StepDef,
};
use super::yaml::Lines;
use crate::config::load::kind_of;
use crate::error::{Problem, ProblemKind};
use indexmap::IndexMap;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Where each part of the merged value came from.
#[derive(Debug, Clone, Default)]
pub struct Origins {
    /// The file whose `flow` list won the merge.
    pub flow_file: Option<PathBuf>,
    /// The file whose `plugins.dirs` won the merge.
    pub plugins_file: Option<PathBuf>,
    /// Each top-level key: the last file that wrote it, and the line there.
    pub top: HashMap<String, (PathBuf, usize)>,
    /// Each source's name: the last file that wrote it, and the line there.
    pub sources: HashMap<String, (PathBuf, usize)>,
}

impl Origins {
    /// Notes where `file`'s top-level keys and sources stand (later files win).
    pub fn note(&mut self, file: &Path, lines: &Lines) {
        for (key, line) in &lines.top {
            self.top.insert(key.clone(), (file.to_path_buf(), *line));
        }
        for (name, line) in &lines.sources {
            self.sources
                .insert(name.clone(), (file.to_path_buf(), *line));
        }
    }
}

/// The steps of one file's `flow` list, read item by item while the file was
/// parsed (so the items' values never had to be kept), with what reading
/// them found.
#[derive(Debug, Clone, Default)]
pub struct ReadSteps {
    /// The steps, in file order (entries that are no step are left out).
    pub steps: Vec<StepDef>,
    /// Problems found in them.
    pub problems: Vec<Problem>,
    /// Unknown fields and similar.
    pub warnings: Vec<Problem>,
}

/// Builds the typed parts from the merged value, pushing every problem found.
pub struct ModelBuilder<'a> {
    /// Collected problems.
    pub problems: Vec<Problem>,
    /// Unknown top-level keys and similar.
    pub warnings: Vec<Problem>,
    origins: &'a Origins,
}

const TOP_LEVEL_KEYS: [&str; 4] = ["sources", "flow", "runner", "plugins"];

impl<'a> ModelBuilder<'a> {
    /// A builder that locates problems with `origins`.
    pub fn new(origins: &'a Origins) -> Self {
        ModelBuilder {
            problems: Vec::new(),
            warnings: Vec::new(),
            origins,
        }
    }

    /// A problem with the top-level `key`, at the line where it is written
    /// (in the flow's file when it is not written at all).
    fn top_problem(&mut self, key: &str, message: String) {
        let problem = self.located(self.origins.top.get(key), message);
        self.problems.push(problem);
    }

    /// A problem at `place` (file and line), or in the flow's file.
    fn located(&self, place: Option<&(PathBuf, usize)>, message: String) -> Problem {
        match place {
            Some((file, line)) => Problem::new(ProblemKind::Shape, message)
                .in_file(Some(file.clone()))
                .at_line(Some(*line)),
            None => {
                Problem::new(ProblemKind::Shape, message).in_file(self.origins.flow_file.clone())
            }
        }
    }

    /// Warns about unknown top-level keys.
    pub fn check_top_level(&mut self, root: &Map<String, Value>) {
        for key in root.keys() {
            if !TOP_LEVEL_KEYS.contains(&key.as_str()) {
                let hint = TOP_LEVEL_KEYS
                    .iter()
                    .find(|k| similar(k, key))
                    .map(|k| format!(" (did you mean `{k}`?)"))
                    .unwrap_or_default();
                let warning = self.located(
                    self.origins.top.get(key),
                    format!(
                        "unknown top-level key `{key}` is ignored{hint}; known keys: sources, flow, runner, plugins"
                    ),
                );
                self.warnings
                    .push(warning.of_kind(ProblemKind::UnknownKey).as_warning());
            }
        }
    }

    /// Reads `sources`.
    pub fn sources(&mut self, value: Option<&Value>) -> IndexMap<String, SourceDef> {
        let mut out = IndexMap::new();
        match value {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => {
                for (name, def) in m {
                    match self.source_def(def) {
                        Ok(d) => {
                            out.insert(name.clone(), d);
                        }
                        Err(msg) => {
                            let message = format!("source '{name}': {msg}");
                            let problem = self.located(self.origins.sources.get(name), message);
                            self.problems.push(problem);
                        }
                    }
                }
            }
            Some(other) => self.top_problem(
                "sources",
                format!(
                    "`sources` must be a mapping of names to sources, not {}",
                    kind_of(other)
                ),
            ),
        }
        out
    }

    fn source_def(&self, def: &Value) -> Result<SourceDef, String> {
        let m = def.as_object().ok_or_else(|| {
            format!(
                "must be a mapping {{type, configuration}}, not {}",
                kind_of(def)
            )
        })?;
        let type_name = match m.get("type") {
            Some(Value::String(t)) if !t.is_empty() => t.clone(),
            Some(Value::String(_)) => {
                return Err("`type` is empty: name the provider, e.g. `type: rest`".into())
            }
            Some(other) => {
                return Err(format!(
                    "`type` must be a provider name, not {}",
                    kind_of(other)
                ))
            }
            None => return Err("`type` is required (the provider, e.g. `type: rest`)".into()),
        };
        let configuration = match m.get("configuration") {
            None | Some(Value::Null) => Value::Object(Map::new()),
            Some(v @ Value::Object(_)) => v.clone(),
            Some(other) => {
                return Err(format!(
                    "`configuration` must be a mapping, not {}",
                    kind_of(other)
                ))
            }
        };
        let max_concurrency = match m.get("max_concurrency") {
            None | Some(Value::Null) => None,
            Some(v) => Some(super::control::count("max_concurrency", v)?),
        };
        Ok(SourceDef {
            type_name,
            configuration,
            max_concurrency,
        })
    }

    /// Reads `runner`.
    pub fn runner(&mut self, value: Option<&Value>) -> RunnerConfig {
        let mut cfg = RunnerConfig::default();
        let m = match value {
            None | Some(Value::Null) => return cfg,
            Some(Value::Object(m)) => m,
            Some(other) => {
                self.top_problem(
                    "runner",
                    format!("`runner` must be a mapping, not {}", kind_of(other)),
                );
                return cfg;
            }
        };
        match m.get("max_workers") {
            None | Some(Value::Null) => {}
            Some(v) => match v.as_u64().filter(|n| *n >= 1) {
                Some(n) => cfg.max_workers = Some(n as usize),
                None => self.top_problem(
                    "runner",
                    format!("runner.max_workers must be an integer of 1 or more, not {v}"),
                ),
            },
        }
        match m.get("on_error") {
            None | Some(Value::Null) => {}
            Some(v) => match v.as_str().and_then(OnError::parse) {
                Some(p) => cfg.on_error = Some(p),
                None => self.top_problem(
                    "runner",
                    format!("runner.on_error must be fail, skip or continue, not {v}"),
                ),
            },
        }
        let mut problems = Vec::new();
        if let Some(v) = m.get("retry").filter(|v| !v.is_null()) {
            cfg.retry = super::control::retry("runner.retry", v, &mut problems);
        }
        if let Some(v) = m.get("timeout").filter(|v| !v.is_null()) {
            match super::control::seconds("runner.timeout", v) {
                Ok(s) => cfg.timeout = Some(s),
                Err(msg) => problems.push(msg),
            }
        }
        if let Some(v) = m.get("executor").filter(|v| !v.is_null()) {
            cfg.executor = super::control::executor("runner.executor", v, &mut problems);
        }
        for msg in problems {
            self.top_problem("runner", msg);
        }
        cfg
    }

    /// Reads `plugins.dirs`, resolving relative paths against the file that names them.
    pub fn plugins(&mut self, value: Option<&Value>) -> PluginsConfig {
        let mut cfg = PluginsConfig {
            listed_in: self.origins.plugins_file.clone().map(|file| {
                let line = self.origins.top.get("plugins").map(|(_, line)| *line);
                (file, line)
            }),
            ..PluginsConfig::default()
        };
        let dirs = match value {
            None | Some(Value::Null) => return cfg,
            Some(Value::Object(m)) => m.get("dirs"),
            Some(other) => {
                self.top_problem(
                    "plugins",
                    format!(
                        "`plugins` must be a mapping with `dirs`, not {}",
                        kind_of(other)
                    ),
                );
                return cfg;
            }
        };
        let base = self
            .origins
            .plugins_file
            .as_ref()
            .and_then(|f| f.parent())
            .map(|p| p.to_path_buf())
            .unwrap_or_default();
        match dirs {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                for item in items {
                    match item.as_str() {
                        Some(d) => cfg.dirs.push(base.join(d)),
                        None => self.top_problem(
                            "plugins",
                            format!("plugins.dirs entries must be paths, not {item}"),
                        ),
                    }
                }
            }
            Some(other) => self.top_problem(
                "plugins",
                format!(
                    "plugins.dirs must be a list of directories, not {}",
                    kind_of(other)
                ),
            ),
        }
        cfg
    }

    /// Takes the steps of `flow` as they were read while their file was
    /// parsed ([`ReadSteps`]); `value`, the merged `flow` (whose items are
    /// nulls), is only checked for its shape.
    pub fn flow(&mut self, value: Option<&Value>, read: ReadSteps) -> Vec<StepDef> {
        if self.flow_items(value).is_none() {
            return Vec::new();
        }
        self.problems.extend(read.problems);
        self.warnings.extend(read.warnings);
        read.steps
    }

    /// The items of `flow`, or `None` (with the problem noted) when it is
    /// missing or not a list.
    fn flow_items<'v>(&mut self, value: Option<&'v Value>) -> Option<&'v Vec<Value>> {
        let items = match value {
            None | Some(Value::Null) => {
                self.top_problem(
                    "flow",
                    "there is no `flow`: add a list of steps under `flow:`".into(),
                );
                return None;
            }
            Some(Value::Array(items)) => items,
            Some(other) => {
                self.top_problem(
                    "flow",
                    format!("`flow` must be a list of steps, not {}", kind_of(other)),
                );
                return None;
            }
        };
        if items.is_empty() {
            self.top_problem("flow", "`flow` is empty: add at least one step".into());
        }
        Some(items)
    }

    /// Reads item `index` of `flow` (written at `line` of the flow's file).
    pub fn step(&mut self, index: usize, item: Value, line: Option<usize>) -> Option<StepDef> {
        let file = self.origins.flow_file.clone();
        let m = match item {
            Value::Object(m) => m,
            other => {
                self.problems.push(
                    Problem::new(
                        ProblemKind::Shape,
                        format!(
                            "flow entry #{} must be a mapping with name and source, not {}",
                            index + 1,
                            kind_of(&other)
                        ),
                    )
                    .in_file(file)
                    .at_line(line),
                );
                return None;
            }
        };
        // One pass over the item's fields, in order: their values move
        // into the step instead of being copied.
        let mut fields = StepFields::default();
        for (key, value) in m {
            let slot = match key.as_str() {
                "name" => &mut fields.name,
                "source" => &mut fields.source,
                "input" => &mut fields.input,
                "output" => &mut fields.output,
                "depends_on" => &mut fields.depends_on,
                "on_error" => &mut fields.on_error,
                k if STEP_KEYS.contains(&k) => {
                    fields.control.insert(key, value);
                    continue;
                }
                _ => {
                    fields.unknown.push(key);
                    continue;
                }
            };
            *slot = Some(value);
        }
        let name = match fields.name {
            Some(Value::String(n)) if !n.is_empty() => n,
            Some(Value::Number(n)) => n.to_string(),
            other => {
                let what = match other {
                    None | Some(Value::Null) => "has no `name`".to_string(),
                    Some(Value::String(_)) => "has an empty `name`".to_string(),
                    Some(v) => format!("has a `name` that is {}, not a string", kind_of(&v)),
                };
                self.problems.push(
                    Problem::new(
                        ProblemKind::Shape,
                        format!(
                            "flow entry #{} {what} (every step needs a unique name)",
                            index + 1
                        ),
                    )
                    .in_file(file)
                    .at_line(line),
                );
                return None;
            }
        };
        let mut step = StepDef {
            name,
            source: SourceRef::Named(String::new()),
            input: InputSpec::None,
            output: Vec::new(),
            depends_on: Vec::new(),
            on_error: None,
            run_control: None,
            file,
            line,
        };
        let mut problems = Vec::new();
        for key in fields.unknown {
            self.warnings.push(
                Problem::warning(
                    ProblemKind::UnknownKey,
                    format!("unknown field `{key}` is ignored"),
                )
                .in_file(step.file.clone())
                .at_line(step.line)
                .for_step(&step.name),
            );
        }
        match self.source_ref(fields.source) {
            Ok(s) => step.source = s,
            Err(msg) => problems.push(msg),
        }
        match input_spec(fields.input) {
            Ok(i) => step.input = i,
            Err(msg) => problems.push(msg),
        }
        match fields.output {
            None | Some(Value::Null) => {}
            Some(Value::Array(specs)) => {
                step.output.reserve_exact(specs.len());
                for (i, spec) in specs.into_iter().enumerate() {
                    match output_spec(spec) {
                        Ok(o) => step.output.push(o),
                        Err(msg) => problems.push(format!("output #{}: {msg}", i + 1)),
                    }
                }
            }
            Some(other) => problems.push(format!(
                "`output` must be a list of {{name, type, value}}, not {}",
                kind_of(&other)
            )),
        }
        match fields.depends_on {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) => step.depends_on.push(s),
            Some(Value::Array(items)) => {
                step.depends_on.reserve_exact(items.len());
                for d in items {
                    match d {
                        Value::String(s) => step.depends_on.push(s),
                        d => problems
                            .push(format!("`depends_on` entries must be step names, not {d}")),
                    }
                }
            }
            Some(other) => problems.push(format!(
                "`depends_on` must be a list of step names, not {}",
                kind_of(&other)
            )),
        }
        match fields.on_error {
            None | Some(Value::Null) => {}
            Some(v) => match v.as_str().and_then(OnError::parse) {
                Some(p) => step.on_error = Some(p),
                None => problems.push(format!("unknown on_error {v}: use fail, skip or continue")),
            },
        }
        // Most steps set no run control.
        if !fields.control.is_empty() {
            let control = step_control(&fields.control, &mut problems);
            step.run_control = (!control.is_none()).then(|| Box::new(control));
        }
        for msg in problems {
            self.problems.push(step.problem(msg));
        }
        Some(step)
    }

    fn source_ref(&self, value: Option<Value>) -> Result<SourceRef, String> {
        match value {
            None | Some(Value::Null) => Err(
                "`source` is required: a source name, a provider type, or {type, configuration}"
                    .into(),
            ),
            Some(Value::String(s)) if !s.is_empty() => Ok(SourceRef::Named(s)),
            Some(Value::String(_)) => Err(
                "`source` is empty: name a source, a provider type, or give {type, configuration}"
                    .into(),
            ),
            Some(Value::Object(mut m)) if m.contains_key("base") => {
                let base = match m.shift_remove("base") {
                    Some(Value::String(base)) => base,
                    _ => return Err("`source.base` must be the name of a source".into()),
                };
                let overrides = match m.shift_remove("override") {
                    None | Some(Value::Null) => Value::Object(Map::new()),
                    Some(v @ Value::Object(_)) => v,
                    Some(other) => {
                        return Err(format!(
                            "`source.override` must be a mapping, not {}",
                            kind_of(&other)
                        ))
                    }
                };
                Ok(SourceRef::Override {
                    base,
                    overrides: Box::new(overrides),
                })
            }
            Some(v @ Value::Object(_)) => self
                .source_def(&v)
                .map(|def| SourceRef::Inline(Box::new(def)))
                .map_err(|m| format!("inline source {m}")),
            Some(other) => Err(format!(
                "`source` must be a name or a mapping, not {}",
                kind_of(&other)
            )),
        }
    }
}

/// The fields of one flow item, taken out in one pass.
#[derive(Default)]
struct StepFields {
    name: Option<Value>,
    source: Option<Value>,
    input: Option<Value>,
    output: Option<Value>,
    depends_on: Option<Value>,
    on_error: Option<Value>,
    /// Run control (R25–R29, R34), when any is set.
    control: Map<String, Value>,
    /// Keys no step has, in order.
    unknown: Vec<String>,
}

/// True when two keys differ by at most one edit or only in case.
fn similar(a: &str, b: &str) -> bool {
    if a.eq_ignore_ascii_case(b) {
        return true;
    }
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()] <= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_are_similar() {
        assert!(similar("sources", "soruces"));
        assert!(similar("flow", "flows"));
        assert!(!similar("flow", "banana"));
    }
}
