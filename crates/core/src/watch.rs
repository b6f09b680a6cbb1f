//! Writes to a workspace by other processes, without polling: inotify on the folder of
//! its database, for its write-ahead log (every committed write of any process lands
//! there first). The publishing service sleeps until its next due time or until this
//! says the workspace changed — a schedule set from the CLI while the app or a daemon
//! runs is seen at once, and an idle service has no wakeups.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;

use tokio::io::unix::AsyncFd;

/// A watch on the writes to one database.
pub struct Writes {
    fd: AsyncFd<OwnedFd>,
    /// The file names that count: the database and its write-ahead log.
    names: [Vec<u8>; 2],
}

impl Writes {
    /// Watches the database at `database` (on the current Tokio runtime).
    pub fn of(database: &Path) -> io::Result<Writes> {
        use std::os::unix::ffi::OsStrExt;
        let dir = match database.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let name = database
            .file_name()
            .ok_or_else(|| io::Error::other("no file name"))?
            .as_bytes()
            .to_vec();
        let mut wal = name.clone();
        wal.extend_from_slice(b"-wal");
        // SAFETY: inotify_init1 takes flags and returns a new descriptor or -1.
        let raw = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a descriptor we own from here on.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let path = std::ffi::CString::new(dir.as_os_str().as_bytes())
            .map_err(|_| io::Error::other("a NUL in the workspace's path"))?;
        let mask = libc::IN_MODIFY | libc::IN_CREATE | libc::IN_MOVED_TO | libc::IN_CLOSE_WRITE;
        // SAFETY: a valid descriptor and a NUL-terminated path.
        if unsafe { libc::inotify_add_watch(fd.as_raw_fd(), path.as_ptr(), mask) } < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: an `OwnedFd` keeps its descriptor open and the same until dropped,
        // which is when the `AsyncFd` is.
        let fd = unsafe { AsyncFd::register_with_interest(fd, tokio::io::Interest::READABLE) }
            .map_err(|e| io::Error::other(e.to_string()))?;
        Ok(Writes {
            fd,
            names: [name, wal],
        })
    }

    /// Until the database or its log is written (by anyone); every event waiting then
    /// is read, so a burst of writes is one change.
    pub async fn changed(&self) {
        loop {
            let Ok(mut ready) = self.fd.readable().await else {
                return std::future::pending().await;
            };
            let mut buffer = [0u8; 4096];
            let mut ours = false;
            loop {
                // SAFETY: reads into a buffer of its length from a descriptor we own.
                let n = unsafe {
                    libc::read(
                        self.fd.get_ref().as_raw_fd(),
                        buffer.as_mut_ptr().cast(),
                        buffer.len(),
                    )
                };
                if n <= 0 {
                    break;
                }
                ours |= self.names_in(&buffer[..n as usize]);
            }
            ready.clear_ready();
            if ours {
                return;
            }
        }
    }

    /// Whether the events in `events` name the database or its log.
    fn names_in(&self, mut events: &[u8]) -> bool {
        const HEADER: usize = std::mem::size_of::<libc::inotify_event>();
        let mut found = false;
        while events.len() >= HEADER {
            let len = u32::from_ne_bytes(events[12..16].try_into().expect("4 bytes")) as usize;
            let end = (HEADER + len).min(events.len());
            let name = &events[HEADER..end];
            let name = &name[..name.iter().position(|b| *b == 0).unwrap_or(name.len())];
            found |= self.names.iter().any(|n| n.as_slice() == name);
            events = &events[end..];
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn another_writer_wakes_it_and_nothing_else_does() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("workspace.db");
        drop(crate::Store::open(&db).unwrap());
        let watch = Writes::of(&db).unwrap();
        // Another file in the folder: no change.
        std::fs::write(dir.path().join("other.txt"), b"x").unwrap();
        let quiet = tokio::time::timeout(std::time::Duration::from_millis(200), watch.changed());
        assert!(quiet.await.is_err(), "not woken by another file");
        // Another connection (as another process would) writes the workspace.
        let writer = std::thread::spawn(move || {
            let mut store = crate::Store::open(&db).unwrap();
            store.create("x", "---\ntitle: X\n---\n").unwrap();
        });
        let woken = tokio::time::timeout(std::time::Duration::from_secs(5), watch.changed());
        assert!(woken.await.is_ok(), "woken by a write");
        writer.join().unwrap();
    }
}
