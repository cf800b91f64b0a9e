//! The benchmark workloads of flowtoy (issue 6), as YAML text, so the bench
//! command and the smoke tests generate exactly the same flows.
#![deny(missing_docs)]

use std::fmt::Write;

/// One benchmark workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// Independent `env` steps (one source reading `HOME`), one `json` output each.
    Wide,
    /// `env` steps, each taking the previous one's output through a template.
    Chain,
    /// Independent `process` steps running `true`, `max_workers: 4`.
    Proc,
    /// Independent `process` steps running `sleep 0.1`, `max_workers: 64`.
    Sleep,
    /// A one-step `env` flow.
    Startup,
    /// One `foreach` step over `size` items of the `env` source, one output:
    /// per item, what a `wide` step costs (SPEC R28).
    Foreach,
    /// `wide` with `runner.retry` and `runner.timeout` set: every step's one
    /// try runs on a thread of its own with a deadline (R25, R26).
    Guarded,
    /// `flowtoy validate` of the hardening issue's large configuration:
    /// steps with templated input and outputs, about 260 bytes each (50,000
    /// steps make 13 MB), every tenth step starting a new chain.
    Validate,
    /// `flowtoy graph --format svg` of the `validate` configuration: loading
    /// it, laying the graph out and writing the SVG.
    Graph,
}

impl Workload {
    /// Every workload, in table order.
    pub const ALL: [Workload; 9] = [
        Workload::Wide,
        Workload::Chain,
        Workload::Proc,
        Workload::Sleep,
        Workload::Startup,
        Workload::Validate,
        Workload::Graph,
        Workload::Foreach,
        Workload::Guarded,
    ];

    /// The workload's name.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Wide => "wide",
            Workload::Chain => "chain",
            Workload::Proc => "proc",
            Workload::Sleep => "sleep",
            Workload::Startup => "startup",
            Workload::Validate => "validate",
            Workload::Graph => "graph",
            Workload::Foreach => "foreach",
            Workload::Guarded => "guarded",
        }
    }

    /// Parses a name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|w| w.name() == name)
    }

    /// The size the issue names for it.
    pub fn default_size(self) -> usize {
        match self {
            Workload::Wide => 10_000,
            Workload::Chain => 2_000,
            Workload::Proc => 1_000,
            Workload::Sleep => 256,
            Workload::Startup => 1,
            Workload::Validate => 50_000,
            Workload::Graph => 10_000,
            Workload::Foreach => 10_000,
            Workload::Guarded => 10_000,
        }
    }

    /// The flowtoy arguments before the file: `validate` only checks the
    /// flow, `graph` draws it, every other workload runs it.
    pub fn command(self) -> &'static [&'static str] {
        match self {
            Workload::Validate => &["validate"],
            Workload::Graph => &["graph", "--format", "svg"],
            _ => &["run", "-q"],
        }
    }

    /// The flow, as YAML, with `size` steps.
    pub fn yaml(self, size: usize) -> String {
        let mut y = String::with_capacity(size * 100 + 200);
        let home = "sources:\n  home: {type: env, configuration: {vars: [HOME]}}\n";
        match self {
            Workload::Wide | Workload::Guarded => {
                if self == Workload::Guarded {
                    y.push_str("runner: {retry: {attempts: 3, delay: 0.1}, timeout: 30}\n");
                }
                y.push_str(home);
                y.push_str("flow:\n");
                for i in 0..size {
                    let _ = writeln!(
                        y,
                        "  - {{name: s{i}, source: home, output: [{{name: v, type: json}}]}}"
                    );
                }
            }
            Workload::Chain => {
                y.push_str(home);
                y.push_str("flow:\n  - {name: s0, source: home, output: [{name: v, type: jmespath, value: HOME}]}\n");
                for i in 1..size {
                    let _ = writeln!(
                        y,
                        "  - {{name: s{i}, source: home, input: {{type: parameter, value: '{{{{ flows.s{}.v }}}}'}}, output: [{{name: v, type: jmespath, value: HOME}}]}}",
                        i - 1
                    );
                }
            }
            Workload::Proc | Workload::Sleep => {
                let (workers, command) = if self == Workload::Proc {
                    (4, "[true]")
                } else {
                    (64, "[sleep, '0.1']")
                };
                let _ = writeln!(y, "runner: {{max_workers: {workers}}}\nsources:\n  cmd: {{type: process, configuration: {{command: {command}}}}}\nflow:");
                for i in 0..size {
                    let _ = writeln!(y, "  - {{name: s{i}, source: cmd}}");
                }
            }
            Workload::Foreach => {
                y.push_str(home);
                y.push_str("flow:\n  - name: each\n    source: home\n    output: [{name: v, type: json}]\n    foreach: [");
                for i in 0..size {
                    let _ = write!(y, "{}{i}", if i == 0 { "" } else { ", " });
                }
                y.push_str("]\n");
            }
            Workload::Startup => {
                y.push_str(home);
                y.push_str(
                    "flow:\n  - {name: s0, source: home, output: [{name: v, type: json}]}\n",
                );
            }
            Workload::Validate | Workload::Graph => {
                y.push_str(home);
                y.push_str("flow:\n");
                for i in 0..size {
                    let input = match i {
                        0 => "'start'".to_string(),
                        _ => format!(
                            "flows.s{}.v | default('a fallback value that pads the file to size')",
                            i - 1
                        ),
                    };
                    let _ = write!(
                        y,
                        "  - name: s{i}\n    source: home\n    input: \"{{{{ {input} }}}}\"\n    output:\n      - {{name: v, type: jmespath, value: HOME}}\n      - {{name: t, value: \"{{{{ result.HOME | upper }}}}\"}}\n"
                    );
                    if i % 10 != 0 && i > 1 {
                        let _ = writeln!(y, "    depends_on: [s{}]", i - 2);
                    }
                }
            }
        }
        y
    }

    /// True when the Python flowtoy can run the workload too (it has no
    /// `validate`, `foreach`, `retry` or `timeout`).
    pub fn python_can_run(self) -> bool {
        !matches!(
            self,
            Workload::Validate | Workload::Graph | Workload::Foreach | Workload::Guarded
        )
    }

    /// A Makefile running the same programs as `proc`/`sleep` (for `make -jN`).
    pub fn makefile(self, size: usize) -> Option<String> {
        let recipe = match self {
            Workload::Proc => "true",
            Workload::Sleep => "sleep 0.1",
            _ => return None,
        };
        let mut m = String::from("all:");
        for i in 0..size {
            let _ = write!(m, " t{i}");
        }
        m.push('\n');
        for i in 0..size {
            let _ = writeln!(m, "t{i}:\n\t@{recipe}");
        }
        Some(m)
    }

    /// `-j` for the Makefile comparison.
    pub fn make_jobs(self) -> usize {
        if self == Workload::Sleep {
            64
        } else {
            4
        }
    }
}

/// The flow the status API load tests and `status_load` run: `steps`
/// small programs (`echo` of a JSON object, one JMESPath output) with
/// `max_workers` workers; every fifth step waits for the one before it, so
/// the run has depth.
pub fn status_load_flow(steps: usize, max_workers: usize) -> String {
    let mut yaml = format!("runner: {{max_workers: {max_workers}}}\nflow:\n");
    for i in 0..steps {
        let deps = if i % 5 == 4 {
            format!("\n    depends_on: [s{}]", i - 1)
        } else {
            String::new()
        };
        let _ = write!(
            yaml,
            "  - name: s{i}\n    source: {{type: process, configuration: {{command: [echo, '{{\"i\": {i}}}']}}}}{deps}\n    output:\n      - {{name: out, type: jmespath, value: i}}\n"
        );
    }
    yaml
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for w in Workload::ALL {
            assert_eq!(Workload::parse(w.name()), Some(w));
        }
    }

    #[test]
    fn chain_steps_reference_their_predecessor() {
        let y = Workload::Chain.yaml(3);
        assert!(y.contains("name: s2") && y.contains("flows.s1.v"));
        assert_eq!(y.matches("- {name:").count(), 3);
    }
}
