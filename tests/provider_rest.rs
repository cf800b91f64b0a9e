//! The `rest` provider (SPEC R11) against a real HTTP server the test starts
//! on 127.0.0.1.

use crate::common;
use common::http_server::{self, Response};
use common::Test;
use serde_json::json;

fn echo_server() -> http_server::Server {
    http_server::start(|req| match req.target.split('?').next().unwrap_or("") {
        "/users" => Response::json(
            200,
            &format!(
                r#"{{"query": {:?}, "auth": {:?}}}"#,
                req.target,
                req.header("x-auth").unwrap_or("")
            ),
        ),
        "/echo" => Response::json(
            201,
            &format!(
                r#"{{"method": {:?}, "body": {}}}"#,
                req.method,
                if req.body.is_empty() {
                    "null"
                } else {
                    &req.body
                }
            ),
        ),
        "/text" => Response::text(200, "plain words"),
        "/badjson" => Response::json(200, "{not json"),
        _ => Response::json(404, r#"{"error": "not found"}"#),
    })
}

fn flow(steps: &str) -> String {
    format!("sources:\n  token:\n    type: env\n    configuration: {{vars: [FT_TOKEN]}}\nflow:\n{steps}")
}

#[test]
fn get_with_query_parameter_and_templated_header() {
    let server = echo_server();
    let yaml = flow(&format!(
        r#"
  - name: get
    source:
      type: rest
      configuration:
        url: "{}"
        headers: {{X-Auth: "Bearer {{{{ sources.token.FT_TOKEN }}}}"}}
        param_name: user
    input: "ann smith"
    output:
      - {{name: query, type: jmespath, value: query}}
      - {{name: auth, type: jmespath, value: auth}}
      - {{name: code, type: template, value: "{{{{ meta.status_code }}}}"}}
"#,
        server.url("/users")
    ));
    let out = Test::new()
        .file("f.yaml", &yaml)
        .env("FT_TOKEN", "t0k")
        .args(["run", "-j", "f.yaml"])
        .run();
    out.success();
    let got = &out.stdout_json()["get"];
    assert_eq!(got["query"], json!("/users?user=ann+smith"));
    assert_eq!(got["auth"], json!("Bearer t0k"));
    assert_eq!(got["code"], json!("200"));
}

#[test]
fn post_body_from_a_mapping_and_from_a_json_template() {
    let server = echo_server();
    let yaml = flow(&format!(
        r#"
  - name: mapping
    source: {{type: rest, configuration: {{url: "{url}", method: post, input_mode: body}}}}
    input: {{name: ann, tags: [a, b], n: 2}}
    output: [{{name: r, type: json}}]
  - name: template
    source: {{type: rest, configuration: {{url: "{url}", method: PUT, input_mode: body}}}}
    input: {{type: body, template: '{{"from": {{{{ flows.mapping.r.body.name | tojson }}}}, "n": {{{{ flows.mapping.r.body.n + 1 }}}}}}'}}
    output: [{{name: r, type: json}}]
  - name: plain_string
    source: {{type: rest, configuration: {{url: "{url}", method: POST, input_mode: body}}}}
    input: "just text"
    output: [{{name: r, type: json}}]
"#,
        url = server.url("/echo")
    ));
    let out = Test::new()
        .file("f.yaml", &yaml)
        .args(["run", "-j", "f.yaml"])
        .run();
    out.success();
    let got = out.stdout_json();
    assert_eq!(
        got["mapping"]["r"],
        json!({"method": "POST", "body": {"name": "ann", "tags": ["a", "b"], "n": 2}})
    );
    assert_eq!(
        got["template"]["r"],
        json!({"method": "PUT", "body": {"from": "ann", "n": 3}})
    );
    assert_eq!(
        got["plain_string"]["r"],
        json!({"method": "POST", "body": "just text"})
    );
    let reqs = server.requests();
    assert!(reqs
        .iter()
        .all(|r| r.header("content-type") == Some("application/json")));
}

#[test]
fn text_responses_stay_text() {
    let server = echo_server();
    let yaml = flow(&format!("  - {{name: t, source: {{type: rest, configuration: {{url: \"{}\"}}}}, output: [{{name: r}}]}}\n", server.url("/text")));
    let out = Test::new()
        .file("f.yaml", &yaml)
        .args(["run", "-j", "f.yaml"])
        .run();
    out.success();
    assert_eq!(out.stdout_json()["t"]["r"], json!("plain words"));
}

#[test]
fn http_404_fails_the_step() {
    let server = echo_server();
    let yaml = flow(&format!(
        "  - {{name: missing, source: {{type: rest, configuration: {{url: \"{}\"}}}}}}\n",
        server.url("/nope")
    ));
    let out = Test::new()
        .file("f.yaml", &yaml)
        .args(["run", "f.yaml"])
        .run();
    out.code_is(1).stderr_has("✗ missing: HTTP status 404");
}

#[test]
fn connection_refused_is_a_failed_step_that_says_why() {
    let port = http_server::closed_port();
    let yaml = flow(&format!("  - {{name: down, source: {{type: rest, configuration: {{url: \"http://127.0.0.1:{port}/x\", timeout: 5}}}}}}\n"));
    let out = Test::new()
        .file("f.yaml", &yaml)
        .args(["run", "f.yaml"])
        .run();
    out.code_is(1).no_panic();
    let err = out.stderr().to_lowercase();
    assert!(
        err.contains("✗ down:") && err.contains("connection refused"),
        "{err}"
    );
}

#[test]
fn invalid_json_with_a_json_content_type_fails_clearly() {
    let server = echo_server();
    let yaml = flow(&format!(
        "  - {{name: bad, source: {{type: rest, configuration: {{url: \"{}\"}}}}}}\n",
        server.url("/badjson")
    ));
    let out = Test::new()
        .file("f.yaml", &yaml)
        .args(["run", "f.yaml"])
        .run();
    out.code_is(1)
        .stderr_has("response says it is JSON but does not parse");
}
