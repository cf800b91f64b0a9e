//! The `env` of templates (SPEC R8, R37).

use indexmap::IndexMap;
use minijinja::value::{Enumerator, Object, ObjectRepr};
use minijinja::Value;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// `env` as templates see it (SPEC R8, R37): the process environment as it
/// was when the run was made (variables whose name or value is not UTF-8
/// left out).
///
/// Reading a variable whose name makes it secret ([`is_secret_name`]:
/// `{{ env.GITHUB_TOKEN }}`, or iterating over `env`) adds its value to the
/// process-wide [`registry`] before the template sees it, so the value is
/// masked wherever it is shown afterwards, exactly like an `env` source's
/// secret variables. Variables that no template reads are not registered, so
/// an unrelated `*_KEY` of the environment does not mask text that happens
/// to equal it.
///
/// [`is_secret_name`]: crate::secrets::is_secret_name
/// [`registry`]: crate::secrets::registry
#[derive(Debug, Default)]
pub struct EnvView {
    vars: IndexMap<String, EnvVar>,
}

#[derive(Debug)]
struct EnvVar {
    value: String,
    /// Its name makes it secret.
    secret: bool,
    /// Its value is in the secrets registry already.
    registered: AtomicBool,
}

impl EnvView {
    /// The environment of this process.
    pub fn from_process() -> Self {
        EnvView::new(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        )
    }

    /// The given variables (name, value).
    pub fn new(vars: impl IntoIterator<Item = (String, String)>) -> Self {
        let vars = vars
            .into_iter()
            .map(|(name, value)| {
                let secret = crate::secrets::is_secret_name(&name);
                let var = EnvVar {
                    value,
                    secret,
                    registered: AtomicBool::new(false),
                };
                (name, var)
            })
            .collect();
        EnvView { vars }
    }
}

impl Object for EnvView {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let var = self.vars.get(key.as_str()?)?;
        if var.secret && !var.registered.load(Ordering::Acquire) {
            crate::secrets::registry().add(&var.value);
            var.registered.store(true, Ordering::Release);
        }
        Some(Value::from(var.value.as_str()))
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(self.vars.keys().map(|k| Value::from(k.as_str())).collect())
    }
}
