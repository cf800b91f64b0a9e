//! Templates (SPEC R7–R8a): a strict minijinja environment holding every
//! template of the flow compiled once, the render context, and the scan for
//! `flows.NAME` references that makes implicit dependencies.

use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior, Value};
use regex::Regex;
use std::sync::OnceLock;

mod context;
mod env;
pub use context::{payload_extras, BaseContext, FlowsView, NoOutputs};
pub use env::EnvView;

/// A template value made from anything serializable (JSON values, maps).
pub fn to_value<T: serde::Serialize + ?Sized>(value: &T) -> Value {
    Value::from(minijinja::value::Serde(value))
}

/// True when a string holds template syntax (`{{` or `{%`); other strings are
/// used untouched.
pub fn is_template(text: &str) -> bool {
    text.contains("{{") || text.contains("{%")
}

/// True when any string inside a JSON value holds template syntax.
pub fn value_has_template(value: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match value {
        J::String(s) => is_template(s),
        J::Array(items) => items.iter().any(value_has_template),
        J::Object(m) => m.values().any(value_has_template),
        _ => false,
    }
}

/// The step names a template refers to as `flows.NAME`, `flows["NAME"]` or
/// `flows['NAME']` (SPEC R8a).
pub fn references(text: &str) -> Vec<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(
            r#"\bflows\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)|\[\s*(?:"([^"]*)"|'([^']*)')\s*\])"#,
        )
        .expect("the reference pattern is valid")
    });
    let mut out: Vec<String> = Vec::new();
    for c in re.captures_iter(text) {
        if let Some(m) = c.get(1).or_else(|| c.get(2)).or_else(|| c.get(3)) {
            let name = m.as_str().to_string();
            if !out.contains(&name) {
                out.push(name);
            }
        }
    }
    out
}

/// Every template of a flow, compiled once and rendered many times.
#[derive(Debug)]
pub struct Templates {
    env: Environment<'static>,
    /// The most bytes one render may produce.
    max_rendered: usize,
}

impl Default for Templates {
    fn default() -> Self {
        Self::new()
    }
}

impl Templates {
    /// A strict environment with the filters of SPEC R7 (`fromjson` added to
    /// minijinja's built-ins).
    pub fn new() -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_syntax(
            minijinja::syntax::SyntaxConfig::builder()
                .keep_trailing_newline(true)
                .build()
                .expect("the default delimiters are valid"),
        );
        env.add_filter("fromjson", fromjson);
        // R30: a step without outputs counts as undefined for these.
        env.add_filter("default", default);
        env.add_test("defined", |v: &Value| !is_missing(v));
        env.add_test("undefined", |v: &Value| is_missing(v));
        Templates {
            env,
            max_rendered: MAX_RENDERED,
        }
    }

    /// The same, with renders capped at `bytes` instead of [`MAX_RENDERED`].
    pub fn with_render_limit(mut self, bytes: usize) -> Self {
        self.max_rendered = bytes;
        self
    }

    /// Compiles `source` and keeps it for every later render; a syntax
    /// error comes back as a message.
    pub fn compile(&mut self, source: &str) -> Result<(), String> {
        if self.env.get_template(source).is_ok() {
            return Ok(());
        }
        self.env
            .add_template_owned(source.to_string(), source.to_string())
            .map_err(|e| syntax_error(source, &e))
    }

    /// Checks that `source` parses, without compiling or keeping it: for a
    /// template rendered once per run, which [`Templates::render`] then
    /// compiles at its one use. (minijinja reserves room for 256
    /// instructions in every compiled template, ~10 KB, so keeping 50,000
    /// single-use templates would hold half a gigabyte.)
    pub fn check(&self, source: &str) -> Result<(), String> {
        minijinja::machinery::parse(source, "<template>", self.env.syntax().clone())
            .map(drop)
            .map_err(|e| syntax_error(source, &e))
    }

    /// Checks that the expression `expr` (no `{{ }}`) parses.
    pub fn check_expression(&self, expr: &str) -> Result<(), String> {
        self.env
            .compile_expression(expr)
            .map(drop)
            .map_err(|e| expression_error(expr, &e))
    }

    /// Evaluates the expression `expr` (no `{{ }}`) in `ctx`.
    pub fn eval(&self, expr: &str, ctx: &Value) -> Result<Value, String> {
        let compiled = self
            .env
            .compile_expression(expr)
            .map_err(|e| expression_error(expr, &e))?;
        compiled.eval(ctx.clone()).map_err(|e| {
            let wrapped = format!("{{{{ {expr} }}}}");
            match explain(&wrapped, ctx, &e, self) {
                m if m.starts_with("undefined variable") => {
                    m.replace(&quote(&wrapped), &quote(expr))
                }
                _ => format!(
                    "expression {} failed: {}",
                    quote(expr),
                    e.detail()
                        .map(str::to_string)
                        .unwrap_or_else(|| e.kind().to_string())
                ),
            }
        })
    }

    /// Renders a string: templates through the environment, other strings as they are.
    pub fn render(&self, source: &str, ctx: &Value) -> Result<String, String> {
        if !is_template(source) {
            return Ok(source.to_string());
        }
        let template = match self.env.get_template(source) {
            Ok(t) => t,
            Err(_) => self
                .env
                .template_from_str(source)
                .map_err(|e| syntax_error(source, &e))?,
        };
        let mut out = Bounded {
            text: Vec::new(),
            limit: self.max_rendered,
            overflowed: false,
        };
        match template.render_captured_to(ctx.clone(), &mut out) {
            Ok(_) => String::from_utf8(out.text)
                .map_err(|_| format!("template {} rendered invalid UTF-8", quote(source))),
            Err(_) if out.overflowed => Err(format!(
                "template {} renders more than {} of text; make it produce less",
                quote(source),
                size_in_words(self.max_rendered)
            )),
            Err(e) => Err(explain(source, ctx, &e, self)),
        }
    }

    /// Renders every string inside a JSON value, recursively (R8, R9).
    pub fn render_value(
        &self,
        value: &serde_json::Value,
        ctx: &Value,
    ) -> Result<serde_json::Value, String> {
        use serde_json::Value as J;
        Ok(match value {
            J::String(s) if is_template(s) => J::String(self.render(s, ctx)?),
            J::Array(items) => J::Array(
                items
                    .iter()
                    .map(|v| self.render_value(v, ctx))
                    .collect::<Result<_, _>>()?,
            ),
            J::Object(m) => J::Object(
                m.iter()
                    .map(|(k, v)| Ok((k.clone(), self.render_value(v, ctx)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => other.clone(),
        })
    }
}

/// True for an undefined value, and for the outputs of a step that has none
/// (failed, skipped or not run yet, SPEC R30).
fn is_missing(value: &Value) -> bool {
    value.is_undefined() || value.downcast_object_ref::<NoOutputs>().is_some()
}

/// Jinja's `default(value, fallback='', lax=false)`, which also takes the
/// place of a step without outputs (SPEC R30).
fn default(value: Value, fallback: Option<Value>, lax: Option<bool>) -> Value {
    if is_missing(&value) || (lax.unwrap_or(false) && !value.is_true()) {
        fallback.unwrap_or_else(|| Value::from(""))
    } else {
        value
    }
}

fn fromjson(text: &str) -> Result<Value, Error> {
    serde_json::from_str::<serde_json::Value>(text)
        .map(|v| to_value(&v))
        .map_err(|e| {
            Error::new(
                ErrorKind::InvalidOperation,
                format!("fromjson: not valid JSON: {e}"),
            )
        })
}

fn quote(source: &str) -> String {
    const MAX: usize = 80;
    if source.chars().count() > MAX {
        format!("`{}…`", source.chars().take(MAX).collect::<String>())
    } else {
        format!("`{source}`")
    }
}

/// The most text one template may render (as a program's output is capped):
/// `{{ [x] * 50000000 }}` stops here instead of filling memory.
pub const MAX_RENDERED: usize = 64 << 20;

/// Rendered text, refused past `limit` bytes.
struct Bounded {
    text: Vec<u8>,
    limit: usize,
    overflowed: bool,
}

/// `64 MiB`, or `1000 bytes`.
fn size_in_words(bytes: usize) -> String {
    match bytes % (1 << 20) {
        0 => format!("{} MiB", bytes >> 20),
        _ => format!("{bytes} bytes"),
    }
}

impl std::io::Write for Bounded {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.text.len() + buf.len() > self.limit {
            self.overflowed = true;
            return Err(std::io::Error::other("the rendered text is too large"));
        }
        self.text.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A template that does not parse, as a message.
fn syntax_error(source: &str, e: &Error) -> String {
    format!(
        "template {} does not parse: {}",
        quote(source),
        e.detail().unwrap_or(&e.to_string())
    )
}

/// An expression that does not parse, as a message.
fn expression_error(expr: &str, e: &Error) -> String {
    format!(
        "expression {} does not parse: {}",
        quote(expr),
        e.detail().unwrap_or(&e.to_string())
    )
}

/// A render error as a message; an undefined value is named (SPEC R7).
fn explain(source: &str, ctx: &Value, err: &Error, templates: &Templates) -> String {
    if matches!(
        err.kind(),
        ErrorKind::UndefinedError | ErrorKind::WriteFailure
    ) {
        if let Some(name) = first_undefined(source, ctx, templates) {
            return format!("undefined variable '{name}' in template {}", quote(source));
        }
    }
    let detail = err
        .detail()
        .map(str::to_string)
        .unwrap_or_else(|| err.kind().to_string());
    format!("template {} failed: {detail}", quote(source))
}

/// The first dotted name in the template that does not resolve in `ctx`.
fn first_undefined(source: &str, ctx: &Value, templates: &Templates) -> Option<String> {
    let tmpl = match templates.env.get_template(source) {
        Ok(tmpl) => tmpl,
        Err(_) => templates.env.template_from_str(source).ok()?,
    };
    let mut names: Vec<String> = tmpl.undeclared_variables(true).into_iter().collect();
    names.sort();
    for name in names {
        let mut current = ctx.clone();
        let mut path = Vec::new();
        for part in name.split('.') {
            path.push(part);
            match current.get_attr(part) {
                Ok(v) if !is_missing(&v) => current = v,
                _ => return Some(path.join(".")),
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flows::FlowStore;
    use serde_json::json;
    use std::sync::Arc;

    fn ctx(flows: &[(&str, serde_json::Value)]) -> BaseContext {
        let store = Arc::new(FlowStore::new());
        for (name, outputs) in flows {
            store.insert(name, outputs.as_object().unwrap().clone());
        }
        BaseContext::new(store, &json!({"s": {"type": "rest"}}))
    }

    fn render(src: &str, c: &BaseContext) -> Result<String, String> {
        let mut t = Templates::new();
        t.compile(src)?;
        t.render(src, &c.with(vec![]))
    }

    #[test]
    fn a_step_without_outputs_is_undefined_for_default_and_defined() {
        let c = ctx(&[("ok", json!({"x": 1}))]);
        let r = |src: &str| render(src, &c);
        assert_eq!(r("{{ flows.bad.x | default('y') }}").unwrap(), "y");
        assert_eq!(r("{{ flows.bad | default('none') }}").unwrap(), "none");
        assert_eq!(r("{{ flows.ok.x | default('y') }}").unwrap(), "1");
        assert_eq!(
            r("{{ flows.bad is defined }}|{{ flows.bad.x is undefined }}").unwrap(),
            "False|True"
        );
        assert_eq!(
            r("{% if flows.bad %}yes{% else %}no{% endif %}").unwrap(),
            "no"
        );
        assert_eq!(r("{{ '' | default('e', true) }}").unwrap(), "e");
        let e = r("{{ flows.bad.x }}").unwrap_err();
        assert!(e.starts_with("undefined variable 'flows.bad"), "{e}");
        let e = r("{{ flows.bad }}").unwrap_err();
        assert!(e.starts_with("undefined variable 'flows.bad'"), "{e}");
        let e = r("{{ nothing | upper }}").unwrap_err();
        assert!(e.contains("nothing"), "{e}");
    }

    #[test]
    fn references_both_syntaxes() {
        assert_eq!(
            references(r#"{{ flows.a.x }} {{ flows["b-c"].y }} {{ flows['d'] }} {{ flows.a.z }}"#),
            ["a", "b-c", "d"]
        );
        assert!(references("{{ myflows.a }}").is_empty());
    }

    #[test]
    fn filters_and_expressions() {
        let c = ctx(&[("a", json!({"v": "Hi", "n": [1, 2]}))]);
        assert_eq!(
            render("{{ flows.a.v | upper }}-{{ flows.a.v | lower }}", &c).unwrap(),
            "HI-hi"
        );
        // As Jinja2 (and the Python flowtoy) writes it: `, ` between items.
        assert_eq!(render("{{ flows.a.n | tojson }}", &c).unwrap(), "[1, 2]");
        assert_eq!(
            render("{{ \"<a>&'\" | tojson }}", &c).unwrap(),
            r#""\u003ca\u003e\u0026\u0027""#
        );
        assert_eq!(
            render("{{ ('{\"k\": 3}' | fromjson).k }}", &c).unwrap(),
            "3"
        );
        assert_eq!(
            render("{{ flows.a.n | join(',') }} {{ flows.a.n | length }}", &c).unwrap(),
            "1,2 2"
        );
        assert_eq!(
            render("{{ ' x ' | trim | replace('x', 'y') }}", &c).unwrap(),
            "y"
        );
        assert_eq!(
            render("{{ 'a' ~ 1 }}{{ 'b' + 'c' }}{{ flows.a.n[0] }}", &c).unwrap(),
            "a1bc1"
        );
        assert_eq!(
            render(
                "{{ 'y' if flows.a.v else 'n' }}{{ nope | default('d') }}",
                &c
            )
            .unwrap(),
            "yd"
        );
        assert_eq!(
            render("{{ flows['a'].v }} {{ sources.s.type }}", &c).unwrap(),
            "Hi rest"
        );
    }

    #[test]
    fn checked_templates_are_not_kept_but_render_and_explain_at_their_use() {
        let t = Templates::new();
        let err = t.check("{{ a ").unwrap_err();
        assert!(err.contains("does not parse"), "{err}");
        t.check("x {{ flows.a.v }}").unwrap();
        assert!(t.env.get_template("x {{ flows.a.v }}").is_err(), "kept");
        let c = ctx(&[("a", json!({"v": "Hi"}))]).with(vec![]);
        assert_eq!(t.render("x {{ flows.a.v }}", &c).unwrap(), "x Hi");
        let err = t.render("x {{ flows.a.missing }}", &c).unwrap_err();
        assert!(
            err.contains("undefined variable 'flows.a.missing'"),
            "{err}"
        );
    }

    #[test]
    fn strict_undefined_names_the_missing_name() {
        let c = ctx(&[("a", json!({"v": 1}))]);
        let err = render("x {{ flows.a.missing }}", &c).unwrap_err();
        assert!(err.contains("'flows.a.missing'"), "{err}");
        let err = render("{{ nothing }}", &c).unwrap_err();
        assert!(err.contains("'nothing'"), "{err}");
    }

    #[test]
    fn syntax_errors_are_reported() {
        assert!(Templates::new()
            .compile("{{ a ")
            .unwrap_err()
            .contains("does not parse"));
    }

    #[test]
    fn plain_strings_stay_untouched() {
        let c = ctx(&[]);
        assert_eq!(
            Templates::new().render("a } b {", &c.with(vec![])).unwrap(),
            "a } b {"
        );
    }

    #[test]
    fn secret_named_env_variables_become_secret_values_when_read() {
        let vars = [
            ("UNIT_TEST_API_TOKEN", "tok-unit-3141"),
            ("UNIT_TEST_UNREAD_KEY", "key-unread-2718"),
            ("UNIT_TEST_PLAIN", "plain-unit-1618"),
        ];
        let env = EnvView::new(vars.map(|(k, v)| (k.to_string(), v.to_string())));
        let c = BaseContext {
            env: Value::from_object(env),
            ..ctx(&[])
        };
        let src = "{{ env.UNIT_TEST_API_TOKEN }} {{ env.UNIT_TEST_PLAIN }}";
        assert_eq!(render(src, &c).unwrap(), "tok-unit-3141 plain-unit-1618");
        let shown = crate::secrets::mask("tok-unit-3141 plain-unit-1618 key-unread-2718");
        assert_eq!(
            shown, "***REDACTED*** plain-unit-1618 key-unread-2718",
            "only the secret-named variable that was read is secret"
        );
        // Showing the whole of `env` reads every variable.
        let all = render("{{ env | tojson }}", &c).unwrap();
        assert!(all.contains("key-unread-2718"), "{all}");
        assert_eq!(
            crate::secrets::mask("key-unread-2718"),
            crate::secrets::MASK
        );
        assert!(render("{{ env.NOT_SET_ANYWHERE }}", &c)
            .unwrap_err()
            .contains("'env.NOT_SET_ANYWHERE'"));
    }

    #[test]
    fn payload_names() {
        let c = ctx(&[]);
        let extras = payload_extras(&Some(json!("{\"u\": [\"x\"]}")));
        let v = c.with(extras);
        let mut t = Templates::new();
        let src = "{{ raw }}|{{ json.u[0] }}|{{ jmespath('u[0]') }}";
        t.compile(src).unwrap();
        assert_eq!(t.render(src, &v).unwrap(), "{\"u\": [\"x\"]}|x|x");
    }
}
