//! Errors as the front end receives them: `{kind, message}`, where `kind` is the core
//! error's stable tag, so the UI can react (e.g. `not_found` → refresh the list).

use serde::Serialize;

/// What every failed command rejects with.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct IpcError {
    pub kind: &'static str,
    pub message: String,
}

impl From<pressroom_core::Error> for IpcError {
    fn from(err: pressroom_core::Error) -> Self {
        IpcError {
            kind: err.kind(),
            message: err.to_string(),
        }
    }
}

pub type IpcResult<T> = Result<T, IpcError>;
