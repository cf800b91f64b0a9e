//! Running one test in a process of its own, for the few tests that change
//! process-wide state (the environment, the global `tracing` subscriber)
//! that the other tests of this binary share.
//!
//! ```ignore
//! #[test]
//! fn a_test() {
//!     if own_process::ran_alone("module::a_test", &[("VAR", "value")]) {
//!         return;
//!     }
//!     // The body: runs in a process where only this test runs, with VAR set.
//! }
//! ```

use std::process::Command;

/// Set, to the test's name, in the process that runs it alone.
const MARK: &str = "FLOWTOY_TEST_OWN_PROCESS";

/// In the test run: runs the test `name` (its path in this binary, as
/// `cargo test` lists it) again, alone, in a new process of this test binary
/// with `env` added to its environment, asserts that it passed, and returns
/// true: the caller has nothing left to do. In that new process: returns
/// false, and the caller goes on with the test's body.
pub fn ran_alone(name: &str, env: &[(&str, &str)]) -> bool {
    if std::env::var_os(MARK).is_some_and(|mark| mark == name) {
        return false;
    }
    let out = Command::new(std::env::current_exe().expect("the test binary's path"))
        .args([name, "--exact", "--test-threads=1"])
        .env(MARK, name)
        .envs(env.iter().copied())
        .output()
        .expect("run the test binary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("test result: ok. 1 passed"),
        "{name}, run alone, did not pass:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    true
}
