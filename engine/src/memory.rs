//! Handing freed memory back to the system after a flow is loaded.
//!
//! Loading a large flow allocates its text and parse values on the calling
//! thread; the run then allocates step results on worker threads, which
//! glibc serves from heaps of their own. glibc keeps the freed load memory
//! in the caller's heap, so without this a large flow holds both for the
//! whole run (BENCHMARKS.md: 39 → 31 MB for 10,000 steps).

/// Returns free heap pages to the system (glibc only; nothing elsewhere).
pub(crate) fn release_freed() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only gives free pages of the heap back to the
    // system; it takes no pointers and has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}
