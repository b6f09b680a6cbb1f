//! The crate's error type, and API errors as `{"error":{"code","message"}}` responses.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use pressroom_core::wire::{ErrorBody, ErrorDetail};

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Store(#[from] pressroom_core::Error),
    #[error("network: {0}")]
    Io(std::io::Error),
    #[error("{0}")]
    Config(String),
    #[error("database: {0}")]
    Database(String),
}

/// An error answer of the API.
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub current_revision: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            current_revision: None,
        }
    }

    /// A failure the client cannot act on (its cause is logged, not sent).
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server failed; try again",
        )
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "writes need `Authorization: Bearer <token>` with the server's write token",
        )
    }
}

impl From<pressroom_core::Error> for ApiError {
    fn from(err: pressroom_core::Error) -> Self {
        use pressroom_core::Error as E;
        let status = match &err {
            E::InvalidSlug { .. } => StatusCode::BAD_REQUEST,
            E::DocumentNotFound { .. } | E::AssetNotFound { .. } => StatusCode::NOT_FOUND,
            E::Conflict { .. } => StatusCode::CONFLICT,
            E::IdempotencyKeyReused { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            E::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %err, "request failed");
            return Self::internal();
        }
        let current_revision = match &err {
            E::Conflict {
                current_revision, ..
            } => current_revision.clone(),
            _ => None,
        };
        ApiError {
            status,
            code: err.kind(),
            message: err.to_string(),
            current_revision,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
                current_revision: self.current_revision,
            },
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, "Bearer".parse().expect("static"));
        }
        response
    }
}
