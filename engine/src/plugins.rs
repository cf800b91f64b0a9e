//! Finding and loading provider plugin libraries (SPEC R21).
//!
//! Every file in a plugin directory whose name ends in `.so`, `.dylib` or
//! `.dll` is loaded on its own with `abi_stable` (which checks its own
//! version, the `flowtoy-plugin-api` version and the layout of the plugin
//! interface), then the library's declared plugin API version is compared
//! with [`API_VERSION`]. A library that fails any of this is recorded in
//! [`ProviderRegistry::broken`] with its path and the reason; it matters only
//! when a flow needs a type nobody else provides. Other files are skipped
//! with a warning, hidden files (`.name`) silently. Libraries are never
//! unloaded.
//!
//! Before anything is loaded, directories and libraries that other users
//! can write to are refused ([`permissions`], like ssh's `StrictModes`): such
//! a directory is a configuration error, such a library is recorded as
//! broken (so it matters only when the flow needs its types), unless
//! [`InsecurePlugins::Allow`] says to load them anyway (with a warning).

pub mod permissions;

use crate::config::PluginsConfig;
use crate::error::{Problem, ProblemKind};
use crate::registry::{BrokenLibrary, ProviderOrigin, ProviderRegistry};
use flowtoy_plugin_api::abi::abi_stable::abi_stability::abi_checking::check_layout_compatibility;
use flowtoy_plugin_api::abi::abi_stable::library::{
    lib_header_from_raw_library, LibraryError, RawLibrary,
};
use flowtoy_plugin_api::abi::abi_stable::std_types::RResult;
use flowtoy_plugin_api::abi::abi_stable::type_layout::TypeLayout;
use flowtoy_plugin_api::abi::{
    executor_types_layout, ExecutorTypesFn, ForeignExecutorType, ForeignProviderType,
    PluginModuleRef, API_VERSION, EXECUTOR_LAYOUT_SYMBOL, EXECUTOR_TYPES_SYMBOL,
};
use flowtoy_plugin_api::abi::{host_hooks, host_hooks_layout, AcceptHooks, HOOKS_SYMBOL};
use flowtoy_plugin_api::{ExecutorType, ProviderType};
pub use permissions::InsecurePlugins;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// File name endings of plugin libraries, on every platform.
pub const LIBRARY_EXTENSIONS: [&str; 3] = ["so", "dylib", "dll"];

/// One plugin library, loaded and checked.
pub struct PluginLibrary {
    /// The file it was loaded from.
    pub path: PathBuf,
    /// The provider types it offers.
    pub types: Vec<ForeignProviderType>,
    /// The executor types it offers (R34; none from libraries built before
    /// executors existed).
    pub executors: Vec<ForeignExecutorType>,
}

/// True when `path` is named like a shared library.
pub fn is_library_file(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| LIBRARY_EXTENSIONS.contains(&e))
}

/// The first line of a long message, at most `max` characters.
fn first_line(text: &str, max: usize) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    line.chars().take(max).collect()
}

/// Says why `abi_stable` refused a library, in the user's terms.
fn describe(error: &LibraryError) -> String {
    match error {
        LibraryError::OpenError { err, .. } => {
            format!("not a loadable shared library ({err})")
        }
        LibraryError::GetSymbolError { .. } => {
            "not a flowtoy plugin: it exports no abi_stable root module \
             (a plugin ends with `flowtoy_plugin_api::export_providers!(...)`)"
                .to_string()
        }
        LibraryError::ParseVersionError(e) => {
            format!("not a flowtoy plugin: its version strings cannot be read ({e})")
        }
        LibraryError::IncompatibleVersionNumber {
            expected_version,
            actual_version,
            ..
        } => format!(
            "incompatible plugin API: it was built against flowtoy-plugin-api {actual_version}, \
             this flowtoy needs a version compatible with {expected_version}; rebuild the plugin"
        ),
        LibraryError::RootModule { err, .. } => {
            format!("its root module failed to load: {}", first_line(&err.to_string(), 300))
        }
        LibraryError::AbiInstability(e) => {
            tracing::debug!("abi_stable's layout report: {e}");
            "layout mismatch: its plugin interface types differ from this flowtoy's \
             (not a flowtoy plugin, or built against an incompatible flowtoy-plugin-api; \
             `--log-level debug` shows abi_stable's report)"
                .to_string()
        }
        LibraryError::InvalidAbiHeader(header) => format!(
            "incompatible abi_stable: the library was built with abi_stable ABI {}.{}, \
             this flowtoy uses another; rebuild the plugin against this flowtoy's flowtoy-plugin-api",
            header.abi_major, header.abi_minor
        ),
        LibraryError::InvalidCAbi { .. } => {
            "built by a compiler with a different C ABI; rebuild it with this flowtoy's toolchain"
                .to_string()
        }
        LibraryError::Many(errors) => errors.iter().map(describe).collect::<Vec<_>>().join("; "),
    }
}

/// Loads one plugin library and checks it; the error is the reason it cannot
/// be used (the caller adds the path).
pub fn load_library(path: &Path) -> Result<PluginLibrary, String> {
    // Libraries are never unloaded (their code and statics are referenced
    // for the rest of the process).
    let raw: &'static RawLibrary = Box::leak(Box::new(
        RawLibrary::load_at(path).map_err(|e| describe(&e))?,
    ));
    // SAFETY: the library stays loaded for the rest of the process (leaked
    // above), as the header it returns requires.
    let header = unsafe { lib_header_from_raw_library(raw) }.map_err(|e| describe(&e))?;
    let module = header
        .init_root_module::<PluginModuleRef>()
        .map_err(|e| describe(&e))?;
    let api_version = module.api_version();
    if api_version != API_VERSION {
        return Err(format!(
            "incompatible plugin API: it was built for flowtoy plugin API version {api_version}, \
             this flowtoy speaks version {API_VERSION}; rebuild the plugin against the \
             flowtoy-plugin-api of this flowtoy"
        ));
    }
    let ffi_types = match (module.provider_types())() {
        RResult::ROk(types) => types,
        RResult::RErr(e) if e.panicked => {
            return Err(format!(
                "it panicked while listing its provider types: {}",
                e.message
            ))
        }
        RResult::RErr(e) => return Err(e.message.into_string()),
    };
    let types = ffi_types
        .into_iter()
        .map(ForeignProviderType::new)
        .collect::<Result<Vec<_>, _>>()?;
    // Plugins built with output and log hooks get them; older ones have no
    // such symbol and run as they always did.
    // SAFETY: the symbol, where a library that passed the checks above
    // defines it, is the export macro's function of type `AcceptHooks`.
    if let Ok(accept) = unsafe { raw.get::<AcceptHooks>(HOOKS_SYMBOL) } {
        (*accept)(host_hooks(), host_hooks_layout());
    }
    let executors = executor_types(path)?;
    Ok(PluginLibrary {
        path: path.to_path_buf(),
        types,
        executors,
    })
}

/// The executor types of the library at `path` (R34), exported beside its
/// root module: none when it has no executor entry point (every library
/// built before executors existed); refused when what the entry point hands
/// over is laid out differently from this flowtoy's.
fn executor_types(path: &Path) -> Result<Vec<ForeignExecutorType>, String> {
    // The library is already loaded (and never unloaded): this only takes
    // another handle to it.
    let library = RawLibrary::load_at(path).map_err(|e| describe(&e))?;
    // SAFETY: a flowtoy plugin exports this symbol as an
    // `extern "C" fn() -> &'static TypeLayout` (export_plugin!); other
    // libraries do not have it (the root module was checked above).
    let layout = match unsafe {
        library.get::<extern "C" fn() -> &'static TypeLayout>(EXECUTOR_LAYOUT_SYMBOL)
    } {
        Ok(layout) => (*layout)(),
        Err(_) => {
            std::mem::forget(library);
            return Ok(Vec::new());
        }
    };
    if let Err(e) = check_layout_compatibility(executor_types_layout(), layout) {
        tracing::debug!("abi_stable's layout report of the executor types: {e}");
        return Err(
            "layout mismatch: its executor types differ from this flowtoy's \
             (built against an incompatible flowtoy-plugin-api; rebuild the plugin)"
                .to_string(),
        );
    }
    // SAFETY: the layout of what this entry point returns was just checked
    // to be compatible with ours; export_plugin! defines it with this type.
    let list = match unsafe { library.get::<ExecutorTypesFn>(EXECUTOR_TYPES_SYMBOL) } {
        Ok(entry) => (*entry)(),
        Err(_) => {
            return Err(
                "it describes executor types but exports no flowtoy_executor_types_v1".into(),
            )
        }
    };
    // Libraries are never unloaded; the executor types point into it.
    std::mem::forget(library);
    match list {
        RResult::ROk(list) => list.into_iter().map(ForeignExecutorType::new).collect(),
        RResult::RErr(e) if e.panicked => Err(format!(
            "it panicked while listing its executor types: {}",
            e.message
        )),
        RResult::RErr(e) => Err(e.message.into_string()),
    }
}

/// The library files of `dir`, sorted by name.
fn library_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| e.to_string())?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        let hidden = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with('.'));
        if hidden || !path.is_file() {
            continue;
        }
        if is_library_file(&path) {
            files.push(path);
        } else {
            tracing::debug!(
                "ignoring {}: plugin libraries end in .so, .dylib or .dll",
                path.display()
            );
        }
    }
    files.sort();
    Ok(files)
}

/// Loads every plugin library in `dirs` into `registry`; returns the
/// problems met (the [`Loader`](crate::loader::Loader) reports them with the
/// configuration's own).
///
/// A library that cannot be used goes to `registry.broken` (and a warning);
/// a plugin type named like a built-in or in-process one replaces it (with a
/// warning). Two libraries providing the same type, or a directory that
/// cannot be read, are configuration errors. The same file reached twice
/// (the same directory named twice, a symlink) is loaded once. A directory
/// of `plugins` (the configuration's `plugins.dirs`) that cannot be read is
/// reported at the YAML file (and line) that listed it. Directories and
/// libraries other users can write to are handled as `insecure` says (see
/// the [module documentation](self)).
pub fn load_dirs_listed(
    registry: &mut ProviderRegistry,
    dirs: &[PathBuf],
    plugins: Option<&PluginsConfig>,
    insecure: InsecurePlugins,
) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut seen_dirs = HashSet::new();
    let mut seen_files = HashSet::new();
    // A problem with `dir`, at the YAML line that listed it if it did.
    let located = |dir: &PathBuf, problem: Problem| match plugins {
        Some(PluginsConfig {
            dirs,
            listed_in: Some((file, line)),
        }) if dirs.contains(dir) => problem.in_file(Some(file.clone())).at_line(*line),
        _ => problem,
    };
    for dir in dirs {
        let canonical_dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone());
        if !seen_dirs.insert(canonical_dir) {
            continue;
        }
        if let Some(found) = permissions::check_directory(dir) {
            if insecure == InsecurePlugins::Refuse {
                let message = format!("{} was refused: {}", found.subject(), found.refusal());
                problems.push(located(dir, Problem::new(ProblemKind::Plugin, message)));
                continue;
            }
            registry
                .warnings
                .push(Problem::warning(ProblemKind::Plugin, found.allowed()));
        }
        let files = match library_files(dir) {
            Ok(files) => files,
            Err(e) => {
                let problem = Problem::new(
                    ProblemKind::Plugin,
                    format!(
                        "cannot read plugin directory {}: {e}; check --plugin-dir, \
                     FLOWTOY_PLUGIN_PATH and plugins.dirs",
                        dir.display()
                    ),
                );
                problems.push(located(dir, problem));
                continue;
            }
        };
        for path in files {
            let canonical = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if !seen_files.insert(canonical) {
                continue;
            }
            let loaded = match permissions::check_library(&path, dir) {
                Some(found) if insecure == InsecurePlugins::Refuse => Err(found.refusal()),
                found => {
                    if let Some(found) = found {
                        registry
                            .warnings
                            .push(Problem::warning(ProblemKind::Plugin, found.allowed()));
                    }
                    load_library(&path)
                }
            };
            match loaded {
                Ok(library) => add_library(registry, library, &mut problems),
                Err(reason) => {
                    tracing::debug!("plugin library {} not loaded: {reason}", path.display());
                    registry.warnings.push(Problem::warning(
                        ProblemKind::Plugin,
                        format!("plugin library {} was not loaded: {reason}", path.display()),
                    ));
                    registry.broken.push(BrokenLibrary { path, reason });
                }
            }
        }
    }
    problems
}

/// Registers the types of one library, noting replaced built-ins and
/// duplicate types.
fn add_library(
    registry: &mut ProviderRegistry,
    library: PluginLibrary,
    problems: &mut Vec<Problem>,
) {
    let path = library.path;
    for provider in library.types {
        let name = provider.info().name;
        tracing::debug!("plugin library {} provides '{name}'", path.display());
        let origin = ProviderOrigin::Library(path.clone());
        let replaced = registry.add(Arc::new(provider), origin).map(|r| r.origin);
        note_replaced("provider", &name, &path, replaced, registry, problems);
    }
    for executor in library.executors {
        let name = executor.info().name;
        tracing::debug!(
            "plugin library {} provides executor '{name}'",
            path.display()
        );
        let origin = ProviderOrigin::Library(path.clone());
        let replaced = registry
            .add_executor(Arc::new(executor), origin)
            .map(|r| r.origin);
        note_replaced("executor", &name, &path, replaced, registry, problems);
    }
}

/// What it means that a `kind` type `name` from the library at `path`
/// replaced one from `replaced`: two libraries with one type is a problem,
/// a library replacing a built-in a warning.
fn note_replaced(
    kind: &str,
    name: &str,
    path: &Path,
    replaced: Option<ProviderOrigin>,
    registry: &mut ProviderRegistry,
    problems: &mut Vec<Problem>,
) {
    match replaced {
        None => {}
        Some(ProviderOrigin::Library(first)) => problems.push(Problem::new(
            ProblemKind::Plugin,
            format!(
                "{kind} type '{name}' is provided by two plugin libraries: {} and {}; \
                 remove one of them from the plugin directories",
                first.display(),
                path.display()
            ),
        )),
        Some(other) => registry.warnings.push(Problem::warning(
            ProblemKind::Plugin,
            format!(
                "plugin library {} replaces the {other} {kind} '{name}'",
                path.display()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn library_files_are_known_by_their_extension() {
        assert!(is_library_file(Path::new("p/libx.so")));
        assert!(is_library_file(Path::new("x.dylib")));
        assert!(is_library_file(Path::new("x.dll")));
        assert!(!is_library_file(Path::new("libx.so.1")));
        assert!(!is_library_file(Path::new("libx.rlib")));
        assert!(!is_library_file(Path::new("README")));
    }

    #[test]
    fn a_missing_directory_is_a_configuration_error_naming_it() {
        let mut registry = ProviderRegistry::with_builtins();
        let problems = load_dirs_listed(
            &mut registry,
            &[PathBuf::from("no/such/plugin/dir")],
            None,
            InsecurePlugins::Refuse,
        );
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].kind, ProblemKind::Plugin);
        let text = problems[0].to_string();
        assert!(
            text.contains("cannot read plugin directory no/such/plugin/dir"),
            "{text}"
        );
    }

    #[test]
    fn a_text_file_named_like_a_library_is_recorded_as_broken() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("fake.so"), "not a library").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
        let mut registry = ProviderRegistry::with_builtins();
        let dirs = [dir.path().to_path_buf()];
        assert!(load_dirs_listed(&mut registry, &dirs, None, InsecurePlugins::Refuse).is_empty());
        assert_eq!(registry.broken.len(), 1);
        assert_eq!(registry.broken[0].path, dir.path().join("fake.so"));
        assert!(
            registry.broken[0]
                .reason
                .starts_with("not a loadable shared library"),
            "{}",
            registry.broken[0].reason
        );
        assert!(registry
            .unknown_type_message("file")
            .contains("fake.so failed to load"));
        assert_eq!(registry.iter().count(), 3, "the built-ins are still there");
    }

    #[cfg(unix)]
    fn chmod(path: &Path, mode: u32) {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_directory_others_can_write_is_an_error_unless_allowed() {
        let dir = tempfile::tempdir().unwrap();
        chmod(dir.path(), 0o777);
        let dirs = [dir.path().to_path_buf()];
        let mut registry = ProviderRegistry::with_builtins();
        let problems = load_dirs_listed(&mut registry, &dirs, None, InsecurePlugins::Refuse);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].kind, ProblemKind::Plugin);
        let text = problems[0].to_string();
        assert!(text.contains("was refused: it is writable by"), "{text}");
        let mut registry = ProviderRegistry::with_builtins();
        let problems = load_dirs_listed(&mut registry, &dirs, None, InsecurePlugins::Allow);
        assert!(problems.is_empty(), "{problems:?}");
        assert!(registry.warnings[0]
            .to_string()
            .contains("loading it anyway"));
    }

    #[cfg(unix)]
    #[test]
    fn a_library_others_can_write_is_broken_and_not_opened_unless_allowed() {
        let dir = tempfile::tempdir().unwrap();
        let lib = dir.path().join("fake.so");
        std::fs::write(&lib, "not a library").unwrap();
        chmod(&lib, 0o646);
        let dirs = [dir.path().to_path_buf()];
        let mut registry = ProviderRegistry::with_builtins();
        assert!(load_dirs_listed(&mut registry, &dirs, None, InsecurePlugins::Refuse).is_empty());
        assert!(
            registry.broken[0]
                .reason
                .starts_with("it is writable by all other users"),
            "{}",
            registry.broken[0].reason
        );
        assert!(registry.unknown_type_message("file").contains("chmod go-w"));
        let mut registry = ProviderRegistry::with_builtins();
        assert!(load_dirs_listed(&mut registry, &dirs, None, InsecurePlugins::Allow).is_empty());
        // Opened this time: it fails as what it is, not as insecure.
        assert!(registry.broken[0]
            .reason
            .starts_with("not a loadable shared library"));
    }
}
