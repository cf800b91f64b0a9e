//! A step's `when` (SPEC R27): a Jinja expression evaluated right before the
//! step (or one iteration of it) would start.

use super::Shared;
use crate::error::{StepError, StepErrorKind};
use crate::template::BaseContext;

/// Whether the expression `expr` is true (Jinja truthiness) in `base`; an
/// error while evaluating fails the step.
pub(super) fn holds(shared: &Shared, expr: &str, base: &BaseContext) -> Result<bool, StepError> {
    let templates = &shared.config.compiled().templates;
    templates
        .eval(expr, &base.with(Vec::new()))
        .map(|value| value.is_true())
        .map_err(|e| StepError::new(StepErrorKind::Template, format!("`when`: {e}")))
}
