//! Differential: whenever flowtoy's streaming YAML reader decides a text
//! alone, `serde_yaml` (the reference it stands in for) must read the same
//! value from it. Also: no panic, hang or unbounded memory in the reader.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(ours) = flowtoy::config::read_yaml_streaming(text) {
        match serde_yaml::from_str::<serde_json::Value>(text) {
            Ok(reference) => assert_eq!(ours, reference, "different values for {text:?}"),
            Err(e) => panic!("read {ours} where serde_yaml says {e}: {text:?}"),
        }
    }
});
