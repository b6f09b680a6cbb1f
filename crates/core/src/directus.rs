//! Directus as a place to publish to (issue #13): its REST API with a static token as
//! Bearer. The editor names the collection and which of its fields hold the title,
//! slug, body (markdown or HTML), summary, tags and status (`FieldMapping`). An item is
//! created once and updated in place by its id; one edited in Directus since
//! Pressroom last wrote it (its `date_updated` moved) is a conflict unless the editor
//! overwrites it.

use futures_util::future::BoxFuture;
use reqwest::{Method, StatusCode, Url};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::client::Reply;
use crate::cms::{Account, Body, Cms, Existing, Outgoing, Pulled, RemotePost};
use crate::error::{Error, Result};

/// How the body is stored in its field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum BodyFormat {
    /// The draft's markdown (the site renders it).
    #[default]
    Markdown,
    /// The core renderer's HTML.
    Html,
}

/// Which collection holds the posts and which of its fields hold what. Optional fields
/// left out are not written (nor read by a pull).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct FieldMapping {
    pub collection: String,
    pub title: String,
    pub slug: String,
    pub body: String,
    #[serde(default)]
    pub body_format: BodyFormat,
    pub summary: Option<String>,
    /// A `csv` or `json` field: the tags as a list.
    pub tags: Option<String>,
    /// Written "published" or "draft" (Directus's own status values).
    pub status: Option<String>,
    /// The field Directus sets on every change (special `date-updated`): what tells a
    /// post edited there since.
    pub modified: String,
    /// A file field (a UUID of `directus_files`): set to the cover image's file when
    /// the front matter names one (`cover:`).
    #[serde(default)]
    pub cover: Option<String>,
}

impl Default for FieldMapping {
    fn default() -> Self {
        FieldMapping {
            collection: "posts".into(),
            title: "title".into(),
            slug: "slug".into(),
            body: "content".into(),
            body_format: BodyFormat::Markdown,
            summary: Some("summary".into()),
            tags: Some("tags".into()),
            status: Some("status".into()),
            modified: "date_updated".into(),
            cover: None,
        }
    }
}

impl FieldMapping {
    /// Every name must be a plain field name (it goes into URLs and queries).
    pub fn check(&self) -> Result<()> {
        let names = [
            Some(&self.collection),
            Some(&self.title),
            Some(&self.slug),
            Some(&self.body),
            self.summary.as_ref(),
            self.tags.as_ref(),
            self.status.as_ref(),
            Some(&self.modified),
            self.cover.as_ref(),
        ];
        for name in names.into_iter().flatten() {
            let plain = !name.is_empty()
                && name.len() <= 64
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !plain {
                return Err(Error::InvalidDestination {
                    reason: format!(
                        "{name:?} is not a Directus field or collection name (letters, digits, _ and -)"
                    ),
                });
            }
        }
        Ok(())
    }

    /// The fields a read asks for: only the mapped ones.
    fn fields(&self) -> String {
        let mut fields = vec!["id", &self.title, &self.slug, &self.body, &self.modified];
        fields.extend(
            [&self.summary, &self.tags, &self.status]
                .into_iter()
                .flatten()
                .map(String::as_str),
        );
        fields.join(",")
    }
}

pub struct Directus {
    root: Url,
    token: String,
    mapping: FieldMapping,
    http: reqwest::Client,
}

impl std::fmt::Debug for Directus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the token.
        f.debug_struct("Directus")
            .field("root", &self.root.as_str())
            .field("collection", &self.mapping.collection)
            .finish_non_exhaustive()
    }
}

impl Directus {
    pub fn new(root: &str, token: &str, mapping: FieldMapping) -> Result<Directus> {
        mapping.check()?;
        let (root, http) = crate::client::endpoint_and_client(root).map_err(|e| match e {
            Error::InvalidUrl { url, reason } => Error::InvalidDestination {
                reason: format!("{url:?} is not a usable address: {reason}"),
            },
            e => e,
        })?;
        Ok(Directus {
            root,
            token: token.trim().to_owned(),
            mapping,
            http,
        })
    }

    fn items(&self) -> String {
        format!("items/{}", self.mapping.collection)
    }

    fn item(&self, id: &str) -> String {
        format!("items/{}/{}", self.mapping.collection, urlencode(id))
    }

    /// The account the token logs in as, and whether it may create and update items
    /// of the collection.
    pub async fn account(&self) -> Result<Account> {
        let me = self
            .call(
                Method::GET,
                "users/me",
                &[("fields", "first_name,last_name,email")],
                None,
            )
            .await?;
        let me = &me["data"];
        let name = [&me["first_name"], &me["last_name"]]
            .iter()
            .filter_map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let name = if name.trim().is_empty() {
            me["email"]
                .as_str()
                .unwrap_or("(a token without a user name)")
                .to_owned()
        } else {
            name
        };
        let permissions = self.call(Method::GET, "permissions/me", &[], None).await?;
        let of = &permissions["data"][&self.mapping.collection];
        let may = |action: &str| {
            of[action]["access"]
                .as_str()
                .is_some_and(|a| a == "full" || a == "partial")
        };
        Ok(Account {
            name,
            can_publish: may("create") && may("update"),
        })
    }

    /// The item's body as this mapping stores it: markdown or HTML, with the marker.
    fn fields_of(&self, post: &Outgoing<'_>) -> Map<String, Value> {
        let m = &self.mapping;
        let body = match m.body_format {
            BodyFormat::Html => post.html.to_owned(),
            BodyFormat::Markdown => format!(
                "{}\n\n{}\n",
                post.markdown.trim_end(),
                crate::cms::revision_marker(post.revision)
            ),
        };
        let mut fields = Map::new();
        fields.insert(m.title.clone(), json!(post.title));
        fields.insert(m.slug.clone(), json!(post.slug));
        fields.insert(m.body.clone(), json!(body));
        if let Some(f) = &m.summary {
            fields.insert(f.clone(), json!(post.excerpt));
        }
        if let Some(f) = &m.tags {
            fields.insert(f.clone(), json!(post.tags));
        }
        if let Some(f) = &m.status {
            fields.insert(
                f.clone(),
                json!(if post.draft { "draft" } else { "published" }),
            );
        }
        if let (Some(f), Some(cover)) = (&m.cover, post.cover) {
            fields.insert(f.clone(), json!(cover.id));
        }
        fields
    }

    /// Where `slug`'s item stands before a write: the one at `remote` as Pressroom
    /// left it, changed there since, gone; or, for a document never published here,
    /// an item with its slug that Pressroom did not write.
    pub async fn existing(&self, slug: &str, remote: Option<&RemotePost>) -> Result<Existing> {
        let m = &self.mapping;
        if let Some(remote) = remote {
            let Some(item) = self.find(&[("id", &remote.id)]).await? else {
                return Ok(Existing::None);
            };
            let modified = self.remote_post(&item)?.modified;
            return Ok(if modified != remote.modified {
                Existing::Changed {
                    id: remote.id.clone(),
                    what: format!("Directus item {} was edited there at {modified}", remote.id),
                }
            } else {
                Existing::Unchanged(remote.id.clone())
            });
        }
        Ok(match self.find(&[(&m.slug, slug)]).await? {
            Some(item) => {
                let id = self.remote_post(&item)?.id;
                Existing::Changed {
                    what: format!(
                        "{} has an item {slug:?} (id {id}) that Pressroom did not write",
                        m.collection
                    ),
                    id,
                }
            }
            None => Existing::None,
        })
    }

    /// The first item whose fields equal `filter` (id and modified time), or `None`.
    /// A filter, not `GET /items/C/ID`: Directus answers 403 for a missing item, which
    /// could not be told from a missing permission.
    async fn find(&self, filter: &[(&str, &str)]) -> Result<Option<Value>> {
        let fields = format!("id,{}", self.mapping.modified);
        let keys: Vec<(String, &str)> = filter
            .iter()
            .map(|(field, value)| (format!("filter[{field}][_eq]"), *value))
            .collect();
        let mut query: Vec<(&str, &str)> = keys.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        query.extend([("fields", fields.as_str()), ("limit", "1")]);
        let answer = self.call(Method::GET, &self.items(), &query, None).await?;
        Ok(answer["data"].get(0).cloned())
    }

    /// Writes the item: over item `id`, or a new one.
    pub async fn write(&self, post: &Outgoing<'_>, id: Option<&str>) -> Result<RemotePost> {
        let body = Value::Object(self.fields_of(post));
        let wanted = format!("id,{}", self.mapping.modified);
        let fields = [("fields", wanted.as_str())];
        let answer = match id {
            Some(id) => {
                self.call(Method::PATCH, &self.item(id), &fields, Some(&body))
                    .await?
            }
            None => {
                self.call(Method::POST, &self.items(), &fields, Some(&body))
                    .await?
            }
        };
        self.remote_post(&answer["data"])
    }

    /// Creates the item, or updates the one at `remote` in place (see the module); an
    /// item edited there since is `Error::EditedElsewhere` unless `overwrite`.
    pub async fn publish(
        &self,
        post: &Outgoing<'_>,
        remote: Option<&RemotePost>,
        overwrite: bool,
    ) -> Result<RemotePost> {
        crate::cms::write_checked(self, post, remote, overwrite).await
    }

    /// Uploads an image to Directus's files (`POST /files`) under `cms::upload_name`;
    /// answers its address, `<server>/assets/<id>/<that name>`.
    pub async fn upload(
        &self,
        asset: &crate::assets::Asset,
        bytes: &[u8],
    ) -> Result<crate::assets::Upload> {
        let name = crate::cms::upload_name(asset);
        let part = reqwest::multipart::Part::bytes(bytes.to_vec())
            .file_name(name.clone())
            .mime_str(&asset.mime)
            .map_err(|e| Error::InvalidImage {
                name: asset.name.clone(),
                reason: e.to_string(),
            })?;
        let form = reqwest::multipart::Form::new()
            .text("title", asset.name.clone())
            .part("file", part);
        let (status, answer) = self
            .request_with(Method::POST, "files", &[("fields", "id")], |r| {
                r.multipart(form).timeout(crate::client::UPLOAD_TIMEOUT)
            })
            .await?;
        if !status.is_success() {
            return Err(self.refusal(status, &answer));
        }
        let id = answer["data"]["id"]
            .as_str()
            .filter(|id| id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
            .ok_or_else(|| answer_without("file id"))?;
        Ok(crate::assets::Upload {
            url: format!(
                "{}/assets/{id}/{name}",
                self.root.as_str().trim_end_matches('/')
            ),
            id: id.to_owned(),
        })
    }

    /// Whether file `upload.id` is still there (a filter: Directus answers 403, not
    /// 404, for a file that is not).
    pub async fn has_upload(&self, upload: &crate::assets::Upload) -> Result<bool> {
        let query = [
            ("filter[id][_eq]", upload.id.as_str()),
            ("fields", "id"),
            ("limit", "1"),
        ];
        let answer = self.call(Method::GET, "files", &query, None).await?;
        Ok(answer["data"]
            .as_array()
            .is_some_and(|found| !found.is_empty()))
    }

    /// Deletes item `id` (Directus answers 204 also for one already gone).
    pub async fn delete(&self, id: &str) -> Result<()> {
        self.call(Method::DELETE, &self.item(id), &[], None)
            .await
            .map(|_| ())
    }

    /// Every item of the collection, `page_size` per request.
    pub async fn pull(&self, page_size: u32) -> Result<Vec<Pulled>> {
        let limit = page_size.clamp(1, 500);
        let (limit_text, fields) = (limit.to_string(), self.mapping.fields());
        let mut pulled = Vec::new();
        // Bounded: a million items at most.
        for page in 1..=(1_000_000 / limit + 1) {
            let page_text = page.to_string();
            let query = [
                ("limit", limit_text.as_str()),
                ("page", page_text.as_str()),
                ("fields", fields.as_str()),
                ("sort", "id"),
            ];
            let answer = self.call(Method::GET, &self.items(), &query, None).await?;
            let items = answer["data"].as_array().cloned().unwrap_or_default();
            let last = items.len() < limit as usize;
            for item in &items {
                pulled.push(self.pulled(item)?);
            }
            if last {
                break;
            }
        }
        Ok(pulled)
    }

    fn pulled(&self, item: &Value) -> Result<Pulled> {
        let m = &self.mapping;
        let text = |f: &str| item[f].as_str().unwrap_or_default().to_owned();
        let body = text(&m.body);
        let tags = match m.tags.as_ref().map(|f| &item[f]) {
            Some(Value::Array(list)) => list
                .iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect(),
            Some(Value::String(csv)) => csv
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        Ok(Pulled {
            remote: self.remote_post(item)?,
            title: text(&m.title),
            slug: text(&m.slug),
            body: match m.body_format {
                BodyFormat::Html => Body::Html(body),
                BodyFormat::Markdown => Body::Markdown(body),
            },
            excerpt: m.summary.as_deref().map(text).unwrap_or_default(),
            tags,
            categories: Vec::new(),
            status: None,
            published: m
                .status
                .as_ref()
                .is_none_or(|f| item[f].as_str() == Some("published")),
        })
    }

    fn remote_post(&self, item: &Value) -> Result<RemotePost> {
        let id = match &item["id"] {
            Value::Number(n) => n.to_string(),
            // A UUID or a key of letters and digits: it goes into URLs.
            Value::String(s)
                if !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
            {
                s.clone()
            }
            _ => return Err(answer_without("id")),
        };
        Ok(RemotePost {
            id,
            modified: item[&self.mapping.modified]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            link: String::new(),
        })
    }

    async fn call(
        &self,
        method: Method,
        route: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Value> {
        let (status, answer) = self.request(method, route, query, body).await?;
        if status.is_success() {
            Ok(answer)
        } else {
            Err(self.refusal(status, &answer))
        }
    }

    /// One request: its status and JSON answer (`null` for an empty one); only not
    /// reaching Directus is an error here.
    async fn request(
        &self,
        method: Method,
        route: &str,
        query: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<(StatusCode, Value)> {
        self.request_with(method, route, query, |r| match body {
            Some(body) => r.json(body),
            None => r,
        })
        .await
    }

    /// `request` with the body `build` gives it (an upload's form).
    async fn request_with(
        &self,
        method: Method,
        route: &str,
        query: &[(&str, &str)],
        build: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Result<(StatusCode, Value)> {
        let mut url = self.root.clone();
        let path = format!("{}/{route}", url.path().trim_end_matches('/'));
        url.set_path(&path);
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query);
        }
        let request = build(self.http.request(method, url).bearer_auth(&self.token));
        let (status, reply) = crate::client::reply(request, &self.root).await?;
        let answer = match reply {
            Reply::Json(answer) => answer,
            Reply::Empty => Value::Null,
            Reply::Redirect(to) => {
                let message = format!(
                    "Directus redirects to {to}: set the destination's URL to that address"
                );
                json!({ "errors": [{ "message": message }] })
            }
            // A web page where the API should answer: not Directus's address.
            Reply::Text(_) if status.is_success() => {
                return Ok((
                    StatusCode::NOT_FOUND,
                    json!({ "errors": [{ "message": "The address answers with a web page.",
                                         "extensions": { "code": "ROUTE_NOT_FOUND" } }] }),
                ))
            }
            Reply::Text(text) => {
                json!({ "errors": [{ "message": text.chars().take(200).collect::<String>() }] })
            }
        };
        Ok((status, answer))
    }

    /// The error a refusal from Directus means.
    fn refusal(&self, status: StatusCode, answer: &Value) -> Error {
        let first = &answer["errors"][0];
        let message = first["message"].as_str().unwrap_or_default().to_owned();
        let code = first["extensions"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let url = self.root.to_string();
        match status {
            StatusCode::UNAUTHORIZED => Error::DestinationRefused {
                url,
                reason: format!(
                    "{message} Check the token (User Directory ▸ the user ▸ Token, then Save)."
                ),
            },
            StatusCode::FORBIDDEN => Error::DestinationRefused {
                url,
                reason: format!(
                    "{message} The token's user may not do this in the collection {:?}, or the \
                     collection does not exist.",
                    self.mapping.collection
                ),
            },
            StatusCode::NOT_FOUND if code == "ROUTE_NOT_FOUND" => Error::DestinationRefused {
                url,
                reason: format!(
                    "{message} This is not a Directus server's address (give the address its \
                     app is served from, without /admin)."
                ),
            },
            s if s.is_server_error() => Error::DestinationFailed {
                url,
                status: s.as_u16(),
                message,
            },
            s => Error::DestinationRejected {
                url,
                status: s.as_u16(),
                code,
                message,
            },
        }
    }
}

fn answer_without(field: &str) -> Error {
    Error::DestinationRejected {
        url: String::new(),
        status: 200,
        code: "unexpected_answer".into(),
        message: format!("Directus answered without the item's {field}"),
    }
}

/// A path segment: an id is a number or a UUID, but nothing else may slip in.
fn urlencode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Cms for Directus {
    fn account(&self) -> BoxFuture<'_, Result<Account>> {
        Box::pin(Directus::account(self))
    }

    fn existing<'a>(
        &'a self,
        slug: &'a str,
        remote: Option<&'a RemotePost>,
    ) -> BoxFuture<'a, Result<Existing>> {
        Box::pin(Directus::existing(self, slug, remote))
    }

    fn write<'a>(
        &'a self,
        post: &'a Outgoing<'a>,
        id: Option<&'a str>,
    ) -> BoxFuture<'a, Result<RemotePost>> {
        Box::pin(Directus::write(self, post, id))
    }

    fn delete<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(Directus::delete(self, id))
    }

    fn upload<'a>(
        &'a self,
        asset: &'a crate::assets::Asset,
        bytes: &'a [u8],
    ) -> BoxFuture<'a, Result<crate::assets::Upload>> {
        Box::pin(Directus::upload(self, asset, bytes))
    }

    fn has_upload<'a>(&'a self, upload: &'a crate::assets::Upload) -> BoxFuture<'a, Result<bool>> {
        Box::pin(Directus::has_upload(self, upload))
    }

    fn pull(&self, page_size: u32) -> BoxFuture<'_, Result<Vec<Pulled>>> {
        Box::pin(Directus::pull(self, page_size))
    }
}
