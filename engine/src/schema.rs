//! A JSON Schema (draft 2020-12) of the flow file format (SPEC R36), for
//! editors (`# yaml-language-server: $schema=...`) and other tools; the CLI
//! prints it with `flowtoy schema`.
//!
//! The schema says what one file may hold, so it accepts everything the
//! loader accepts from that file:
//!
//! - unknown top-level keys and unknown step fields are allowed (the loader
//!   warns about them and goes on);
//! - a named source need not say its `type`, because files merge and a later
//!   file may only change another file's `configuration` (an inline source of
//!   a step must say it: the `flow` list is replaced whole);
//! - `flow` is not required, for the same reason (a file that only overrides
//!   sources);
//! - provider configurations are open mappings: plugins define their keys;
//! - wherever the loader takes `null` as "not given", so does the schema.
//!
//! Each section's keys are listed in one function ([`step_keys`] and the
//! like): a new step key is one entry there.

use serde_json::{json, Map, Value};

/// The JSON Schema dialect of [`flow_schema`].
pub const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

/// The failure policies (SPEC R14).
const ON_ERROR: [&str; 3] = ["fail", "skip", "continue"];

/// The schema of a flow file.
pub fn flow_schema() -> Value {
    json!({
        "$schema": DIALECT,
        "title": "flowtoy flow file",
        "description": "A flowtoy flow: named sources (provider configurations) and a list of steps that call them. Several files merge left to right (mappings recursively; lists and scalars are replaced).",
        "type": "object",
        "properties": properties(top_level_keys()),
        "additionalProperties": true,
        "$defs": {
            "step": {
                "description": "One step: it calls a source with an input and keeps outputs.",
                "type": "object",
                "required": ["name", "source"],
                "properties": properties(step_keys()),
                "additionalProperties": true
            },
            "source": {
                "description": "A named provider configuration. `type` may be left to another file of the merge.",
                "type": "object",
                "properties": properties(source_keys()),
                "additionalProperties": true
            },
            "sourceRef": source_ref(),
            "input": input(),
            "output": output(),
            "onError": {
                "description": "fail: halt the run (exit 1); skip: skip everything depending on the step; continue: let dependents run.",
                "enum": nullable_enum(&ON_ERROR)
            },
            "configuration": {
                "description": "The provider's configuration: any mapping (plugins define their keys). Strings may be templates.",
                "type": ["object", "null"]
            },
            "retry": {
                "description": "Retries of failed provider calls and timeouts (R25): attempts in all (the first included), the wait before the second try, its growth factor, its cap.",
                "type": ["object", "null"],
                "properties": {
                    "attempts": {"type": "integer", "minimum": 1},
                    "delay": {"type": "number", "minimum": 0},
                    "backoff": {"type": "number", "minimum": 1},
                    "max_delay": {"type": "number", "minimum": 0}
                },
                "additionalProperties": false
            },
            "timeout": {
                "description": "Seconds each try may take (R26), for any provider.",
                "type": ["number", "null"],
                "exclusiveMinimum": 0
            },
            "count": {"type": ["integer", "null"], "minimum": 1},
            "executor": executor(),
            "slurmConfiguration": slurm_configuration()
        }
    })
}

/// `{key: schema}` from a list of keys, in order.
fn properties(keys: Vec<(&'static str, Value)>) -> Value {
    Value::Object(
        keys.into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<Map<_, _>>(),
    )
}

/// `values` and `null` as an `enum`.
fn nullable_enum(values: &[&str]) -> Vec<Value> {
    values
        .iter()
        .map(|v| Value::from(*v))
        .chain([Value::Null])
        .collect()
}

/// The top-level keys.
fn top_level_keys() -> Vec<(&'static str, Value)> {
    vec![
        (
            "sources",
            json!({
                "description": "Named provider configurations: name -> {type, configuration}.",
                "type": ["object", "null"],
                "additionalProperties": {"$ref": "#/$defs/source"}
            }),
        ),
        (
            "flow",
            json!({
                "description": "The steps, in file order; they run in parallel as their dependencies allow.",
                "type": "array",
                "minItems": 1,
                "items": {"$ref": "#/$defs/step"}
            }),
        ),
        (
            "runner",
            json!({
                "description": "How the flow runs.",
                "type": ["object", "null"],
                "properties": properties(runner_keys()),
                "additionalProperties": true
            }),
        ),
        (
            "plugins",
            json!({
                "description": "Where provider plugin libraries are loaded from.",
                "type": ["object", "null"],
                "properties": {
                    "dirs": {
                        "description": "Plugin directories, relative to this file.",
                        "type": ["array", "null"],
                        "items": {"type": "string"}
                    }
                },
                "additionalProperties": true
            }),
        ),
    ]
}

/// The keys of `runner`.
fn runner_keys() -> Vec<(&'static str, Value)> {
    vec![
        (
            "max_workers",
            json!({
                "description": "Most steps running at once (default 4; --max-workers wins).",
                "type": ["integer", "null"],
                "minimum": 1
            }),
        ),
        (
            "on_error",
            json!({
                "description": "The failure policy of steps that do not set their own (default fail).",
                "$ref": "#/$defs/onError"
            }),
        ),
        (
            "retry",
            json!({"description": "The retry policy of steps that do not set their own.", "$ref": "#/$defs/retry"}),
        ),
        (
            "timeout",
            json!({"description": "The timeout of steps that do not set their own.", "$ref": "#/$defs/timeout"}),
        ),
        (
            "executor",
            json!({"description": "Where steps run unless they say otherwise (R34; default local).", "$ref": "#/$defs/executor"}),
        ),
    ]
}

/// An `executor` mapping (R34): a type and its configuration; the `slurm`
/// executor's keys are known (R35), a plugin executor's are open.
fn executor() -> Value {
    json!({
        "description": "Where a step runs (R34): local (this process, the default), slurm (batch jobs on a Slurm cluster, process steps only), or an executor type of a plugin.",
        "type": ["object", "null"],
        "required": ["type"],
        "properties": {
            "type": {"type": "string", "minLength": 1, "examples": ["local", "slurm"]},
            "configuration": {"type": ["object", "null"]}
        },
        "additionalProperties": false,
        "if": {"properties": {"type": {"const": "slurm"}}},
        "then": {"properties": {"configuration": {"$ref": "#/$defs/slurmConfiguration"}}}
    })
}

/// The `slurm` executor's configuration (R35).
fn slurm_configuration() -> Value {
    json!({
        "description": "The slurm executor: sbatch options, the shared work directory, and its limits.",
        "type": "object",
        "required": ["work_dir"],
        "properties": {
            "work_dir": {"description": "A directory this machine and the cluster's nodes share: job scripts, payloads and outputs go there.", "type": "string", "minLength": 1},
            "partition": {"description": "sbatch --partition.", "type": ["string", "null"]},
            "time_limit": {"description": "sbatch --time (minutes, MM:SS, HH:MM:SS, D-HH:MM...).", "type": ["string", "integer", "null"]},
            "cpus": {"description": "sbatch --cpus-per-task.", "$ref": "#/$defs/count"},
            "mem": {"description": "sbatch --mem (e.g. 500M, 4G).", "type": ["string", "integer", "null"]},
            "extra_args": {"description": "More sbatch arguments, e.g. --account=lab.", "type": ["array", "null"], "items": {"type": "string"}},
            "max_jobs": {"description": "Most jobs in flight at once (default 100); local steps keep max_workers.", "$ref": "#/$defs/count"},
            "poll_interval": {"description": "Seconds between two looks at all jobs in flight (one squeue call; default 1).", "type": ["number", "null"], "exclusiveMinimum": 0}
        },
        "additionalProperties": false
    })
}

/// The keys of a step: one entry per key.
fn step_keys() -> Vec<(&'static str, Value)> {
    vec![
        (
            "name",
            json!({
                "description": "The step's unique name; templates read its outputs as flows.NAME.",
                "type": ["string", "number"],
                "minLength": 1
            }),
        ),
        ("source", json!({"$ref": "#/$defs/sourceRef"})),
        ("input", json!({"$ref": "#/$defs/input"})),
        (
            "output",
            json!({
                "description": "What the step keeps, each under its name in flows.STEP.",
                "type": ["array", "null"],
                "items": {"$ref": "#/$defs/output"}
            }),
        ),
        (
            "depends_on",
            json!({
                "description": "Steps that must finish first (besides those its templates name as flows.NAME).",
                "type": ["string", "array", "null"],
                "items": {"type": "string"}
            }),
        ),
        (
            "on_error",
            json!({
                "description": "What a failure of this step does (default: runner.on_error, else fail).",
                "$ref": "#/$defs/onError"
            }),
        ),
        ("retry", json!({"$ref": "#/$defs/retry"})),
        ("timeout", json!({"$ref": "#/$defs/timeout"})),
        (
            "executor",
            json!({"description": "Where this step runs (default: runner.executor, else local).", "$ref": "#/$defs/executor"}),
        ),
        (
            "when",
            json!({
                "description": "A Jinja expression ({{ }} optional): false skips the step (R27).",
                "type": ["string", "boolean", "null"]
            }),
        ),
        (
            "after_skipped",
            json!({
                "description": "run: the step runs even when a step it depends on was skipped by its `when` (the join of an if/else).",
                "enum": nullable_enum(&["run", "skip"])
            }),
        ),
        (
            "foreach",
            json!({
                "description": "Run the step once per item (R28): a list, or a template giving one; `item` and `index` in its templates.",
                "type": ["array", "string", "null"]
            }),
        ),
        (
            "max_parallel",
            json!({"description": "Most items of a foreach step at once.", "$ref": "#/$defs/count"}),
        ),
    ]
}

/// The keys of a source definition.
fn source_keys() -> Vec<(&'static str, Value)> {
    vec![
        (
            "type",
            json!({
                "description": "The provider type: env, process, rest, or one from a plugin.",
                "type": "string",
                "minLength": 1
            }),
        ),
        ("configuration", json!({"$ref": "#/$defs/configuration"})),
        (
            "max_concurrency",
            json!({"description": "Most calls to this source at once, over all steps and items (R29).", "$ref": "#/$defs/count"}),
        ),
    ]
}

/// A step's `source`: a name, an inline definition, or a base with overrides.
fn source_ref() -> Value {
    json!({
        "description": "A name from `sources` (or a provider type), an inline {type, configuration}, or {base, override}.",
        "anyOf": [
            {"type": "string", "minLength": 1},
            {
                "type": "object",
                "required": ["base"],
                "properties": {
                    "base": {"description": "The name of a source.", "type": "string"},
                    "override": {
                        "description": "Deep-merged into the base's {type, configuration}.",
                        "type": ["object", "null"],
                        "properties": properties(source_keys())
                    }
                }
            },
            {
                "type": "object",
                "required": ["type"],
                "not": {"required": ["base"]},
                "properties": properties(source_keys())
            }
        ]
    })
}

/// A step's `input`: a template string, a typed mapping, any structure whose
/// strings are rendered, or a number or boolean.
fn input() -> Value {
    let typed = |types: &[&str], field: &str| {
        json!({
            "if": {
                "type": "object",
                "required": ["type"],
                "properties": {"type": {"enum": types}}
            },
            "then": {
                "required": [field],
                "properties": {field: {"not": {"type": "null"}}}
            }
        })
    };
    json!({
        "description": "The payload: a template string; {type: parameter|value, value}; {type: body|filter|template, template}; any other mapping or list (its strings rendered); a number or boolean.",
        "allOf": [
            typed(&["parameter", "value"], "value"),
            typed(&["body", "filter", "template"], "template")
        ]
    })
}

/// One output spec.
fn output() -> Value {
    json!({
        "description": "An output: type json (the whole data), jmespath (value is an expression), template (value rendered with result, meta, status); no type: the whole data, or a template if value holds {{.",
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "type": {"enum": nullable_enum(&["json", "jmespath", "template"])},
            "value": {},
            "secret": {
                "description": "Mask the value wherever it is shown.",
                "type": ["boolean", "null"]
            }
        },
        "if": {
            "required": ["type"],
            "properties": {"type": {"enum": ["jmespath", "template"]}}
        },
        "then": {"required": ["value"], "properties": {"value": {"type": "string"}}},
        "additionalProperties": true
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reference_points_at_a_definition() {
        let schema = flow_schema();
        let text = schema.to_string();
        for piece in text.split("\"$ref\":\"#/$defs/").skip(1) {
            let name = piece.split('"').next().unwrap_or_default();
            assert!(schema["$defs"].get(name).is_some(), "no $defs/{name}");
        }
        assert_eq!(schema["$schema"], DIALECT);
        let step = &schema["$defs"]["step"]["properties"];
        for (key, _) in step_keys() {
            assert!(step.get(key).is_some(), "{key}");
        }
    }
}
