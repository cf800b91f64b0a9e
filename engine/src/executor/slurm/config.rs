//! The `slurm` executor's configuration (SPEC R35), read with every problem
//! collected.

use serde_json::{Map, Value};
use std::path::PathBuf;
use std::time::Duration;

/// Jobs in flight at once when `max_jobs` is not given.
pub const DEFAULT_MAX_JOBS: usize = 100;
/// How often the watcher asks the cluster when `poll_interval` is not given.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// The keys of a `slurm` executor's configuration.
pub const KEYS: [&str; 8] = [
    "partition",
    "time_limit",
    "cpus",
    "mem",
    "extra_args",
    "work_dir",
    "max_jobs",
    "poll_interval",
];

/// A `slurm` executor's configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct SlurmConfig {
    /// `--partition`.
    pub partition: Option<String>,
    /// `--time` (Slurm's formats: minutes, `MM:SS`, `HH:MM:SS`, `D-HH`...).
    pub time_limit: Option<String>,
    /// `--cpus-per-task`.
    pub cpus: Option<u64>,
    /// `--mem` (e.g. `500M`, `4G`).
    pub mem: Option<String>,
    /// More `sbatch` arguments, as given (`--account=...`, `--qos=...`).
    pub extra_args: Vec<String>,
    /// The directory the cluster's nodes share with this machine: job
    /// scripts, payloads and outputs go there.
    pub work_dir: PathBuf,
    /// Most jobs in flight at once.
    pub max_jobs: usize,
    /// How often all jobs in flight are looked at (one `squeue` call).
    pub poll_interval: Duration,
}

fn text(key: &str, value: &Value) -> Result<String, String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(format!("`{key}` must be text, not {other}")),
    }
}

impl SlurmConfig {
    /// Reads a configuration mapping; `Err` lists every problem.
    pub fn parse(configuration: &Value) -> Result<Self, String> {
        let empty = Map::new();
        let m = match configuration {
            Value::Object(m) => m,
            Value::Null => &empty,
            other => return Err(format!("the configuration must be a mapping, not {other}")),
        };
        let mut problems = Vec::new();
        for key in m.keys() {
            if !KEYS.contains(&key.as_str()) {
                problems.push(format!("unknown key `{key}` (known: {})", KEYS.join(", ")));
            }
        }
        let mut text_of = |key: &str| match m.get(key).filter(|v| !v.is_null()) {
            None => None,
            Some(v) => text(key, v).map_err(|e| problems.push(e)).ok(),
        };
        let partition = text_of("partition");
        let time_limit = text_of("time_limit");
        let mem = text_of("mem");
        let work_dir = text_of("work_dir");
        let positive =
            |key: &str, problems: &mut Vec<String>| match m.get(key).filter(|v| !v.is_null()) {
                None => None,
                Some(v) => match v.as_u64().filter(|n| *n >= 1) {
                    Some(n) => Some(n),
                    None => {
                        problems.push(format!("`{key}` must be an integer of 1 or more, not {v}"));
                        None
                    }
                },
            };
        let cpus = positive("cpus", &mut problems);
        let max_jobs = positive("max_jobs", &mut problems).map_or(DEFAULT_MAX_JOBS, |n| {
            usize::try_from(n).unwrap_or(usize::MAX)
        });
        let extra_args = match m.get("extra_args") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    other => {
                        problems.push(format!("`extra_args` holds {other}, not text"));
                        None
                    }
                })
                .collect(),
            Some(other) => {
                problems.push(format!(
                    "`extra_args` must be a list of sbatch arguments, not {other}"
                ));
                Vec::new()
            }
        };
        let poll_interval = match m.get("poll_interval").filter(|v| !v.is_null()) {
            None => DEFAULT_POLL_INTERVAL,
            Some(v) => match v.as_f64().filter(|s| *s > 0.0 && *s <= 3600.0) {
                Some(s) => Duration::from_secs_f64(s),
                None => {
                    problems.push(format!(
                        "`poll_interval` must be a number of seconds greater than 0, not {v}"
                    ));
                    DEFAULT_POLL_INTERVAL
                }
            },
        };
        if work_dir.is_none() && !m.contains_key("work_dir") {
            problems.push(
                "`work_dir` is required: a directory this machine and the cluster's nodes share \
                 (job scripts, payloads and outputs go there)"
                    .into(),
            );
        }
        if !problems.is_empty() {
            return Err(problems.join("; "));
        }
        let work_dir = PathBuf::from(work_dir.unwrap_or_default());
        let work_dir = if work_dir.is_relative() {
            std::env::current_dir()
                .map(|d| d.join(&work_dir))
                .unwrap_or(work_dir)
        } else {
            work_dir
        };
        Ok(SlurmConfig {
            partition,
            time_limit,
            cpus,
            mem,
            extra_args,
            work_dir,
            max_jobs,
            poll_interval,
        })
    }

    /// The `sbatch` options this configuration asks for.
    pub fn sbatch_options(&self) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(p) = &self.partition {
            args.push(format!("--partition={p}"));
        }
        if let Some(t) = &self.time_limit {
            args.push(format!("--time={t}"));
        }
        if let Some(c) = self.cpus {
            args.push(format!("--cpus-per-task={c}"));
        }
        if let Some(m) = &self.mem {
            args.push(format!("--mem={m}"));
        }
        args.extend(self.extra_args.iter().cloned());
        args
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_key_is_read() {
        let c = SlurmConfig::parse(&json!({
            "partition": "short", "time_limit": "0:10:00", "cpus": 2, "mem": "1G",
            "extra_args": ["--account=lab"], "work_dir": "/shared/ft", "max_jobs": 50,
            "poll_interval": 0.5,
        }))
        .unwrap();
        assert_eq!(
            c.sbatch_options(),
            [
                "--partition=short",
                "--time=0:10:00",
                "--cpus-per-task=2",
                "--mem=1G",
                "--account=lab"
            ]
        );
        assert_eq!(c.max_jobs, 50);
        assert_eq!(c.work_dir, PathBuf::from("/shared/ft"));
        assert_eq!(c.poll_interval, Duration::from_millis(500));
    }

    #[test]
    fn every_problem_is_told_at_once() {
        let e = SlurmConfig::parse(&json!({"cpus": 0, "extra_args": "x", "colour": "red"}))
            .unwrap_err();
        assert!(e.contains("unknown key `colour`"), "{e}");
        assert!(e.contains("`cpus` must be"), "{e}");
        assert!(e.contains("`extra_args` must be"), "{e}");
        assert!(e.contains("`work_dir` is required"), "{e}");
    }
}
