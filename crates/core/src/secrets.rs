//! Where site secrets live: the OS keyring (the Secret Service on Linux), one entry per
//! site holding its current secret and, while rotating, the previous one.
//!
//! On a machine without a keyring (a headless server) the user can opt in to a JSON
//! file by setting `PRESSROOM_SECRETS_FILE=/path/secrets.json`; it is written with
//! 0600 permissions and refused when anyone else can read it. There is no silent
//! fallback: without the variable, a missing keyring is an error that says so.
//! Secrets never go to SQLite, logs, `Debug` output or error messages.

use std::collections::BTreeMap;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::signing::Secret;

/// Opt-in file store for machines without a keyring.
pub const SECRETS_FILE_ENV: &str = "PRESSROOM_SECRETS_FILE";
/// Workspace setting naming a secrets file the workspace opted in to.
pub const WORKSPACE_FILE_KEY: &str = "secrets.file";
/// Keyring service name of every Pressroom entry.
pub const KEYRING_SERVICE: &str = "dev.pressroom.desktop";

/// A site's secrets. `previous` is kept while a rotation is in progress.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteSecrets {
    pub current: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
}

impl std::fmt::Debug for SiteSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SiteSecrets(<redacted>)")
    }
}

impl SiteSecrets {
    /// Signing secrets, current first (Standard Webhooks sites only).
    pub fn signing_secrets(&self) -> Result<Vec<Secret>> {
        std::iter::once(&self.current)
            .chain(self.previous.as_ref())
            .map(|s| Secret::parse(s))
            .collect()
    }
}

#[derive(Debug, Clone)]
pub enum SecretStore {
    Keyring,
    File(PathBuf),
}

fn keyring_error(e: keyring::Error) -> Error {
    Error::Keyring {
        message: e.to_string(),
    }
}

impl SecretStore {
    /// The file store when `PRESSROOM_SECRETS_FILE` is set, else the OS keyring.
    pub fn from_env() -> SecretStore {
        match std::env::var_os(SECRETS_FILE_ENV).filter(|v| !v.is_empty()) {
            Some(path) => SecretStore::File(PathBuf::from(path)),
            None => SecretStore::Keyring,
        }
    }

    /// The store a workspace uses: `PRESSROOM_SECRETS_FILE` when set, else the file
    /// the workspace itself names (the sandbox does, for its throwaway loopback secrets),
    /// else the OS keyring.
    pub fn for_workspace(store: &crate::Store) -> SecretStore {
        match SecretStore::from_env() {
            SecretStore::Keyring => match store.setting(WORKSPACE_FILE_KEY).ok().flatten() {
                Some(path) if !path.is_empty() => SecretStore::File(PathBuf::from(path)),
                _ => SecretStore::Keyring,
            },
            file => file,
        }
    }

    pub fn get(&self, reference: &str) -> Result<Option<SiteSecrets>> {
        let text = match self {
            SecretStore::Keyring => {
                let entry =
                    keyring::Entry::new(KEYRING_SERVICE, reference).map_err(keyring_error)?;
                match entry.get_password() {
                    Ok(text) => text,
                    Err(keyring::Error::NoEntry) => return Ok(None),
                    Err(e) => return Err(keyring_error(e)),
                }
            }
            SecretStore::File(_) => return Ok(self.read_file()?.remove(reference)),
        };
        serde_json::from_str(&text).map(Some).map_err(|_| {
            Error::Corrupt(format!("the keyring entry {reference} is not Pressroom's"))
        })
    }

    /// Several entries at once: the file store reads its file once, the keyring is
    /// asked entry by entry. Each answer is separate, so one bad entry spoils no other.
    pub fn get_many<'a>(
        &self,
        references: impl IntoIterator<Item = &'a str>,
    ) -> Vec<(String, Result<Option<SiteSecrets>>)> {
        match self {
            SecretStore::Keyring => references
                .into_iter()
                .map(|r| (r.to_owned(), self.get(r)))
                .collect(),
            SecretStore::File(_) => match self.read_file() {
                Ok(mut all) => references
                    .into_iter()
                    .map(|r| (r.to_owned(), Ok(all.remove(r))))
                    .collect(),
                Err(e) => {
                    let message = e.to_string();
                    references
                        .into_iter()
                        .map(|r| (r.to_owned(), Err(Error::Corrupt(message.clone()))))
                        .collect()
                }
            },
        }
    }

    pub fn set(&self, reference: &str, secrets: &SiteSecrets) -> Result<()> {
        match self {
            SecretStore::Keyring => {
                let entry =
                    keyring::Entry::new(KEYRING_SERVICE, reference).map_err(keyring_error)?;
                let text = serde_json::to_string(secrets).expect("secrets serialize");
                entry.set_password(&text).map_err(keyring_error)
            }
            SecretStore::File(_) => self.update_file(|all| {
                all.insert(reference.to_owned(), secrets.clone());
                true
            }),
        }
    }

    pub fn delete(&self, reference: &str) -> Result<()> {
        match self {
            SecretStore::Keyring => {
                let entry =
                    keyring::Entry::new(KEYRING_SERVICE, reference).map_err(keyring_error)?;
                match entry.delete_credential() {
                    Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                    Err(e) => Err(keyring_error(e)),
                }
            }
            SecretStore::File(_) => self.update_file(|all| all.remove(reference).is_some()),
        }
    }

    fn read_file(&self) -> Result<BTreeMap<String, SiteSecrets>> {
        let SecretStore::File(path) = self else {
            unreachable!("file store only")
        };
        let meta = match std::fs::metadata(path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(Error::io(path, e)),
        };
        if meta.permissions().mode() & 0o077 != 0 {
            return Err(Error::Io {
                path: path.clone(),
                source: std::io::Error::other(
                    "other users can read this secrets file; run `chmod 600` on it",
                ),
            });
        }
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        serde_json::from_str(&text).map_err(|_| {
            Error::Corrupt(format!(
                "{} is not a Pressroom secrets file",
                path.display()
            ))
        })
    }

    /// Read-modify-write of the file under an exclusive lock (`<file>.lock`), so that
    /// concurrent writers — several `pressroom site add` at once, the app and the CLI —
    /// never lose each other's entries. `change` says whether it changed anything.
    fn update_file(
        &self,
        change: impl FnOnce(&mut BTreeMap<String, SiteSecrets>) -> bool,
    ) -> Result<()> {
        let SecretStore::File(path) = self else {
            unreachable!("file store only")
        };
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let mut lock_path = path.clone().into_os_string();
        lock_path.push(".lock");
        let lock = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            // A symlink planted at the lock's name is refused, not followed.
            .custom_flags(libc::O_NOFOLLOW)
            .open(&lock_path)
            .map_err(|e| Error::io(&lock_path, e))?;
        lock.lock().map_err(|e| Error::io(&lock_path, e))?;
        let mut all = self.read_file()?;
        if change(&mut all) {
            self.write_file(&all)?;
        }
        // Dropping `lock` closes it, which releases the lock.
        Ok(())
    }

    /// Writes the whole file, 0600 from the start (`crate::replace_file`: never half
    /// written, never through a planted link).
    fn write_file(&self, all: &BTreeMap<String, SiteSecrets>) -> Result<()> {
        let SecretStore::File(path) = self else {
            unreachable!("file store only")
        };
        let text = serde_json::to_string_pretty(all).expect("serializes");
        crate::replace_file(path, text.as_bytes(), 0o600).map_err(|e| Error::io(path, e))
    }
}
