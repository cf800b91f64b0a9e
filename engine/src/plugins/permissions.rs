//! Who may change a plugin library (like ssh's `StrictModes`): loading a
//! library runs its code in this process, so a library, or a directory it is
//! loaded from, that another user can write to would let that user run code
//! as whoever runs flowtoy.
//!
//! A path is *insecure* when its group or other users may write to it (mode
//! `& 0o022`, the sticky bit does not help: anyone may still add a new
//! library to a directory), or when it belongs to a user other than the one
//! running flowtoy and root. Only the plugin directory, the library file and
//! (for a symlink) the directory holding the real file are checked, not their
//! parents. On platforms without Unix permissions nothing is refused.

use std::path::{Path, PathBuf};

/// What to do with plugin libraries and directories other users can write.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum InsecurePlugins {
    /// Refuse them (the default): a directory is a configuration error, a
    /// library is not loaded (recorded as broken).
    #[default]
    Refuse,
    /// Load them anyway, with a warning (`--allow-insecure-plugins`).
    Allow,
}

/// What a plugin path is, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PluginPath {
    /// A plugin directory.
    Directory,
    /// A plugin library file.
    Library,
}

/// A plugin path that other users can change: what, why, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Insecurity {
    /// The directory or library.
    pub what: PluginPath,
    /// Its path as given.
    pub path: PathBuf,
    /// Why, e.g. `is writable by all other users (mode 0777)`.
    pub why: String,
    /// The path to fix (the library's real directory for a symlink).
    fix_path: PathBuf,
}

impl Insecurity {
    /// `plugin directory DIR` or `plugin library FILE`.
    pub fn subject(&self) -> String {
        let noun = match self.what {
            PluginPath::Directory => "plugin directory",
            PluginPath::Library => "plugin library",
        };
        format!("{noun} {}", self.path.display())
    }

    /// Why it is refused and what to do, starting with `it`: `it is
    /// writable by ..., so ...; fix it with ..., or pass ...`.
    pub fn refusal(&self) -> String {
        let shown = self.fix_path.display();
        let fix = if self.why.contains("owned by") {
            format!("make {shown} yours (`chown \"$(id -u)\" {shown}`) or remove it")
        } else {
            format!("fix it with `chmod go-w {shown}`")
        };
        format!(
            "it {}, so another user could make flowtoy run their code; {fix}, \
             or pass --allow-insecure-plugins to load it anyway",
            self.why
        )
    }

    /// The warning when it is loaded anyway.
    pub fn allowed(&self) -> String {
        format!(
            "{} {}; loading it anyway because insecure plugins are allowed (--allow-insecure-plugins)",
            self.subject(),
            self.why
        )
    }
}

/// Checks a plugin directory.
pub fn check_directory(dir: &Path) -> Option<Insecurity> {
    let why = unsafe_because(dir)?;
    Some(Insecurity {
        what: PluginPath::Directory,
        path: dir.to_path_buf(),
        why,
        fix_path: dir.to_path_buf(),
    })
}

/// Checks a plugin library of `dir`: the file, and for a symlink the
/// directory holding the real file.
pub fn check_library(library: &Path, dir: &Path) -> Option<Insecurity> {
    let insecurity = |why, fix_path: &Path| Insecurity {
        what: PluginPath::Library,
        path: library.to_path_buf(),
        why,
        fix_path: fix_path.to_path_buf(),
    };
    if let Some(why) = unsafe_because(library) {
        return Some(insecurity(why, library));
    }
    let real = std::fs::canonicalize(library).ok()?;
    let parent = real.parent()?;
    let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    if parent == dir {
        return None;
    }
    let why = unsafe_because(parent)?;
    let why = format!("is a link into {}, which {why}", parent.display());
    Some(insecurity(why, parent))
}

#[cfg(unix)]
fn unsafe_because(path: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path).ok()?;
    let mode = meta.mode() & 0o7777;
    let writers = match (mode & 0o020 != 0, mode & 0o002 != 0) {
        (true, true) => Some("its group and all other users"),
        (true, false) => Some("its group"),
        (false, true) => Some("all other users"),
        (false, false) => None,
    };
    if let Some(writers) = writers {
        return Some(format!("is writable by {writers} (mode {mode:04o})"));
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    let owner = meta.uid();
    (owner != me && owner != 0)
        .then(|| format!("is owned by user {owner}, not by you (user {me}) or root"))
}

#[cfg(not(unix))]
fn unsafe_because(_path: &Path) -> Option<String> {
    None
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn chmod(path: &Path, mode: u32) {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn paths_others_can_write_are_refused_with_the_fix() {
        let dir = tempfile::tempdir().unwrap();
        let lib = dir.path().join("libx.so");
        std::fs::write(&lib, "x").unwrap();
        chmod(&lib, 0o644);
        assert_eq!(check_library(&lib, dir.path()), None);
        chmod(&lib, 0o666);
        let found = check_library(&lib, dir.path()).unwrap();
        assert_eq!(
            found.why,
            "is writable by its group and all other users (mode 0666)"
        );
        let refusal = found.refusal();
        assert!(
            refusal.contains(&format!("`chmod go-w {}`", lib.display())),
            "{refusal}"
        );
        assert!(refusal.contains("--allow-insecure-plugins"), "{refusal}");
        chmod(&lib, 0o664);
        let found = check_library(&lib, dir.path()).unwrap();
        assert_eq!(found.why, "is writable by its group (mode 0664)");
        chmod(&lib, 0o644);
        chmod(dir.path(), 0o1777);
        let found = check_directory(dir.path()).unwrap();
        assert!(found.subject().starts_with("plugin directory"));
        assert!(found.why.contains("(mode 1777)"), "{}", found.why);
    }

    #[test]
    fn a_link_into_a_directory_others_can_write_is_refused() {
        let shared = tempfile::tempdir().unwrap();
        let real = shared.path().join("libx.so");
        std::fs::write(&real, "x").unwrap();
        chmod(&real, 0o644);
        chmod(shared.path(), 0o777);
        let plugins = tempfile::tempdir().unwrap();
        let link = plugins.path().join("libx.so");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let found = check_library(&link, plugins.path()).unwrap();
        assert!(found.why.starts_with("is a link into"), "{}", found.why);
        assert!(
            found.refusal().contains("chmod go-w"),
            "{}",
            found.refusal()
        );
    }

    #[test]
    fn a_library_of_another_user_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let lib = dir.path().join("libx.so");
        std::fs::write(&lib, "x").unwrap();
        // Only root may give a file away; elsewhere there is nothing to test.
        if std::os::unix::fs::chown(&lib, Some(54321), None).is_err() {
            return;
        }
        let found = check_library(&lib, dir.path()).unwrap();
        assert!(
            found.why.contains("is owned by user 54321"),
            "{}",
            found.why
        );
        assert!(found.refusal().contains("chown"), "{}", found.refusal());
    }
}
