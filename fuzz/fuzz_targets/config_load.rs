//! Configuration load + validate on arbitrary bytes taken as a YAML file:
//! every input must give a `Config` or a configuration error, never a panic,
//! a hang or unbounded memory.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Files that are not UTF-8 are refused before parsing (tested elsewhere).
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match flowtoy::config::load_yaml_str("fuzz.yaml", text) {
        Ok(config) => {
            // A valid configuration has a usable graph.
            let waves = config.graph().waves();
            assert_eq!(waves.iter().map(Vec::len).sum::<usize>(), config.flow().len());
        }
        Err(e) => {
            assert!(e.is_config());
            let _ = e.to_string();
        }
    }
});
