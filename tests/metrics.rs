//! `GET /metrics` under `flowtoy serve`: the Prometheus text exposition of a
//! run with known numbers, parsed and checked against the run.

use crate::status_api_support::{client, wait_for, write, Serving};
use std::collections::BTreeMap;

/// Steps that succeed, one that fails under `continue`, one that fails
/// under `skip` (its dependent is skipped), one that fails once and
/// succeeds on its retry, a `foreach` of three, and an `env` step.
const FLOW: &str = r#"
flow:
  - name: ok1
    source: {type: process, configuration: {command: [echo, one]}}
  - name: ok2
    source: {type: process, configuration: {command: [echo, two]}}
  - name: broken
    on_error: continue
    source: {type: process, configuration: {command: ["false"]}}
  - name: flaky
    retry: {attempts: 3, delay: 0.01}
    source:
      type: process
      configuration:
        command: ["sh", "-c", "if [ -f tried ]; then echo ok; else touch tried; exit 1; fi"]
  - name: doomed
    on_error: skip
    source: {type: process, configuration: {command: ["sh", "-c", "exit 3"]}}
  - name: after_doomed
    depends_on: [doomed]
    source: {type: process, configuration: {command: [echo]}}
  - name: fan
    foreach: [1, 2, 3]
    source: {type: process, configuration: {command: [echo, item]}}
  - name: vars
    source: {type: env, configuration: {vars: [HOME]}}
"#;

/// One sample: the metric name and its labels, sorted.
type Key = (String, BTreeMap<String, String>);

/// A parsed exposition: `# TYPE` per metric family and every sample.
#[derive(Debug, Default)]
struct Exposition {
    types: BTreeMap<String, String>,
    helps: BTreeMap<String, String>,
    samples: BTreeMap<Key, f64>,
}

impl Exposition {
    /// Parses the text format: `# HELP name text`, `# TYPE name kind`,
    /// `name{label="value",...} number`; anything else fails the test.
    fn parse(text: &str) -> Exposition {
        let mut out = Exposition::default();
        for line in text.lines().filter(|l| !l.is_empty()) {
            if let Some(rest) = line.strip_prefix("# HELP ") {
                let (name, help) = rest.split_once(' ').expect("HELP name text");
                out.helps.insert(name.into(), help.into());
                continue;
            }
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
                assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
                out.types.insert(name.into(), kind.into());
                continue;
            }
            assert!(!line.starts_with('#'), "unknown comment: {line}");
            let (series, value) = line.rsplit_once(' ').expect("a sample and its value");
            let value: f64 = value
                .parse()
                .unwrap_or_else(|e| panic!("{line}: not a number ({e})"));
            let (name, labels) = match series.split_once('{') {
                None => (series.to_string(), BTreeMap::new()),
                Some((name, rest)) => {
                    let body = rest.strip_suffix('}').expect("labels end with }");
                    let mut labels = BTreeMap::new();
                    for pair in body.split(',').filter(|p| !p.is_empty()) {
                        let (k, v) = pair.split_once('=').expect("label=value");
                        let v = v
                            .strip_prefix('"')
                            .and_then(|v| v.strip_suffix('"'))
                            .expect("a quoted label value");
                        labels.insert(k.to_string(), v.to_string());
                    }
                    (name.to_string(), labels)
                }
            };
            assert!(
                name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                "{name}"
            );
            let previous = out.samples.insert((name, labels), value);
            assert!(previous.is_none(), "sample given twice: {line}");
        }
        out
    }

    fn get(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let key = (
            name.to_string(),
            labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        *self
            .samples
            .get(&key)
            .unwrap_or_else(|| panic!("no sample {key:?} in {:#?}", self.samples.keys()))
    }

    /// The family a sample belongs to (histograms: without the suffix).
    fn family(&self, name: &str) -> String {
        for suffix in ["_bucket", "_sum", "_count"] {
            if let Some(base) = name.strip_suffix(suffix) {
                if self.types.get(base).map(String::as_str) == Some("histogram") {
                    return base.to_string();
                }
            }
        }
        name.to_string()
    }
}

#[test]
fn metrics_count_what_the_run_did() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "flow.yaml", FLOW);
    let server = Serving::start(dir.path(), &["serve", "flow.yaml", "--port", "0"]);
    wait_for("the run's end", || {
        (!server.status()["ended_at"].is_null()).then_some(())
    });
    let response = client()
        .get(server.at("/metrics"))
        .send()
        .expect("GET /metrics");
    assert_eq!(response.status().as_u16(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = response.text().unwrap();
    let m = Exposition::parse(&text);

    // Conventions: the flowtoy_ prefix, HELP and TYPE for every family,
    // counters named _total, durations in seconds.
    for (name, _) in m.samples.keys() {
        let family = m.family(name);
        assert!(family.starts_with("flowtoy_"), "{family}");
        let kind = m
            .types
            .get(&family)
            .unwrap_or_else(|| panic!("no TYPE for {family}"));
        assert!(m.helps.contains_key(&family), "no HELP for {family}");
        assert_eq!(
            kind == "counter",
            family.ends_with("_total"),
            "{family}: {kind}"
        );
    }
    assert_eq!(m.types["flowtoy_step_duration_seconds"], "histogram");
    assert_eq!(m.types["flowtoy_steps"], "gauge");

    // Steps by state.
    for (state, n) in [
        ("pending", 0.0),
        ("running", 0.0),
        ("succeeded", 5.0),
        ("failed", 2.0),
        ("skipped", 1.0),
    ] {
        assert_eq!(
            m.get("flowtoy_steps", &[("state", state)]),
            n,
            "{state}\n{text}"
        );
    }
    // Durations of the 7 finished steps; buckets only grow.
    let duration = "flowtoy_step_duration_seconds";
    assert_eq!(m.get(&format!("{duration}_count"), &[]), 7.0);
    assert_eq!(m.get(&format!("{duration}_bucket"), &[("le", "+Inf")]), 7.0);
    assert!(m.get(&format!("{duration}_sum"), &[]) > 0.0);
    let buckets: Vec<(f64, f64)> = m
        .samples
        .iter()
        .filter(|((name, _), _)| *name == format!("{duration}_bucket"))
        .map(|((_, labels), v)| {
            let le = &labels["le"];
            (
                if le == "+Inf" {
                    f64::INFINITY
                } else {
                    le.parse().unwrap()
                },
                *v,
            )
        })
        .collect();
    assert!(buckets.len() > 5, "{buckets:?}");
    let mut sorted = buckets.clone();
    sorted.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
    assert!(sorted.windows(2).all(|w| w[0].1 <= w[1].1), "{sorted:?}");

    // One run, completed (the failures were covered by continue and skip).
    assert_eq!(
        m.get("flowtoy_runs_total", &[("outcome", "completed")]),
        1.0
    );
    assert_eq!(m.get("flowtoy_runs_total", &[("outcome", "halted")]), 0.0);
    assert_eq!(
        m.get("flowtoy_runs_total", &[("outcome", "cancelled")]),
        0.0
    );

    // process: ok1, ok2, broken, flaky twice, doomed, three items = 9 calls;
    // broken, flaky's first try and doomed failed. env: one call.
    let calls = "flowtoy_provider_calls_total";
    let failures = "flowtoy_provider_failures_total";
    assert_eq!(m.get(calls, &[("type", "process")]), 9.0, "{text}");
    assert_eq!(m.get(failures, &[("type", "process")]), 3.0, "{text}");
    assert_eq!(m.get(calls, &[("type", "env")]), 1.0);
    assert_eq!(m.get(failures, &[("type", "env")]), 0.0);
    assert_eq!(m.get("flowtoy_retries_total", &[]), 1.0);

    // The numbers agree with the status.
    let status = server.status();
    assert_eq!(status["steps"]["flaky"]["attempt"], 2);
    assert_eq!(status["steps"]["after_doomed"]["state"], "skipped");
    server.interrupt();
}
