//! Content API v1 wire types (docs/content-api.md): what the reference server sends and
//! the client parses. One definition for both sides, so they cannot drift apart.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A published document as the content API returns it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ts_rs::TS)]
pub struct ApiDocument {
    pub slug: String,
    pub title: String,
    pub revision: String,
    pub html: String,
    pub markdown: String,
    pub summary: String,
    pub tags: Vec<String>,
    #[ts(type = "Record<string, unknown>")]
    pub front_matter: Map<String, Value>,
    pub published_at: String,
    pub updated_at: String,
    /// The cover image the front matter names (`cover:`), at an address readers can
    /// fetch; `null` without one.
    #[serde(default)]
    pub cover: Option<String>,
}

/// Body of `PUT /v1/documents/{slug}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PutDocument {
    pub title: String,
    pub markdown: String,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub front_matter: Map<String, Value>,
    /// The revision this edit started from; another current revision means someone
    /// else published meanwhile (409).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_revision: Option<String>,
    /// Images sent as a downscaled copy: `asset:<key>` in the markdown (or `cover:`) is
    /// shown as the uploaded asset `<value>` (both SHA-256s). Not part of the revision.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub images: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentList {
    pub documents: Vec<ApiDocument>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    /// Whether this server can serve: its database answers.
    pub ok: bool,
    pub version: String,
    /// The storage behind it: `sqlite` or `postgres` (absent from older servers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub database: Option<String>,
}

/// `{"error":{"code","message"}}`; a 409 also names the revision now current.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_revision: Option<String>,
}
