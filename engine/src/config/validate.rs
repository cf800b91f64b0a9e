//! Validation (SPEC R6): source resolution, provider types, templates,
//! JMESPath, dependencies and cycles, all problems at once. What it compiles is
//! kept for the run, so nothing is parsed twice.

use super::control::Foreach;
use super::graph::Graph;
use super::load::deep_merge;
use super::model::{InputSpec, OutputKind, SourceDef, SourceRef, StepDef};
use super::Model;
use crate::error::{Problem, ProblemKind};
use crate::executor::{Placement, RemoteExecutor};
use crate::query::{self, JmesPaths};
use crate::registry::ProviderRegistry;
use crate::template::{self, Templates};
use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use serde_json::Value;
use std::sync::Arc;

/// What validation compiled: kept in the [`Config`](super::Config) for the run.
#[derive(Debug, Default)]
pub struct Compiled {
    /// Every template of the flow.
    pub templates: Templates,
    /// Every JMESPath output expression.
    pub jmespaths: JmesPaths,
    /// Each step's source after resolution (R5), by step index.
    pub resolved: Vec<Arc<SourceDef>>,
    /// The dependency graph.
    pub graph: Graph,
    /// Per step, the concurrency limit its calls count against (R29): an
    /// index into `limits`.
    pub limit_of: Vec<Option<usize>>,
    /// The caps of the concurrency limits (`max_concurrency` of sources).
    pub limits: Vec<usize>,
    /// Where each step runs (R34), by step index.
    pub placements: Vec<Placement>,
    /// The flow's remote executors, by lane.
    pub remotes: Vec<Arc<RemoteExecutor>>,
}

/// Calls `f` on every string inside a JSON value.
fn each_string<'a>(value: &'a Value, f: &mut dyn FnMut(&'a str)) {
    match value {
        Value::String(s) => f(s),
        Value::Array(items) => items.iter().for_each(|v| each_string(v, f)),
        Value::Object(m) => m.values().for_each(|v| each_string(v, f)),
        _ => {}
    }
}

/// The template strings of one step, with its resolved source's configuration.
fn step_templates<'a>(step: &'a StepDef, source: &'a SourceDef) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut push = |s: &'a str| {
        if template::is_template(s) {
            out.push(s);
        }
    };
    match &step.input {
        InputSpec::Text(s) => push(s),
        InputSpec::Structured(v) => each_string(v, &mut push),
        InputSpec::None | InputSpec::Literal(_) => {}
    }
    match &step.control().foreach {
        Some(Foreach::Template(s)) => push(s),
        Some(Foreach::List(items)) => items.iter().for_each(|v| each_string(v, &mut push)),
        None => {}
    }
    each_string(&source.configuration, &mut push);
    for o in &step.output {
        if let OutputKind::Template(s) = &o.kind {
            push(s);
        }
    }
    out
}

fn resolve(config: &Model, step: &StepDef, problems: &mut Vec<Problem>) -> SourceDef {
    let fallback = |name: &str| SourceDef::new(name, Value::Object(Default::default()));
    match &step.source {
        SourceRef::Named(name) => config
            .sources
            .get(name)
            .cloned()
            .unwrap_or_else(|| fallback(name)),
        SourceRef::Inline(def) => SourceDef::clone(def),
        SourceRef::Override { base, overrides } => match config.sources.get(base) {
            Some(def) => {
                let mut merged = def.to_value();
                deep_merge(&mut merged, Value::clone(overrides));
                let type_name = merged
                    .get("type")
                    .and_then(Value::as_str)
                    .unwrap_or(&def.type_name)
                    .to_string();
                let configuration = match merged.get("configuration") {
                    Some(c @ Value::Object(_)) => c.clone(),
                    _ => {
                        problems.push(
                            step.problem("`override.configuration` must be a mapping")
                                .of_kind(ProblemKind::Source),
                        );
                        def.configuration.clone()
                    }
                };
                SourceDef {
                    type_name,
                    configuration,
                    max_concurrency: def.max_concurrency,
                }
            }
            None => {
                let known = config
                    .sources
                    .keys()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ");
                problems.push(
                    step.problem(format!(
                        "`source.base` '{base}' names no source (sources: {known})"
                    ))
                    .of_kind(ProblemKind::Source),
                );
                fallback("")
            }
        },
    }
}

/// The concurrency limit a step's calls count against (R29): its named
/// source's (an override counts against its base), else its inline source's
/// own.
fn limit_of(
    step: &StepDef,
    source: &SourceDef,
    ids: &mut HashMap<String, usize>,
    caps: &mut Vec<usize>,
) -> Option<usize> {
    let cap = source.max_concurrency?;
    let key = match &step.source {
        SourceRef::Named(name) => format!("source {name}"),
        SourceRef::Override { base, .. } => format!("source {base}"),
        SourceRef::Inline(_) => format!("step {}", step.name),
    };
    Some(*ids.entry(key).or_insert_with(|| {
        caps.push(cap);
        caps.len() - 1
    }))
}

/// Validates the model and compiles what the run needs.
pub fn compile(config: &Model, registry: &ProviderRegistry) -> Result<Compiled, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut compiled = Compiled::default();
    let mut seen: HashMap<&str, &StepDef> = HashMap::new();
    let mut bad_templates: HashSet<String> = HashSet::new();
    // How many steps use each template: one use is checked now and compiled
    // at that use; a template that more steps use is compiled once, now.
    let mut uses: HashMap<String, usize> = HashMap::new();
    let mut references = Vec::with_capacity(config.flow.len());
    let mut named: HashMap<&str, Arc<SourceDef>> = HashMap::new();
    let mut limit_ids: HashMap<String, usize> = HashMap::new();
    let mut placer = super::placement::Placer::default();
    for step in &config.flow {
        if let Some(first) = seen.insert(step.name.as_str(), step) {
            let at = first
                .line
                .map(|l| format!(" (first defined at line {l})"))
                .unwrap_or_default();
            problems.push(
                step.problem(format!(
                    "duplicate step name '{}'{at}: step names must be unique",
                    step.name
                ))
                .of_kind(ProblemKind::DuplicateName),
            );
        }
        // Steps naming the same source share one resolved definition.
        let source = match &step.source {
            SourceRef::Named(name) => Arc::clone(
                named
                    .entry(name.as_str())
                    .or_insert_with(|| Arc::new(resolve(config, step, &mut problems))),
            ),
            _ => Arc::new(resolve(config, step, &mut problems)),
        };
        if !source.type_name.is_empty() && !registry.knows(&source.type_name) {
            problems.push(
                step.problem(registry.unknown_type_message(&source.type_name))
                    .of_kind(ProblemKind::UnknownProviderType),
            );
        }
        let mut refs = Vec::new();
        for src in step_templates(step, &source) {
            if bad_templates.contains(src) {
                continue;
            }
            let checked = match uses.get_mut(src) {
                None => {
                    uses.insert(src.to_string(), 1);
                    compiled.templates.check(src)
                }
                Some(count) => {
                    *count += 1;
                    match *count {
                        2 => compiled.templates.compile(src),
                        _ => Ok(()),
                    }
                }
            };
            if let Err(msg) = checked {
                bad_templates.insert(src.to_string());
                problems.push(step.problem(msg).of_kind(ProblemKind::Template));
            }
            for r in template::references(src) {
                if !refs.contains(&r) {
                    refs.push(r);
                }
            }
        }
        if let Some(expr) = step.control().when_expression() {
            match compiled.templates.check_expression(expr) {
                Ok(()) => {
                    for r in template::references(expr) {
                        if !refs.contains(&r) {
                            refs.push(r);
                        }
                    }
                }
                Err(msg) => problems.push(
                    step.problem(format!("`when`: {msg}"))
                        .of_kind(ProblemKind::Template),
                ),
            }
        }
        references.push(refs);
        compiled.limit_of.push(limit_of(
            step,
            &source,
            &mut limit_ids,
            &mut compiled.limits,
        ));
        for o in &step.output {
            if let OutputKind::JmesPath(expr) = &o.kind {
                if compiled.jmespaths.contains_key(expr) {
                    continue;
                }
                match query::compile(expr) {
                    Ok(c) => {
                        compiled.jmespaths.insert(expr.clone(), Arc::new(c));
                    }
                    Err(msg) => problems.push(
                        step.problem(format!("output '{}': {msg}", o.name))
                            .of_kind(ProblemKind::JmesPath),
                    ),
                }
            }
        }
        compiled.placements.push(placer.place(
            step,
            &source.type_name,
            config.runner.executor.as_ref(),
            registry,
            &mut problems,
        ));
        compiled.resolved.push(source);
    }
    compiled.remotes = placer.remotes;
    match Graph::build(&config.flow, &references) {
        Ok(g) => compiled.graph = g,
        Err(more) => problems.extend(more),
    }
    if problems.is_empty() {
        Ok(compiled)
    } else {
        Err(problems)
    }
}
