//! Where a workspace lives on disk. The app and the CLI resolve it the same way:
//! an explicit directory, else `$PRESSROOM_DATA_DIR`, else the platform data dir.

use std::path::{Path, PathBuf};

/// Environment variable that overrides the default data directory.
pub const DATA_DIR_ENV: &str = "PRESSROOM_DATA_DIR";

/// `$PRESSROOM_DATA_DIR`, else e.g. `~/.local/share/pressroom` on Linux.
pub fn default_data_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("pressroom")
}

/// The workspace database inside a data directory.
pub fn database_path(data_dir: &Path) -> PathBuf {
    data_dir.join("workspace.db")
}
