//! Template compile + render with an arbitrary context: the input is a
//! template, a NUL byte, then JSON for the context (`flows`, `input`, ...).
//! Every input must render or give an error message, never panic or hang.
#![no_main]

use flowtoy::template::{payload_extras, Templates};
use libfuzzer_sys::fuzz_target;
use minijinja::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (source, context) = text.split_once('\0').unwrap_or((text, "{}"));
    let json: serde_json::Value = serde_json::from_str(context).unwrap_or(serde_json::Value::Null);
    let mut extras = payload_extras(&Some(json.clone()));
    extras.push(("flows", flowtoy::template::to_value(&json)));
    extras.push(("result", flowtoy::template::to_value(&json)));
    let ctx = Value::from_pairs(extras);
    let mut templates = Templates::new().with_render_limit(1 << 20);
    if templates.compile(source).is_ok() {
        let _ = templates.render(source, &ctx);
    }
    let _ = flowtoy::template::references(source);
});
