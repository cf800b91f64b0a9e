//! Building and installing the plugin libraries the plugin tests load.
//!
//! The libraries are built by the first test that needs them, with the same
//! cargo and target directory as the test run (`cargo build -p ...`), so a
//! fresh checkout needs no manual step. Each test links or copies the ones
//! it wants into a plugin directory of its own.

use crate::common::Test;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The plugin libraries the tests load.
pub struct Libraries {
    pub file: PathBuf,
    pub env: PathBuf,
    pub process: PathBuf,
    pub misbehaving: PathBuf,
    pub future_api: PathBuf,
    pub other_layout: PathBuf,
    pub executor: PathBuf,
    pub logging: PathBuf,
    /// Exported as plugins were before the hook and executor symbols.
    pub api_v1: PathBuf,
}

/// Builds the plugin libraries once per test binary and returns their paths.
pub fn libraries() -> &'static Libraries {
    static LIBRARIES: OnceLock<Libraries> = OnceLock::new();
    LIBRARIES.get_or_init(|| {
        let crates = [
            "flowtoy_plugin_file",
            "flowtoy_plugin_env",
            "flowtoy_plugin_process",
            "flowtoy_plugin_testing_misbehaving",
            "flowtoy_plugin_testing_future_api",
            "flowtoy_plugin_testing_other_layout",
            "flowtoy_plugin_testing_executor",
            "flowtoy_plugin_testing_logging",
            "flowtoy_plugin_testing_api_v1",
        ];
        let built = build_cdylibs(&crates);
        let path = |name: &str| {
            built
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, p)| p.clone())
                .unwrap_or_else(|| panic!("cargo built no library for {name}: {built:?}"))
        };
        Libraries {
            file: path(crates[0]),
            env: path(crates[1]),
            process: path(crates[2]),
            misbehaving: path(crates[3]),
            future_api: path(crates[4]),
            other_layout: path(crates[5]),
            executor: path(crates[6]),
            logging: path(crates[7]),
            api_v1: path(crates[8]),
        }
    })
}

/// Runs `cargo build` for the cdylib crates (lib names given, package names
/// derived) in this run's target directory; returns (lib name, library path).
fn build_cdylibs(lib_names: &[&str]) -> Vec<(String, PathBuf)> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // CARGO_BIN_EXE_flowtoy is <target dir>/<profile>/flowtoy.
    let target_dir = Path::new(env!("CARGO_BIN_EXE_flowtoy"))
        .parent()
        .and_then(Path::parent)
        .expect("target dir");
    let mut cmd = Command::new(cargo);
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "build",
            "--message-format=json-render-diagnostics",
            "--target-dir",
        ])
        .arg(target_dir);
    for name in lib_names {
        cmd.args(["-p", &name.replace('_', "-")]);
    }
    let out = cmd.output().expect("run cargo build");
    assert!(
        out.status.success(),
        "building the plugin libraries failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|msg| msg["reason"] == "compiler-artifact")
        .filter(|msg| lib_names.iter().any(|n| msg["target"]["name"] == *n))
        .flat_map(|msg| {
            let name = msg["target"]["name"].as_str().unwrap_or("").to_string();
            msg["filenames"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|f| f.as_str().map(PathBuf::from))
                .filter(|f| flowtoy::plugins::is_library_file(f))
                .map(move |f| (name.clone(), f))
        })
        .collect()
}

/// Links `library` into `dir` (relative to the test's temp dir) as `as_name`.
pub fn install(t: &Test, dir: &str, library: &Path, as_name: &str) {
    let dir = t.path(dir);
    std::fs::create_dir_all(&dir).expect("plugin dir");
    std::os::unix::fs::symlink(library, dir.join(as_name)).expect("symlink library");
}

/// Copies `library` into `dir` as `as_name` (a distinct file, not a link).
pub fn copy(t: &Test, dir: &str, library: &Path, as_name: &str) {
    let dir = t.path(dir);
    std::fs::create_dir_all(&dir).expect("plugin dir");
    std::fs::copy(library, dir.join(as_name)).expect("copy library");
}
