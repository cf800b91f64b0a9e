//! How flowtoy fits its ecosystem (issue 17): logging conventions
//! (`RUST_LOG`, colour), secrets read through the template `env` context
//! (SPEC R37), plugin directories other users can write to, the man page and
//! the JSON Schema of the flow format (SPEC R36).

use crate::common;

use common::Test;

/// A flow whose one step logs at info level (`step started`).
const ECHO_FLOW: &str = r#"
flow:
  - name: hello
    source: {type: process, configuration: {command: [echo]}}
    input: hi
    output: [{name: text}]
"#;

/// True when `text` holds an ANSI escape sequence (colour codes).
fn has_ansi(text: &str) -> bool {
    text.contains("\x1b[")
}

// ---- logging ----------------------------------------------------------------

#[test]
fn rust_log_sets_the_log_filter() {
    let flow = || {
        Test::new()
            .file("f.yaml", ECHO_FLOW)
            .file("plugins/notes.txt", "not a plugin")
            .args(["run", "f.yaml", "--plugin-dir", "plugins"])
    };
    let out = flow().env("RUST_LOG", "debug").run();
    out.success()
        .stderr_has("DEBUG")
        .stderr_has("ignoring plugins/notes.txt")
        .stderr_has("INFO");
    // A directive string: debug lines of one module, warnings of the rest.
    let out = flow().env("RUST_LOG", "warn,flowtoy::plugins=debug").run();
    out.success().stderr_has("ignoring plugins/notes.txt");
    assert!(!out.stderr().contains("INFO"), "{}", out.stderr());
}

#[test]
fn the_command_line_wins_over_rust_log() {
    let out = Test::new()
        .file("f.yaml", ECHO_FLOW)
        .env("RUST_LOG", "debug")
        .args(["run", "f.yaml", "--log-level", "warn"])
        .run();
    out.success();
    assert!(!out.stderr().contains("DEBUG"), "{}", out.stderr());
    assert!(!out.stderr().contains("INFO"), "{}", out.stderr());
    let out = Test::new()
        .file("f.yaml", ECHO_FLOW)
        .env("RUST_LOG", "error")
        .args(["run", "f.yaml", "-v"])
        .run();
    out.success().stderr_has("INFO");
}

#[test]
fn an_invalid_rust_log_is_a_warning() {
    Test::new()
        .file("f.yaml", ECHO_FLOW)
        .env("RUST_LOG", "debug=[")
        .args(["run", "f.yaml"])
        .run()
        .success()
        .stderr_has("warning: RUST_LOG \"debug=[\" is not a log filter");
}

#[test]
fn log_lines_into_a_pipe_carry_no_colour() {
    let out = Test::new()
        .file("f.yaml", ECHO_FLOW)
        .args(["run", "-vv", "f.yaml"])
        .run();
    out.success().stderr_has("INFO");
    assert!(!has_ansi(&out.stderr()), "{:?}", out.stderr());
}

#[test]
fn color_always_colours_and_no_color_wins_over_auto() {
    let t = Test::new().file("f.yaml", ECHO_FLOW);
    let out = t.run_with(["run", "-v", "--color", "always", "f.yaml"]);
    out.success();
    assert!(has_ansi(&out.stderr()), "{:?}", out.stderr());
    let t = Test::new().file("f.yaml", ECHO_FLOW).env("NO_COLOR", "1");
    for color in ["auto", "never"] {
        let out = t.run_with(["run", "-v", "--color", color, "f.yaml"]);
        out.success().stderr_has("INFO");
        assert!(!has_ansi(&out.stderr()), "{color}: {:?}", out.stderr());
    }
}

// ---- secrets read through `env` (R37) ---------------------------------------

const TOKEN: &str = "ghp_supersecret123";

/// Echoes the token read through `env`, and fails with it in the error.
const ENV_TOKEN_FLOW: &str = r#"
flow:
  - name: echo_token
    source: {type: process, configuration: {command: [echo], log_full_command: true}}
    input: "token={{ env.GITHUB_TOKEN }}"
    output: [{name: said}]
  - name: fails_with_token
    source: {type: process, configuration: {command: ["/no/such/{{ env.GITHUB_TOKEN }}"]}}
    on_error: continue
"#;

fn env_token_flow() -> Test {
    Test::new()
        .file("f.yaml", ENV_TOKEN_FLOW)
        .env("GITHUB_TOKEN", TOKEN)
}

fn assert_no_token(place: &str, text: &str) {
    assert!(!text.contains(TOKEN), "{place} shows the token:\n{text}");
}

#[test]
fn a_token_read_through_env_never_shows() {
    let out = env_token_flow()
        .args(["run", "-j", "-vv", "-o", "out.json", "f.yaml"])
        .run();
    out.success()
        .stderr_has("running echo token=***REDACTED***")
        .stderr_has("cannot start '/no/such/***REDACTED***'");
    assert_no_token("stdout", &out.stdout());
    assert_no_token("stderr", &out.stderr());
    assert_no_token("the -o file", &out.read("out.json"));
    assert_eq!(
        out.stdout_json()["echo_token"]["said"],
        "token=***REDACTED***"
    );
    let human = env_token_flow().args(["run", "f.yaml"]).run();
    human.success().stdout_has("token=***REDACTED***");
    assert_no_token("human stdout", &human.stdout());
    assert_no_token("stderr", &human.stderr());
}

#[test]
fn a_failing_step_shows_the_token_masked_in_its_error() {
    let out = Test::new()
        .file(
            "f.yaml",
            "flow:\n  - name: bad\n    source: {type: process, configuration: {command: [\"/no/such/{{ env.DEPLOY_PASSWORD }}\"]}}\n",
        )
        .env("DEPLOY_PASSWORD", TOKEN)
        .args(["run", "f.yaml"])
        .run();
    out.code_is(1)
        .stderr_has("cannot start '/no/such/***REDACTED***'");
    assert_no_token("stderr", &out.stderr());
}

#[test]
fn the_status_api_never_shows_a_token_read_through_env() {
    use std::io::BufRead;
    let t = env_token_flow().args(["run", "-q", "--status-port", "0", "f.yaml"]);
    let mut child = t
        .command()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn flowtoy");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = std::io::BufReader::new(stderr).lines();
    let mut url = None;
    let mut seen = String::new();
    for line in lines.by_ref() {
        let line = line.unwrap_or_default();
        seen.push_str(&line);
        seen.push('\n');
        if let Some(rest) = line.strip_prefix("flowtoy: status API at ") {
            url = rest.split("/status").next().map(str::to_string);
        }
        if line.contains("the run has ended") {
            break;
        }
    }
    let bodies: Vec<(String, String)> = match &url {
        Some(url) => ["/outputs", "/status"]
            .iter()
            .map(|path| {
                let body = reqwest::blocking::Client::new()
                    .get(format!("{url}{path}"))
                    .timeout(std::time::Duration::from_secs(5))
                    .send()
                    .and_then(|r| r.text())
                    .unwrap_or_else(|e| format!("GET {path} failed: {e}"));
                (path.to_string(), body)
            })
            .collect(),
        None => Vec::new(),
    };
    // SIGTERM: the server stops; then the rest of stderr can be read.
    // SAFETY: kill(2) on our own child's pid; no memory is involved.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    for line in lines {
        seen.push_str(&line.unwrap_or_default());
        seen.push('\n');
    }
    let _ = child.wait();
    assert!(url.is_some(), "no status API URL on stderr:\n{seen}");
    assert_no_token("stderr", &seen);
    for (path, body) in bodies {
        assert_no_token(&path, &body);
        assert!(body.contains("***REDACTED***"), "{path}: {body}");
    }
}

// ---- plugin libraries other users can write to ------------------------------

/// Builds the example `file` plugin (as the plugin tests do, in this run's
/// target directory) and returns the library's path.
fn file_plugin() -> &'static std::path::Path {
    static LIBRARY: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    LIBRARY.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        // CARGO_BIN_EXE_flowtoy is <target dir>/<profile>/flowtoy.
        let bin = std::path::Path::new(env!("CARGO_BIN_EXE_flowtoy"));
        let target_dir = bin.parent().and_then(|p| p.parent()).expect("target dir");
        let out = std::process::Command::new(cargo)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["build", "-p", "flowtoy-plugin-file", "--target-dir"])
            .arg(target_dir)
            .output()
            .expect("run cargo build");
        assert!(
            out.status.success(),
            "building the file plugin failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let library = bin.with_file_name("libflowtoy_plugin_file.so");
        assert!(library.exists(), "no {}", library.display());
        library
    })
}

/// A flow that needs the `file` plugin, with a copy of it in `plugins/`
/// given the permissions `library_mode` and `dir_mode`.
fn flow_with_file_plugin(library_mode: u32, dir_mode: u32) -> Test {
    use std::os::unix::fs::PermissionsExt;
    let t = Test::new().file(
        "f.yaml",
        "flow:\n  - name: list\n    source: {type: file, configuration: {action: glob}}\n    input: \"*.yaml\"\n    output: [{name: files}]\n",
    );
    let dir = t.path("plugins");
    std::fs::create_dir_all(&dir).expect("plugin dir");
    let library = dir.join("libflowtoy_plugin_file.so");
    std::fs::copy(file_plugin(), &library).expect("copy the plugin");
    let chmod = |path: &std::path::Path, mode| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod")
    };
    chmod(&library, library_mode);
    chmod(&dir, dir_mode);
    t
}

#[test]
fn a_world_writable_plugin_is_refused_naming_it() {
    let out = flow_with_file_plugin(0o666, 0o755)
        .args(["run", "f.yaml", "--plugin-dir", "plugins"])
        .run();
    out.code_is(2)
        .no_panic()
        .stderr_has("plugins/libflowtoy_plugin_file.so")
        .stderr_has("is writable by its group and all other users (mode 0666)")
        .stderr_has("`chmod go-w plugins/libflowtoy_plugin_file.so`")
        .stderr_has("--allow-insecure-plugins");
    let listed = flow_with_file_plugin(0o646, 0o755)
        .args(["plugins", "--plugin-dir", "plugins"])
        .run();
    listed
        .success()
        .stderr_has("was not loaded: it is writable by all other users");
    assert!(!listed.stdout().contains("\nfile "), "{}", listed.stdout());
}

#[test]
fn allow_insecure_plugins_loads_it_with_a_warning() {
    let out = flow_with_file_plugin(0o666, 0o777)
        .args(["run", "-j", "f.yaml", "--plugin-dir", "plugins"])
        .args(["--allow-insecure-plugins"])
        .run();
    out.success()
        .stderr_has("warning: plugin directory plugins is writable by")
        .stderr_has("warning: plugin library plugins/libflowtoy_plugin_file.so is writable by")
        .stderr_has("loading it anyway");
    assert_eq!(
        out.stdout_json()["list"]["files"],
        serde_json::json!(["f.yaml"])
    );
}

#[test]
fn a_world_writable_plugin_directory_is_an_error() {
    let out = flow_with_file_plugin(0o755, 0o777)
        .args(["validate", "f.yaml", "--plugin-dir", "plugins"])
        .run();
    out.code_is(2)
        .stderr_has("plugin directory plugins was refused: it is writable by")
        .stderr_has("`chmod go-w plugins`");
}

// ---- the JSON Schema of flow files (R36) ------------------------------------

/// The committed schema.
fn committed_schema() -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/flowtoy.schema.json");
    let text = std::fs::read_to_string(path).expect("read schema/flowtoy.schema.json");
    serde_json::from_str(&text).expect("the schema is JSON")
}

fn validator() -> jsonschema::Validator {
    let schema = committed_schema();
    assert!(
        jsonschema::draft202012::meta::is_valid(&schema),
        "not a valid draft 2020-12 schema"
    );
    jsonschema::draft202012::new(&schema).expect("the schema compiles")
}

/// YAML text as the JSON value a validator sees, read by flowtoy's own reader.
fn yaml(text: &str) -> serde_json::Value {
    flowtoy::config::parse_yaml(text).unwrap_or_else(|(e, _)| panic!("not YAML ({e}):\n{text}"))
}

/// The schema's errors for `text`, as lines.
fn schema_errors(validator: &jsonschema::Validator, text: &str) -> Vec<String> {
    let value = yaml(text);
    validator
        .iter_errors(&value)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

#[test]
fn flowtoy_schema_prints_the_committed_schema() {
    let out = Test::new().args(["schema"]).run();
    out.success();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/flowtoy.schema.json");
    let committed = std::fs::read_to_string(path).expect("read the committed schema");
    assert!(
        out.stdout() == committed,
        "schema/flowtoy.schema.json is not what `flowtoy schema` prints; \
         regenerate it: cargo run -- schema > schema/flowtoy.schema.json"
    );
}

#[test]
fn every_example_flow_is_valid() {
    let validator = validator();
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/examples");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).expect("examples/") {
        let path = entry.expect("dir entry").path();
        if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            let text = std::fs::read_to_string(&path).expect("read example");
            let errors = schema_errors(&validator, &text);
            assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
            checked += 1;
        }
    }
    assert!(checked >= 5, "only {checked} examples found");
}

/// Flows the loader accepts (some with warnings), and the schema too.
const VALID: [&str; 5] = [
    // Unknown top-level keys and step fields are warnings, not errors.
    "notes: hello\nflow:\n  - {name: a, source: process, descripton: typo, input: x}\n",
    // Every source form; depends_on as one name; a number as a name.
    "sources:\n  s: {type: process, configuration: {command: [echo]}}\nflow:\n  - {name: 1, source: s}\n  - {name: b, source: {type: env, configuration: {vars: [HOME]}}, depends_on: '1'}\n  - {name: c, source: {base: s, override: {configuration: {command: [true]}}}}\n",
    // Every input and output form; nulls taken as not given.
    "runner: {max_workers: 2, on_error: continue}\nplugins: {dirs: null}\nflow:\n  - name: a\n    source: process\n    input: {type: value, value: 3}\n    output:\n      - {name: all}\n      - {name: t, value: '{{ result }}', secret: true}\n      - {name: j, type: jmespath, value: x}\n      - {name: n, type: null}\n    on_error: null\n  - {name: b, source: process, input: {type: body, template: '{{ flows.a.all }}'}}\n  - {name: c, source: process, input: [1, {k: v}]}\n  - {name: d, source: process, input: true, output: null, depends_on: null}\n",
    // Provider configurations are open mappings.
    "flow:\n  - {name: a, source: {type: process, configuration: {command: [echo], anything: {goes: [1]}}}}\n",
    // runner and sources may be empty.
    "sources:\nrunner:\nflow:\n  - {name: a, source: process}\n",
];

/// Flows the loader refuses, and the schema too.
const INVALID: [&str; 10] = [
    "flow:\n  - {source: process}\n",
    "flow:\n  - {name: a, source: process, on_error: sometimes}\n",
    "flow: {name: a, source: process}\n",
    "flow:\n  - {name: a, source: process, output: [{name: x, type: xml}]}\n",
    "runner: {max_workers: 0}\nflow:\n  - {name: a, source: process}\n",
    "flow:\n  - {name: a, source: {configuration: {command: [echo]}}}\n",
    "flow:\n  - {name: a, source: process, input: {type: value}}\n",
    "flow:\n  - {name: a, source: process, output: [{name: x, type: jmespath}]}\n",
    "flow:\n  - {name: a}\n",
    "flow: []\n",
];

#[test]
fn the_schema_accepts_and_refuses_what_the_loader_does() {
    let validator = validator();
    for text in VALID {
        let errors = schema_errors(&validator, text);
        assert!(errors.is_empty(), "schema refuses:\n{text}\n{errors:#?}");
        let loaded = flowtoy::Loader::new()
            .without_plugin_path_var()
            .load_str("valid.yaml", text);
        assert!(loaded.is_ok(), "the loader refuses:\n{text}\n{loaded:?}");
    }
    for text in INVALID {
        let errors = schema_errors(&validator, text);
        assert!(!errors.is_empty(), "schema accepts:\n{text}");
        let loaded = flowtoy::Loader::new()
            .without_plugin_path_var()
            .load_str("invalid.yaml", text);
        assert!(loaded.is_err(), "the loader accepts:\n{text}");
    }
}

#[test]
fn a_file_that_only_overrides_sources_is_valid() {
    // Files merge: a later one may change a source's configuration only.
    let errors = schema_errors(
        &validator(),
        "sources:\n  api: {configuration: {url: 'https://example.invalid'}}\n",
    );
    assert!(errors.is_empty(), "{errors:#?}");
}

// ---- the man page ------------------------------------------------------------

#[test]
fn the_committed_man_pages_are_current() {
    let t = Test::new();
    t.run_with(["man-page", "pages"]).success();
    let committed = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/doc"));
    let names = |dir: &std::path::Path| {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .expect("read dir")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.ends_with(".1"))
            .collect();
        names.sort();
        names
    };
    let fresh = t.path("pages");
    assert_eq!(
        names(committed),
        names(&fresh),
        "regenerate: cargo run -- man-page doc"
    );
    for name in names(&fresh) {
        let read = |dir: &std::path::Path| std::fs::read_to_string(dir.join(&name)).expect("page");
        assert!(
            read(committed) == read(&fresh),
            "doc/{name} is out of date; regenerate: cargo run -- man-page doc"
        );
    }
    assert!(names(&fresh).contains(&"flowtoy.1".to_string()));
    // Without a directory: flowtoy(1) on stdout.
    let out = t.run_with(["man-page"]);
    out.success().stdout_has(".TH flowtoy 1");
}

// ---- packaging ---------------------------------------------------------------

/// `1.88` or `1.88.0` as a comparable triple.
fn version_triple(text: &str) -> (u64, u64, u64) {
    let mut parts = text.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
    let mut next = || parts.next().unwrap_or(0);
    (next(), next(), next())
}

#[test]
fn every_crate_inherits_a_rust_version_the_locked_dependencies_allow() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["metadata", "--format-version", "1", "--locked"])
        .output()
        .expect("run cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let members: Vec<&serde_json::Value> = metadata["workspace_members"]
        .as_array()
        .expect("members")
        .iter()
        .collect();
    let packages = metadata["packages"].as_array().expect("packages");
    let (ours, theirs): (Vec<_>, Vec<_>) =
        packages.iter().partition(|p| members.contains(&&p["id"]));
    let declared = ours[0]["rust_version"].as_str().unwrap_or("none");
    for package in &ours {
        assert_eq!(package["rust_version"], declared, "{}", package["name"]);
        let manifest = std::fs::read_to_string(package["manifest_path"].as_str().expect("path"))
            .expect("read manifest");
        assert!(
            manifest.contains("rust-version.workspace = true"),
            "{} does not inherit the workspace's rust-version",
            package["name"]
        );
    }
    let needed = theirs
        .iter()
        .filter_map(|p| {
            let version = version_triple(p["rust_version"].as_str()?);
            Some((version, p["name"].as_str()?.to_string()))
        })
        .max()
        .expect("dependencies declare rust versions");
    assert!(
        version_triple(declared) >= needed.0,
        "rust-version {declared} is older than {} needs ({:?}); raise it in [workspace.package]",
        needed.1,
        needed.0
    );
}

#[test]
fn the_package_ships_what_a_user_needs_and_no_tests() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["package", "--list", "-p", "flowtoy-cli", "--allow-dirty"])
        .output()
        .expect("run cargo package");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed = String::from_utf8_lossy(&out.stdout);
    let files: Vec<&str> = listed.lines().collect();
    for needed in [
        "LICENSE",
        "README.md",
        "CHANGELOG.md",
        "doc/flowtoy.1",
        "doc/flowtoy-run.1",
        "examples/quickstart.yaml",
        "schema/flowtoy.schema.json",
        "src/main.rs",
    ] {
        assert!(
            files.contains(&needed),
            "{needed} is not shipped:\n{listed}"
        );
    }
    for file in &files {
        assert!(
            !["tests/", "bench/", "fuzz/", "target/", "engine/", "plugins/"]
                .iter()
                .any(|dir| file.starts_with(dir)),
            "{file} is shipped"
        );
    }
}

// ---- advisories -------------------------------------------------------------

/// The RustSec snapshot and its scanner: `shared/` beside the repository
/// (as in CI's clone), or `FLOWTOY_SHARED_DIR`. `None` (after saying why)
/// when they are missing in a developer's run; a failure with `CI=true`.
fn advisory_scanner(test: &str) -> Option<(std::path::PathBuf, std::path::PathBuf)> {
    let shared = std::env::var_os("FLOWTOY_SHARED_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    let scanner = shared.join("tools/rustsec-scan.py");
    let db = shared.join("advisory-db");
    let python = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let why = if !python {
        "python3 is not installed".to_string()
    } else if !scanner.is_file() || !db.join("crates").is_dir() {
        format!(
            "no advisory scanner at {} with a database at {} (set FLOWTOY_SHARED_DIR)",
            scanner.display(),
            db.display()
        )
    } else {
        return Some((scanner, db));
    };
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{test} needs it in CI: {why}"
    );
    eprintln!("skipped {test}: {why}");
    None
}

/// Runs the scanner over `locks`: (exit code, stdout + stderr).
fn scan(
    scanner: &std::path::Path,
    db: &std::path::Path,
    locks: &[&std::path::Path],
) -> (i32, String) {
    let out = std::process::Command::new("python3")
        .arg(scanner)
        .arg(db)
        .args(locks)
        .output()
        .expect("run the advisory scanner");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn the_lock_files_carry_no_vulnerable_or_unsound_crate() {
    let Some((scanner, db)) =
        advisory_scanner("the_lock_files_carry_no_vulnerable_or_unsound_crate")
    else {
        return;
    };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let (lock, fuzz_lock) = (root.join("Cargo.lock"), root.join("fuzz/Cargo.lock"));
    let (code, text) = scan(&scanner, &db, &[&lock, &fuzz_lock]);
    assert!(
        text.contains("fuzz/Cargo.lock"),
        "both lock files are scanned:\n{text}"
    );
    assert_eq!(
        code, 0,
        "a vulnerability or unsound advisory matches:\n{text}"
    );
}

/// The check above can fail: a lock file holding a version that an
/// advisory of the snapshot matches (found in the snapshot itself, so the
/// test holds for newer snapshots) makes the scanner exit 1.
#[test]
fn the_advisory_scanner_fails_on_an_affected_version() {
    let Some((scanner, db)) = advisory_scanner("the_advisory_scanner_fails_on_an_affected_version")
    else {
        return;
    };
    // An advisory that is neither informational nor withdrawn and fixed
    // only by `>= X` releases: version 0.0.0 is affected.
    let mut dirs: Vec<_> = std::fs::read_dir(db.join("crates"))
        .expect("read the advisory database")
        .map(|e| e.expect("entry").path())
        .collect();
    dirs.sort();
    let package = dirs
        .iter()
        .flat_map(|dir| {
            let mut files: Vec<_> = std::fs::read_dir(dir)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .collect();
            files.sort();
            files
        })
        .find_map(|file| {
            let text = std::fs::read_to_string(&file).ok()?;
            let front = text.split("```").nth(1)?;
            let plain = !["informational", "withdrawn", "unaffected"]
                .iter()
                .any(|key| front.lines().any(|l| l.trim_start().starts_with(key)));
            let patched = front.lines().find(|l| l.starts_with("patched"))?;
            let only_ge = patched.matches('"').count() >= 2
                && patched
                    .split('"')
                    .skip(1)
                    .step_by(2)
                    .all(|req| req.starts_with(">=") && !req.contains(','));
            let name = front.lines().find_map(|l| l.strip_prefix("package = "))?;
            (plain && only_ge).then(|| name.trim_matches('"').to_string())
        })
        .expect("the snapshot holds an advisory fixed by a `>=` release");
    let dir = tempfile::tempdir().expect("temp dir");
    let lock = dir.path().join("Cargo.lock");
    std::fs::write(
        &lock,
        format!(
            "version = 4\n\n[[package]]\nname = \"{package}\"\nversion = \"0.0.0\"\n\
             source = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
        ),
    )
    .expect("write the lock file");
    let (code, text) = scan(&scanner, &db, &[&lock]);
    assert_eq!(code, 1, "{package} 0.0.0 is flagged:\n{text}");
    assert!(text.contains(&format!("{package} 0.0.0")), "{text}");
}

// ---- JMESPath results keep the key order ------------------------------------

#[test]
fn jmespath_results_keep_the_key_order_of_the_data_and_the_expression() {
    let out = Test::new()
        .file(
            "f.yaml",
            r#"
flow:
  - name: s
    source: {type: process, configuration: {command: [echo, '{"item": {"z": 1, "a": 2, "m": 3}, "b": "B", "a": "A"}']}}
    output:
      - {name: picked, type: jmespath, value: item}
      - {name: hash, type: jmespath, value: '{b: b, a: a}'}
      - {name: listed, type: jmespath, value: '[item]'}
"#,
        )
        .args(["run", "-j", "f.yaml"])
        .run();
    out.success();
    // The raw text: key order is lost as soon as the JSON is read into a map.
    let compact: String = out.stdout().split_whitespace().collect();
    for expected in [
        r#""picked":{"z":1,"a":2,"m":3}"#,
        r#""hash":{"b":"B","a":"A"}"#,
        r#""listed":[{"z":1,"a":2,"m":3}]"#,
    ] {
        assert!(compact.contains(expected), "{expected} in {compact}");
    }
}
