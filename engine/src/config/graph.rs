//! The dependency graph: explicit `depends_on` plus implicit `flows.NAME`
//! references (SPEC R8a), missing steps and cycles (R6), and run waves.

use super::model::StepDef;
use crate::error::{Problem, ProblemKind};

/// Why one step depends on another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EdgeKind {
    /// Named in `depends_on`.
    pub explicit: bool,
    /// Referenced by a template as `flows.NAME`.
    pub implicit: bool,
}

/// Steps by index (file order) and their dependencies.
#[derive(Debug, Clone, Default)]
pub struct Graph {
    /// `deps[i]`: the steps `i` depends on, with why.
    pub deps: Vec<Vec<(usize, EdgeKind)>>,
    /// `dependents[i]`: the steps that depend on `i`, in file order.
    pub dependents: Vec<Vec<usize>>,
}

impl Graph {
    /// Builds the graph. `references[i]` are the step names step `i`'s templates
    /// mention. Missing steps and cycles come back as problems, all of them.
    pub fn build(steps: &[StepDef], references: &[Vec<String>]) -> Result<Graph, Vec<Problem>> {
        let index: foldhash::HashMap<&str, usize> = steps
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.as_str(), i))
            .collect();
        let mut graph = Graph {
            deps: vec![Vec::new(); steps.len()],
            dependents: vec![Vec::new(); steps.len()],
        };
        let mut problems = Vec::new();
        for (i, step) in steps.iter().enumerate() {
            let mut missing: Vec<&str> = Vec::new();
            let named = step.depends_on.iter().map(|d| (d.as_str(), true));
            let referenced = references
                .get(i)
                .into_iter()
                .flatten()
                .map(|d| (d.as_str(), false));
            for (dep, explicit) in named.chain(referenced) {
                match index.get(dep) {
                    Some(&j) => {
                        let edges = &mut graph.deps[i];
                        let pos = match edges.iter().position(|(k, _)| *k == j) {
                            Some(pos) => pos,
                            None => {
                                edges.push((j, EdgeKind::default()));
                                edges.len() - 1
                            }
                        };
                        if explicit {
                            edges[pos].1.explicit = true;
                        } else {
                            edges[pos].1.implicit = true;
                        }
                    }
                    None if !missing.contains(&dep) => missing.push(dep),
                    None => {}
                }
            }
            if !missing.is_empty() {
                let list = missing
                    .iter()
                    .map(|m| format!("'{m}'"))
                    .collect::<Vec<_>>()
                    .join(", ");
                problems.push(
                    step.problem(format!(
                        "Step '{}' depends on missing step(s): {list}",
                        step.name
                    ))
                    .of_kind(ProblemKind::MissingDependency),
                );
            }
        }
        for (i, edges) in graph.deps.iter().enumerate() {
            for (j, _) in edges {
                graph.dependents[*j].push(i);
            }
        }
        for cycle in graph.cycles() {
            let mut path: Vec<&str> = cycle.iter().map(|&i| steps[i].name.as_str()).collect();
            // A cycle through thousands of steps is shown by its ends.
            let hidden = format!("... {} more ...", path.len().saturating_sub(10));
            if path.len() > 11 {
                path.splice(8..path.len() - 2, [hidden.as_str()]);
            }
            problems.push(
                steps[cycle[0]]
                    .problem(format!("dependency cycle: {}", path.join(" -> ")))
                    .of_kind(ProblemKind::Cycle),
            );
        }
        if problems.is_empty() {
            Ok(graph)
        } else {
            Err(problems)
        }
    }

    /// Number of steps.
    pub fn len(&self) -> usize {
        self.deps.len()
    }

    /// True when there are no steps.
    pub fn is_empty(&self) -> bool {
        self.deps.is_empty()
    }

    /// One path per cycle found, closed (`[a, b, c, a]`: a depends on b, ...).
    fn cycles(&self) -> Vec<Vec<usize>> {
        // Kahn's algorithm leaves exactly the steps on or behind a cycle.
        let n = self.len();
        let mut remaining: Vec<usize> = self.deps.iter().map(Vec::len).collect();
        let mut queue: Vec<usize> = (0..n).filter(|&i| remaining[i] == 0).collect();
        let mut done = vec![false; n];
        while let Some(i) = queue.pop() {
            done[i] = true;
            for &d in &self.dependents[i] {
                remaining[d] -= 1;
                if remaining[d] == 0 {
                    queue.push(d);
                }
            }
        }
        let mut cycles = Vec::new();
        // Each step is walked through once: a walk that reaches a step an
        // earlier walk went through would only find that walk's cycle again
        // (this keeps a long chain behind a cycle linear, not quadratic).
        let mut walked = vec![false; n];
        let mut on_path: Vec<Option<usize>> = vec![None; n];
        for start in 0..n {
            if done[start] || walked[start] {
                continue;
            }
            // Walk dependencies among unfinished steps until a step repeats.
            let mut path = Vec::new();
            let mut cur = start;
            let mut closed = false;
            while !walked[cur] {
                walked[cur] = true;
                on_path[cur] = Some(path.len());
                path.push(cur);
                match self.deps[cur].iter().map(|(d, _)| *d).find(|&d| !done[d]) {
                    Some(next) => cur = next,
                    None => break,
                }
                closed = on_path[cur].is_some();
            }
            let from = if closed { on_path[cur] } else { None };
            for &i in &path {
                on_path[i] = None;
            }
            let Some(from) = from else {
                continue;
            };
            let mut cycle: Vec<usize> = path[from..].to_vec();
            // Start the cycle at its earliest step in file order.
            let min_pos = cycle
                .iter()
                .enumerate()
                .min_by_key(|(_, &i)| i)
                .map(|(p, _)| p)
                .unwrap_or(0);
            cycle.rotate_left(min_pos);
            cycle.push(cycle[0]);
            cycles.push(cycle);
        }
        cycles
    }

    /// Steps grouped by the order they can run in: wave 1 has no
    /// dependencies, wave k depends only on earlier waves.
    pub fn waves(&self) -> Vec<Vec<usize>> {
        let mut level = vec![0usize; self.len()];
        let mut remaining: Vec<usize> = self.deps.iter().map(Vec::len).collect();
        let mut current: Vec<usize> = (0..self.len()).filter(|&i| remaining[i] == 0).collect();
        let mut waves = Vec::new();
        let mut depth = 0;
        while !current.is_empty() {
            current.sort_unstable();
            let mut next = Vec::new();
            for &i in &current {
                level[i] = depth;
                for &d in &self.dependents[i] {
                    remaining[d] -= 1;
                    if remaining[d] == 0 {
                        next.push(d);
                    }
                }
            }
            waves.push(std::mem::take(&mut current));
            current = next;
            depth += 1;
        }
        waves
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{InputSpec, SourceRef};

    fn step(name: &str, deps: &[&str]) -> StepDef {
        StepDef {
            name: name.into(),
            source: SourceRef::Named("env".into()),
            input: InputSpec::None,
            output: vec![],
            depends_on: deps.iter().map(|d| d.to_string()).collect(),
            on_error: None,
            run_control: None,
            file: None,
            line: None,
        }
    }

    #[test]
    fn diamond_waves() {
        let steps = vec![
            step("a", &[]),
            step("b", &["a"]),
            step("c", &[]),
            step("d", &["b"]),
        ];
        let refs = vec![vec![], vec![], vec!["a".into()], vec!["c".into()]];
        let g = Graph::build(&steps, &refs).unwrap();
        assert_eq!(g.waves(), vec![vec![0], vec![1, 2], vec![3]]);
        assert_eq!(
            g.deps[2],
            vec![(
                0,
                EdgeKind {
                    explicit: false,
                    implicit: true
                }
            )]
        );
    }

    #[test]
    fn missing_steps_message_shape() {
        let steps = vec![
            step("step1", &[]),
            step("step2", &["missing1", "step1", "missing2"]),
        ];
        let problems = Graph::build(&steps, &[vec![], vec![]]).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].to_string(),
            "Step 'step2' depends on missing step(s): 'missing1', 'missing2'"
        );
    }

    #[test]
    fn cycle_is_shown() {
        let steps = vec![
            step("x", &[]),
            step("a", &["b"]),
            step("b", &["c"]),
            step("c", &["a"]),
            step("d", &["a"]),
        ];
        let problems = Graph::build(&steps, &vec![vec![]; 5]).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0]
                .message
                .ends_with("dependency cycle: a -> b -> c -> a"),
            "{}",
            problems[0]
        );
    }

    #[test]
    fn self_reference_is_a_cycle() {
        let steps = vec![step("a", &[])];
        let problems = Graph::build(&steps, &[vec!["a".into()]]).unwrap_err();
        assert!(problems[0].message.contains("a -> a"));
    }
}
