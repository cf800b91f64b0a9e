//! Inputs the fuzz targets in `fuzz/` (and the hardening work) found
//! troublesome, kept as regression tests: each must load (or render) to a
//! result or a clear error, without a panic, a hang or a stack overflow.
//! See docs/fuzzing.md; the inputs live in `tests/fixtures/fuzz/<target>/`.

use flowtoy::template::{payload_extras, Templates};
use minijinja::Value;
use std::path::PathBuf;

/// Every file kept for one fuzz target.
fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fuzz")
        .join(target);
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok())
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let bytes = std::fs::read(e.path()).expect("read input");
            (name, bytes)
        })
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no inputs kept for {target}");
    files
}

/// What the `config_load` target does with one input.
fn config_load(data: &[u8]) -> Result<usize, String> {
    let Ok(text) = std::str::from_utf8(data) else {
        return Err("not UTF-8".into());
    };
    match flowtoy::config::load_yaml_str("fuzz.yaml", text) {
        Ok(config) => {
            let waves = config.graph().waves();
            assert_eq!(
                waves.iter().map(Vec::len).sum::<usize>(),
                config.flow().len()
            );
            Ok(config.flow().len())
        }
        Err(e) => {
            assert!(e.is_config(), "not a configuration error: {e}");
            Err(e.to_string())
        }
    }
}

/// What the `template_render` target does with one input.
fn template_render(data: &[u8]) -> Option<Result<String, String>> {
    let text = std::str::from_utf8(data).ok()?;
    let (source, context) = text.split_once('\0').unwrap_or((text, "{}"));
    let json: serde_json::Value = serde_json::from_str(context).unwrap_or(serde_json::Value::Null);
    let mut extras = payload_extras(&Some(json.clone()));
    extras.push(("flows", flowtoy::template::to_value(&json)));
    extras.push(("result", flowtoy::template::to_value(&json)));
    let ctx = Value::from_pairs(extras);
    // A smaller cap on rendered text than a run's 64 MiB keeps the replay of
    // inputs that print millions of items quick in a debug build.
    let mut templates = Templates::new().with_render_limit(1 << 20);
    let _ = flowtoy::template::references(source);
    Some(match templates.compile(source) {
        Ok(()) => templates.render(source, &ctx),
        Err(e) => Err(e),
    })
}

#[test]
fn config_load_inputs_give_a_config_or_a_clear_error() {
    for (name, data) in inputs("config_load") {
        match config_load(&data) {
            Ok(steps) => println!("{name}: valid, {steps} steps"),
            Err(message) => {
                assert!(message.contains("fuzz.yaml"), "{name}: {message}");
                println!("{name}: {}", message.lines().nth(1).unwrap_or(&message));
            }
        }
    }
}

#[test]
fn deep_nesting_and_long_cycles_are_reported_briefly() {
    let deep = b"flow: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[";
    let message = config_load(deep).unwrap_err();
    assert!(message.contains("nested more than 256 levels"), "{message}");
    let (_, chain) = inputs("config_load")
        .into_iter()
        .find(|(n, _)| n == "cycle_behind_long_chain.yaml")
        .expect("kept input");
    let message = config_load(&chain).unwrap_err();
    assert!(message.contains("dependency cycle: s0 -> s0"), "{message}");
    assert!(message.len() < 500, "{message}");
}

#[test]
fn template_render_inputs_render_or_give_an_error() {
    for (name, data) in inputs("template_render") {
        match template_render(&data) {
            Some(Ok(text)) => println!("{name}: rendered {} bytes", text.len()),
            Some(Err(message)) => println!("{name}: {message}"),
            None => println!("{name}: not UTF-8"),
        }
    }
}

#[test]
fn repeating_strings_and_sequences_is_bounded() {
    // Found by the fuzzer: `x * N` built the whole repeated value. minijinja 3
    // refuses results over 100 million items or bytes, and an empty sequence
    // repeated any number of times is empty at once.
    for (template, expected) in [
        (
            r#"{{ "2622" * 222222227 }}"#,
            Err("repeated string is too large"),
        ),
        ("{{ [1, 2] * 1000000000 }}", Err("too large")),
        ("{{ (() * 444444454) | length }}", Ok("0")),
        // Found by the fuzzer after the move to minijinja 3: a list of 49
        // million items (under its cap) printed into gigabytes of text
        // (`list_repetition_printed`). Rendered text is capped (here at 1 MiB).
        ("{{ ['x' * 100000] * 100 }}", Err("renders more than 1 MiB")),
        (
            "{{ ('x' * 2000000) ~ 'y' }}",
            Err("renders more than 1 MiB"),
        ),
        ("{{ (['x' * 1000] * 100) | length }}", Ok("100")),
        (r#"{{ "ab" * 3 }}"#, Ok("ababab")),
    ] {
        let got = template_render(template.as_bytes()).expect("UTF-8");
        match (expected, &got) {
            (Ok(want), Ok(text)) => assert_eq!(text, want, "{template}"),
            (Err(want), Err(message)) => assert!(message.contains(want), "{template}: {message}"),
            _ => panic!("{template}: expected {expected:?}, got {got:?}"),
        }
    }
}
