use super::*;
use serde_json::json;
use std::path::Path;

fn value(text: &str) -> Value {
    match read(text, None) {
        Ok((v, _)) => v,
        Err(e) => panic!("{text:?}: {e:?}"),
    }
}

fn invalid(text: &str) -> Invalid {
    match read(text, None) {
        Ok((v, _)) => panic!("{text:?} read as {v}"),
        Err(e) => e,
    }
}

#[test]
fn plain_scalars_resolve_in_the_core_schema() {
    // As flowtoy has always read them (serde_yaml did, and these were
    // checked against it): YAML 1.2 core, so `yes`/`no`/`on`/`off` and
    // numbers with leading zeros are strings; infinities and NaN are null in
    // JSON; integers beyond 64 bits become floats, as in JSON.
    let cases = [
        ("", json!(null)),
        ("~", json!(null)),
        ("null", json!(null)),
        ("Null", json!(null)),
        ("NULL", json!(null)),
        ("nULL", json!("nULL")),
        ("true", json!(true)),
        ("True", json!(true)),
        ("TRUE", json!(true)),
        ("tRUE", json!("tRUE")),
        ("false", json!(false)),
        ("False", json!(false)),
        ("FALSE", json!(false)),
        ("yes", json!("yes")),
        ("no", json!("no")),
        ("on", json!("on")),
        ("off", json!("off")),
        ("y", json!("y")),
        ("0", json!(0)),
        ("1", json!(1)),
        ("-1", json!(-1)),
        ("+1", json!(1)),
        ("++1", json!("++1")),
        ("+-1", json!("+-1")),
        ("007", json!("007")),
        ("-007", json!("-007")),
        ("0x1f", json!(31)),
        ("0x1F", json!(31)),
        ("0X1f", json!("0X1f")),
        ("-0x1f", json!(-31)),
        ("+0x1f", json!(31)),
        ("0x-1", json!("0x-1")),
        ("0o17", json!(15)),
        ("-0o17", json!(-15)),
        ("0b101", json!(5)),
        ("-0b101", json!(-5)),
        ("0b2", json!("0b2")),
        ("0x", json!("0x")),
        ("1_000", json!("1_000")),
        ("18446744073709551615", json!(18446744073709551615u64)),
        ("18446744073709551616", json!(1.8446744073709552e19)),
        ("-9223372036854775808", json!(i64::MIN)),
        ("-9223372036854775809", json!(-9.223372036854776e18)),
        ("1.5", json!(1.5)),
        ("-1.5", json!(-1.5)),
        ("+1.5", json!(1.5)),
        ("1e3", json!(1000.0)),
        ("-2E-3", json!(-0.002)),
        (".5", json!(0.5)),
        ("5.", json!(5.0)),
        ("00.5", json!(0.5)),
        ("0.1e1", json!(1.0)),
        ("1.0e+400", json!("1.0e+400")),
        (".inf", json!(null)),
        ("-.INF", json!(null)),
        ("+.inf", json!(null)),
        (".nan", json!(null)),
        ("+.nan", json!("+.nan")),
        ("inf", json!("inf")),
        ("NaN", json!("NaN")),
        ("--", json!("--")),
        (".", json!(".")),
        ("+", json!("+")),
        ("1.2.3", json!("1.2.3")),
        ("12:30", json!("12:30")),
        ("1 2", json!("1 2")),
        ("0123abc", json!("0123abc")),
        ("1e", json!("1e")),
        ("2001-12-14", json!("2001-12-14")),
        ("nulls", json!("nulls")),
        ("~x", json!("~x")),
        ("héllo", json!("héllo")),
        ("flows.a", json!("flows.a")),
        ("-x", json!("-x")),
        ("3rd", json!("3rd")),
    ];
    for (scalar, expected) in cases {
        assert_eq!(
            value(&format!("k: {scalar}\n")),
            json!({ "k": expected }),
            "{scalar:?}"
        );
    }
}

#[test]
fn quoted_and_block_scalars_stay_strings() {
    let text = "a: '1'\nb: \"true\"\nc: |\n  012\nd: >\n  null\ne: \"\\u00e9\\t\"\n";
    assert_eq!(
        value(text),
        json!({"a": "1", "b": "true", "c": "012\n", "d": "null\n", "e": "é\t"})
    );
}

#[test]
fn keys_are_their_text() {
    let text = "1: a\ntrue: b\n~: c\n1.50: d\n'q': e\n";
    assert_eq!(
        value(text),
        json!({"1": "a", "true": "b", "~": "c", "1.50": "d", "q": "e"})
    );
    // An alias as a key: the text of what it names.
    let text = "a: &n 1\nb: &k key\n*n : x\n*k : y\n";
    assert_eq!(
        value(text),
        json!({"a": 1, "b": "key", "1": "x", "key": "y"})
    );
}

#[test]
fn tags_are_resolved_by_the_reader() {
    let text =
        "a: !!str 5\nb: !!int '7'\nc: !custom {x: 1}\nd: !!float 2\ne: ! 12\nf: !!binary aGk=\n";
    assert_eq!(
        value(text),
        json!({"a": "5", "b": 7, "c": {"x": 1}, "d": 2.0, "e": "12", "f": "aGk="})
    );
    let e = invalid("a: 1\nb: !!int twelve\n");
    assert_eq!(e.message, "`twelve` is tagged !!int but is not an integer");
    assert_eq!(e.line, Some(2));
}

#[test]
fn every_example_and_fixture_reads() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut read_files = 0;
    for dir in ["examples", "tests/fixtures", "plugins/file/examples"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "yaml") {
                continue;
            }
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            match read(&text, None) {
                Ok(_) => read_files += 1,
                // Fixtures of broken YAML are refused, at a line.
                Err(e) if name.starts_with("err_") => assert!(e.line.is_some(), "{name}"),
                Err(e) => panic!("{}: {e:?}", path.display()),
            }
        }
    }
    assert!(read_files > 30, "only {read_files} files read");
}

#[test]
fn duplicate_keys_are_refused_at_the_second_naming_the_first() {
    let e = invalid("flow:\n  - name: a\n    input: 1\n    source: env\n    input: 2\n");
    assert_eq!(
        e.message,
        "duplicate key `input`: the same mapping has it at line 3 already; write each key once"
    );
    assert_eq!(e.line, Some(5));
    assert_eq!(invalid("{a: 1, b: 2, a: 3}\n").line, Some(1));
    // The same key in different mappings is fine.
    assert_eq!(
        value("a: {k: 1}\nb: {k: 2}\n"),
        json!({"a": {"k": 1}, "b": {"k": 2}})
    );
}

#[test]
fn lists_and_mappings_as_keys_are_refused_at_their_line() {
    let e = invalid("? [a, b]\n: c\n");
    assert!(
        e.message
            .starts_with("a mapping key is a list or a mapping"),
        "{e:?}"
    );
    assert_eq!(e.line, Some(1));
    assert_eq!(invalid("x: 1\ny:\n  ? {a: b}\n  : c\n").line, Some(3));
    // An alias naming a list, used as a key.
    assert_eq!(invalid("a: &l [1]\n*l : x\n").line, Some(2));
}

#[test]
fn one_document_only() {
    assert_eq!(value("---\na: 1\n...\n"), json!({"a": 1}));
    let e = invalid("a: 1\n---\nb: 2\n");
    assert_eq!(
        e.message,
        "a second YAML document starts at line 2 (after `---`); \
         a configuration file holds one document"
    );
    assert_eq!(e.line, Some(2));
}

#[test]
fn aliases_are_copies_of_the_latest_anchor_of_their_name() {
    let text = "base: &b {x: 1, y: [2]}\nuse: *b\nlist: [*b, *b]\n";
    assert_eq!(
        value(text),
        json!({"base": {"x": 1, "y": [2]}, "use": {"x": 1, "y": [2]},
               "list": [{"x": 1, "y": [2]}, {"x": 1, "y": [2]}]})
    );
    // A name anchored again names the newer node from there on (YAML 1.2).
    let text = "a: &x 1\nb: *x\nc: &x 2\nd: &y 3\ne: *x\n";
    assert_eq!(value(text), json!({"a": 1, "b": 1, "c": 2, "d": 3, "e": 2}));
    let text = "a: &x [&x 1, *x]\nb: *x\n";
    assert_eq!(value(text), json!({"a": [1, 1], "b": 1}));
    let e = invalid("a: 1\nb: *nowhere\n");
    assert_eq!(
        e.message,
        "while parsing node, found unknown anchor at line 2 column 4"
    );
    assert_eq!(e.line, Some(2));
    // Found by the differential fuzzer: an alias inside the collection its
    // anchor names is that collection (endless), not the anchor's earlier value.
    for text in ["a: &x 1\nb: &x [*x]\n", "a: &x 1\nb: &x {k: *x}\n"] {
        let e = invalid(text);
        assert!(e.message.contains("which would contain itself"), "{e:?}");
        assert_eq!(e.line, Some(2));
    }
}

#[test]
fn alias_bombs_stay_bounded() {
    let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..12 {
        let prev = (b'a' + level - 1) as char;
        let this = (b'a' + level) as char;
        bomb.push_str(&format!(
            "{this}: &{this} [{}]\n",
            vec![format!("*{prev}"); 10].join(", ")
        ));
    }
    let e = invalid(&bomb);
    assert!(e.message.contains("\"billion laughs\""), "{e:?}");
    // Level f copies 10 × 111,111 values, past the limit.
    assert_eq!(e.line, Some(6));
}

#[test]
fn nesting_deeper_than_128_levels_is_refused_early() {
    let fine = format!("a: {}{}\n", "[".repeat(127), "]".repeat(127));
    assert!(read(&fine, None).is_ok());
    let deep = format!("a: {}{}\n", "[".repeat(128), "]".repeat(128));
    let e = invalid(&deep);
    assert!(e
        .message
        .starts_with("the document is nested too deeply (more than 128 levels"));
    assert_eq!(e.line, Some(1));
    // 100,000 levels of block lists, and aliases nesting one level per
    // line: stopped early, never built (or dropped) that deep.
    let e = invalid(&format!("a:\n{}x\n", "- ".repeat(100_000)));
    assert_eq!(e.line, Some(2));
    let mut chain = String::from("a0: &a0 [x]\n");
    for i in 1..100_000 {
        chain.push_str(&format!("a{i}: &a{i} [*a{}]\n", i - 1));
    }
    assert_eq!(invalid(&chain).line, Some(128));
}

#[test]
fn lines_of_top_level_keys_sources_and_steps() {
    let text = "\
# a comment
sources:
  home: {type: env}
  web:
    type: rest
flow:
  - name: a
    source: home

  - source: web
    name: b
  - {name: c, source: home}
runner: {max_workers: 2}
";
    let (_, lines) = read(text, None).unwrap();
    assert_eq!(lines.top["sources"], 2);
    assert_eq!(lines.top["flow"], 6);
    assert_eq!(lines.top["runner"], 13);
    assert_eq!(lines.sources["home"], 3);
    assert_eq!(lines.sources["web"], 4);
    assert_eq!(lines.steps, [7, 10, 12]);
}

/// Reads `text` handing flow items over; gives the value and the items seen.
fn with_items(text: &str) -> (Value, Vec<(usize, Value, usize)>) {
    let mut seen = Vec::new();
    let mut receive = |index: usize, item: Value, line: usize| {
        seen.push((index, item, line));
    };
    let (value, _) = read(text, Some(&mut receive)).unwrap();
    (value, seen)
}

#[test]
fn flow_items_are_handed_over_as_they_are_parsed() {
    let text = "base: &s {name: s}\nflow:\n  - {name: a}\n  - *s\n  - 5\nother: [1]\n";
    let (value, seen) = with_items(text);
    assert_eq!(
        seen,
        [
            (0, json!({"name": "a"}), 3),
            (1, json!({"name": "s"}), 4),
            (2, json!(5), 5)
        ]
    );
    assert_eq!(value["flow"], json!([null, null, null]));
    assert_eq!(value["other"], json!([1]));
    // `flow: *alias`: each item of the list it names, at the alias's line.
    let (value, seen) = with_items("steps: &l\n  - {name: a}\n  - {name: b}\nflow: *l\n");
    assert_eq!(
        seen,
        [(0, json!({"name": "a"}), 4), (1, json!({"name": "b"}), 4)]
    );
    assert_eq!(value["flow"], json!([null, null]));
    // An anchored `flow` list keeps its items, for the aliases to it.
    let (value, seen) = with_items("flow: &f\n  - {name: a}\ncopy: *f\n");
    assert_eq!(seen.len(), 1);
    assert_eq!(value["copy"], json!([{"name": "a"}]));
    // Without a receiver, nothing is left out.
    assert_eq!(
        value_of_flow("flow:\n  - {name: a}\n"),
        json!([{"name": "a"}])
    );
}

fn value_of_flow(text: &str) -> Value {
    value(text)["flow"].clone()
}

#[test]
fn large_texts_parse_on_a_thread_of_their_own_with_the_same_result() {
    let mut text = String::from("sources:\n  home: {type: env}\nflow:\n");
    while text.len() < PARALLEL_FROM + 1000 {
        let i = text.len();
        text.push_str(&format!(
            "  - {{name: s{i}, source: home, n: {i}, f: 1.5}}\n"
        ));
    }
    let (threaded, lines) = read(&text, None).unwrap();
    let (sequential, _) = build(events(&text), None).unwrap();
    assert_eq!(threaded, sequential);
    let items = threaded["flow"].as_array().map_or(0, Vec::len);
    assert!(items > 5_000, "{items} items");
    assert_eq!(lines.steps.len(), items);
    // A syntax error at the very end, and a second document, are still seen.
    let e = invalid(&format!("{text}  - [unclosed\n"));
    assert_eq!(e.line, Some(items + 5));
    let e = invalid(&format!("{text}---\nb: 1\n"));
    assert_eq!(e.line, Some(items + 4));
}

#[test]
fn an_empty_text_is_null() {
    assert_eq!(value(""), Value::Null);
    assert_eq!(value("# only a comment\n"), Value::Null);
}

#[test]
fn large_mappings_keep_their_order_and_refuse_duplicates() {
    // Small mappings are kept as a list while read, larger ones move into
    // a map on the way (`entries.rs`): both keep the written order.
    let keys: Vec<String> = (0..40).map(|i| format!("k{}", 39 - i)).collect();
    let text: String = keys
        .iter()
        .enumerate()
        .map(|(i, k)| format!("{k}: {i}\n"))
        .collect();
    let v = value(&text);
    let read: Vec<&String> = v
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    assert_eq!(read, keys.iter().collect::<Vec<_>>());
    // A duplicate found while the mapping is small, just after it moved
    // into a map, and well after.
    for (first, second) in [(3, 10), (3, 16), (3, 30), (20, 35)] {
        let mut lines: Vec<String> = (0..40).map(|i| format!("k{i}: {i}")).collect();
        lines[second] = format!("k{first}: again");
        let e = invalid(&(lines.join("\n") + "\n"));
        assert_eq!(
            e.message,
            format!(
                "duplicate key `k{first}`: the same mapping has it at line {} already; \
                 write each key once",
                first + 1
            )
        );
        assert_eq!(e.line, Some(second + 1));
    }
}
