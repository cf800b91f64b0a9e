//! Definition hashes: what `resume` compares to decide whether a step's
//! recorded outputs still stand (SPEC R32).
//!
//! A step's hash covers its own definition (input, outputs, dependencies
//! named, policy, run control — not its file or line), the source it calls
//! as resolved (type and configuration, overrides merged), and the hashes of
//! every step it depends on, explicitly or through templates: a change
//! anywhere upstream changes every hash downstream. The hash is 64-bit
//! FNV-1a over a length-prefixed encoding, written as 16 hex digits: stable
//! across builds and platforms (not `std`'s hasher, whose algorithm may
//! change), and cheap enough for 10,000 steps at the start of every run.

use crate::config::{Config, Foreach, InputSpec, OutputKind, SourceDef, StepControl, StepDef};
use serde_json::Value;
use std::collections::HashMap;

/// FNV-1a, 64 bits.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn u64(&mut self, n: u64) {
        self.bytes(&n.to_le_bytes());
    }

    fn tag(&mut self, tag: u8) {
        self.bytes(&[tag]);
    }

    fn str(&mut self, text: &str) {
        self.u64(text.len() as u64);
        self.bytes(text.as_bytes());
    }

    fn opt_str(&mut self, text: Option<&str>) {
        match text {
            Some(t) => {
                self.tag(1);
                self.str(t);
            }
            None => self.tag(0),
        }
    }

    fn f64(&mut self, n: Option<f64>) {
        self.u64(n.map_or(u64::MAX, f64::to_bits));
    }

    /// JSON text is self-delimiting; a tag keeps it apart from what follows.
    fn json(&mut self, value: &Value) {
        self.tag(b'j');
        // Writing into the hasher cannot fail.
        let _ = serde_json::to_writer(&mut *self, value);
    }

    fn hex(&self) -> String {
        hex(self.0)
    }
}

/// 16 hex digits (without `format!`, which costs more for 10,000 steps).
fn hex(n: u64) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    (0..16)
        .rev()
        .map(|i| char::from(DIGITS[((n >> (i * 4)) & 0xf) as usize]))
        .collect()
}

impl std::io::Write for Fnv {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.bytes(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn source(h: &mut Fnv, source: &SourceDef) {
    let SourceDef {
        type_name,
        configuration,
        max_concurrency,
    } = source;
    h.str(type_name);
    h.json(configuration);
    h.u64(max_concurrency.map_or(u64::MAX, |n| n as u64));
}

fn control(h: &mut Fnv, control: &StepControl) {
    let StepControl {
        retry,
        timeout,
        when,
        foreach,
        max_parallel,
        run_after_skipped,
        // Where a step runs does not change what it computes: moving a
        // step to a cluster keeps its outputs reusable on resume.
        executor: _,
    } = control;
    match retry {
        Some(policy) => h.json(&serde_json::to_value(policy).unwrap_or(Value::Null)),
        None => h.tag(0),
    }
    h.f64(*timeout);
    h.opt_str(when.as_deref());
    match foreach {
        Some(Foreach::List(items)) => {
            h.tag(1);
            h.u64(items.len() as u64);
            items.iter().for_each(|item| h.json(item));
        }
        Some(Foreach::Template(text)) => {
            h.tag(2);
            h.str(text);
        }
        None => h.tag(0),
    }
    h.u64(max_parallel.map_or(u64::MAX, |n| n as u64));
    h.tag(u8::from(*run_after_skipped));
}

/// The hash of a step's own definition and resolved source.
fn own(step: &StepDef, resolved: u64) -> u64 {
    let StepDef {
        name,
        source: _,
        input,
        output,
        depends_on,
        on_error,
        run_control: _,
        file: _,
        line: _,
    } = step;
    let mut h = Fnv::new();
    h.str(name);
    h.u64(resolved);
    match input {
        InputSpec::None => h.tag(0),
        InputSpec::Text(text) => {
            h.tag(1);
            h.str(text);
        }
        InputSpec::Structured(value) => {
            h.tag(2);
            h.json(value);
        }
        InputSpec::Literal(value) => {
            h.tag(3);
            h.json(value);
        }
    }
    h.u64(output.len() as u64);
    for spec in output {
        h.str(&spec.name);
        match &spec.kind {
            OutputKind::Json => h.tag(0),
            OutputKind::JmesPath(expr) => {
                h.tag(1);
                h.str(expr);
            }
            OutputKind::Template(text) => {
                h.tag(2);
                h.str(text);
            }
        }
        h.tag(u8::from(spec.secret));
    }
    let mut named: Vec<&str> = depends_on.iter().map(String::as_str).collect();
    named.sort_unstable();
    h.u64(named.len() as u64);
    named.iter().for_each(|d| h.str(d));
    h.opt_str(on_error.map(|p| p.as_str()));
    control(&mut h, step.control());
    h.0
}

/// Every step's definition hash, in file order (see the module doc). The
/// dependency graph of a valid configuration has no cycle.
pub fn step_hashes(config: &Config) -> Vec<String> {
    let graph = config.graph();
    let n = config.flow().len();
    // Steps naming the same source share one resolved definition.
    let mut sources: HashMap<*const SourceDef, u64> = HashMap::new();
    let mut own_hash = Vec::with_capacity(n);
    for (i, step) in config.flow().iter().enumerate() {
        let resolved = match config.resolved_source(i) {
            Some(def) => *sources.entry(def as *const SourceDef).or_insert_with(|| {
                let mut h = Fnv::new();
                source(&mut h, def);
                h.0
            }),
            None => 0,
        };
        own_hash.push(own(step, resolved));
    }
    // Dependencies first (Kahn's order).
    let mut waiting: Vec<usize> = graph.deps.iter().map(Vec::len).collect();
    let mut ready: Vec<usize> = (0..n).filter(|&i| waiting[i] == 0).collect();
    let mut full: Vec<Option<u64>> = vec![None; n];
    while let Some(i) = ready.pop() {
        let mut deps: Vec<u64> = graph.deps[i]
            .iter()
            .map(|(j, _)| full[*j].unwrap_or(0))
            .collect();
        deps.sort_unstable();
        let mut h = Fnv::new();
        h.u64(own_hash[i]);
        h.u64(deps.len() as u64);
        deps.iter().for_each(|d| h.u64(*d));
        full[i] = Some(h.0);
        for &d in &graph.dependents[i] {
            waiting[d] -= 1;
            if waiting[d] == 0 {
                ready.push(d);
            }
        }
    }
    full.into_iter().map(|h| hex(h.unwrap_or(0))).collect()
}

/// The hash of the merged configuration: its sources, `runner` and
/// `plugins` sections, and every step's hash in file order.
pub fn config_hash(config: &Config, step_hashes: &[String]) -> String {
    let mut h = Fnv::new();
    h.u64(config.sources().len() as u64);
    for (name, def) in config.sources() {
        h.str(name);
        source(&mut h, def);
    }
    let runner = config.runner();
    h.u64(runner.max_workers.map_or(u64::MAX, |n| n as u64));
    h.opt_str(runner.on_error.map(|p| p.as_str()));
    match &runner.retry {
        Some(policy) => h.json(&serde_json::to_value(policy).unwrap_or(Value::Null)),
        None => h.tag(0),
    }
    h.f64(runner.timeout);
    let dirs = &config.plugins().dirs;
    h.u64(dirs.len() as u64);
    dirs.iter().for_each(|d| h.str(&d.to_string_lossy()));
    h.u64(step_hashes.len() as u64);
    step_hashes.iter().for_each(|s| h.str(s));
    h.hex()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashes(yaml: &str) -> Vec<String> {
        let config = crate::config::load_yaml_str("f.yaml", yaml).expect("valid flow");
        step_hashes(&config)
    }

    const FLOW: &str = "
sources:
  s: {type: process, configuration: {command: [echo]}}
flow:
  - {name: a, source: s, input: one}
  - {name: b, source: s, input: '{{ flows.a }}'}
  - {name: c, source: s, input: three}
";

    #[test]
    fn a_change_upstream_changes_every_hash_downstream_only() {
        let before = hashes(FLOW);
        assert_eq!(before, hashes(FLOW), "stable");
        assert_eq!(before.len(), 3);
        assert_eq!(before[0].len(), 16);
        let changed = hashes(&FLOW.replace("input: one", "input: uno"));
        assert_ne!(before[0], changed[0]);
        assert_ne!(before[1], changed[1], "b reads a");
        assert_eq!(before[2], changed[2], "c does not");
        // Where a step is written does not matter; its source does.
        let moved = hashes(&FLOW.replace("flow:\n", "flow:\n\n\n"));
        assert_eq!(before, moved);
        let other_source = hashes(&FLOW.replace("[echo]", "[printf]"));
        assert!(before.iter().zip(&other_source).all(|(x, y)| x != y));
    }

    #[test]
    fn the_config_hash_follows_any_change() {
        let config = crate::config::load_yaml_str("f.yaml", FLOW).unwrap();
        let a = config_hash(&config, &step_hashes(&config));
        let config =
            crate::config::load_yaml_str("f.yaml", &format!("runner: {{max_workers: 2}}\n{FLOW}"))
                .unwrap();
        let b = config_hash(&config, &step_hashes(&config));
        assert_ne!(a, b);
    }
}
