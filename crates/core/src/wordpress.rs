//! WordPress as a place to publish to (issue #13): its REST API v2 with an Application
//! Password over Basic auth. A post is created once and then updated in place by the id
//! recorded at that first publish (WordPress would silently rename a second post with
//! the same slug), tags are looked up by slug and created when missing, and a post
//! edited in WordPress since Pressroom last published it is a conflict unless the
//! editor chooses to overwrite it.
//!
//! The REST root is given as WordPress announces it (`Link: <…>; rel="https://api.w.org/"`
//! on any page): `https://example.com/wp-json/` with pretty permalinks, or
//! `https://example.com/index.php?rest_route=/` without them. Both work here.

use reqwest::{Method, StatusCode, Url};
use serde_json::{json, Value};

use crate::client::Reply;
use crate::cms::{Account, Body, Cms, Existing, Outgoing, Pulled, RemotePost};
use crate::error::{Error, Result};
use futures_util::future::BoxFuture;

/// Every status a post of an editor's can have (not the trash).
const STATUSES: &str = "publish,future,draft,pending,private";

pub struct WordPress {
    root: Url,
    user: String,
    password: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for WordPress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password.
        f.debug_struct("WordPress")
            .field("root", &self.root.as_str())
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl WordPress {
    pub fn new(root: &str, user: &str, password: &str) -> Result<WordPress> {
        let (root, http) = crate::client::endpoint_and_client(root).map_err(|e| match e {
            Error::InvalidUrl { url, reason } => Error::InvalidDestination {
                reason: format!("{url:?} is not a usable address: {reason}"),
            },
            e => e,
        })?;
        Ok(WordPress {
            root,
            user: user.to_owned(),
            // Application Passwords are shown with spaces, which WordPress ignores.
            password: password.split_whitespace().collect(),
            http,
        })
    }

    /// The URL of REST route `route` (such as `wp/v2/posts/7`), in the root's form.
    fn endpoint(&self, route: &str) -> Url {
        let mut url = self.root.clone();
        let rest_route = url
            .query_pairs()
            .find(|(k, _)| k == "rest_route")
            .map(|(_, v)| v.into_owned());
        match rest_route {
            Some(base) => {
                let others: Vec<(String, String)> = url
                    .query_pairs()
                    .filter(|(k, _)| k != "rest_route")
                    .map(|(k, v)| (k.into_owned(), v.into_owned()))
                    .collect();
                let route = format!("{}/{route}", base.trim_end_matches('/'));
                url.query_pairs_mut()
                    .clear()
                    .extend_pairs(others)
                    .append_pair("rest_route", &route);
            }
            None => {
                let path = format!("{}/{route}", url.path().trim_end_matches('/'));
                url.set_path(&path);
            }
        }
        url
    }

    /// The account the password logs in as (a connection test).
    pub async fn account(&self) -> Result<Account> {
        let me = self
            .call(Method::GET, "wp/v2/users/me", &[("context", "edit")], None)
            .await?;
        Ok(Account {
            name: me["name"].as_str().unwrap_or_default().to_owned(),
            can_publish: me["capabilities"]["publish_posts"]
                .as_bool()
                .unwrap_or(false),
        })
    }

    /// Where `slug`'s post stands before a write: the one at `remote` as Pressroom left
    /// it, changed there since (edited, or moved to the trash), gone; or, for a
    /// document never published here, a post with its slug that Pressroom did not write
    /// (WordPress would rename a second one to `slug-2`).
    pub async fn existing(&self, slug: &str, remote: Option<&RemotePost>) -> Result<Existing> {
        if let Some(remote) = remote {
            let Some(post) = self.post(&remote.id).await? else {
                return Ok(Existing::None);
            };
            let modified = post["modified_gmt"].as_str().unwrap_or_default();
            return Ok(if post["status"] == "trash" {
                Existing::Changed {
                    id: remote.id.clone(),
                    what: format!("WordPress post {} was moved to the trash there", remote.id),
                }
            } else if modified != remote.modified {
                Existing::Changed {
                    id: remote.id.clone(),
                    what: format!(
                        "WordPress post {} was edited there at {modified} UTC",
                        remote.id
                    ),
                }
            } else {
                Existing::Unchanged(remote.id.clone())
            });
        }
        let found = self
            .call(
                Method::GET,
                "wp/v2/posts",
                &[
                    ("slug", slug),
                    ("status", STATUSES),
                    ("context", "edit"),
                    ("_fields", "id"),
                ],
                None,
            )
            .await?;
        Ok(match found.get(0).and_then(|p| p["id"].as_u64()) {
            Some(id) => Existing::Changed {
                id: id.to_string(),
                what: format!(
                    "WordPress has a post {slug:?} (id {id}) that Pressroom did not write"
                ),
            },
            None => Existing::None,
        })
    }

    /// Writes the post: over post `id`, or a new one. Tags and categories are looked
    /// up by slug and created when missing; categories are sent only when the draft
    /// names some (otherwise the post keeps what it has there).
    pub async fn write(&self, post: &Outgoing<'_>, id: Option<&str>) -> Result<RemotePost> {
        let tags = self.term_ids("tags", post.tags).await?;
        let mut body = json!({
            "title": escape(post.title),
            "slug": post.slug,
            // One HTML block: WordPress then leaves the renderer's HTML as it is (no
            // `wpautop`, which would turn the line breaks inside paragraphs into <br>).
            "content": format!("<!-- wp:html -->\n{}\n<!-- /wp:html -->", post.html),
            "excerpt": escape(post.excerpt),
            "tags": tags,
            "status": post.status.unwrap_or(if post.draft { "draft" } else { "publish" }),
        });
        // Its own scheduled post: WordPress shows it from `date_gmt` on (and Pressroom
        // still publishes it then, and tells the sites).
        if let (Some(at), false) = (post.publish_at, post.draft) {
            body["status"] = json!("future");
            body["date_gmt"] = json!(at);
        } else if let Some(date) = post.date {
            body["date_gmt"] = json!(date);
        }
        if !post.categories.is_empty() {
            body["categories"] = json!(self.term_ids("categories", post.categories).await?);
        }
        // Set when the front matter names a cover; never cleared (a featured image
        // chosen in WordPress stays).
        if let Some(cover) = post.cover.and_then(|c| c.id.parse::<u64>().ok()) {
            body["featured_media"] = json!(cover);
        }
        let route = match id {
            Some(id) => format!("wp/v2/posts/{id}"),
            None => "wp/v2/posts".to_owned(),
        };
        let answer = self.call(Method::POST, &route, &[], Some(&body)).await?;
        remote_post(&answer)
    }

    /// Creates the post, or updates the one at `remote` in place: what `existing` and
    /// `write` do together (`cms::write_checked`). A post changed there since is
    /// `Error::EditedElsewhere` unless `overwrite`.
    pub async fn publish(
        &self,
        post: &Outgoing<'_>,
        remote: Option<&RemotePost>,
        overwrite: bool,
    ) -> Result<RemotePost> {
        crate::cms::write_checked(self, post, remote, overwrite).await
    }

    /// Uploads an image to the media library (`/wp/v2/media`) under `cms::upload_name`;
    /// answers its address.
    pub async fn upload(
        &self,
        asset: &crate::assets::Asset,
        bytes: &[u8],
    ) -> Result<crate::assets::Upload> {
        let name = crate::cms::upload_name(asset);
        let body = bytes.to_vec();
        let (status, answer) = self
            .request_with(Method::POST, "wp/v2/media", &[], |r| {
                r.header(reqwest::header::CONTENT_TYPE, &asset.mime)
                    .header(
                        reqwest::header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}\""),
                    )
                    .body(body)
                    .timeout(crate::client::UPLOAD_TIMEOUT)
            })
            .await?;
        if !status.is_success() {
            return Err(self.refusal(status, &answer));
        }
        let url = answer["source_url"]
            .as_str()
            .ok_or_else(|| answer_without("source_url"))?;
        let id = answer["id"]
            .as_u64()
            .ok_or_else(|| answer_without("media id"))?;
        Ok(crate::assets::Upload {
            url: url.to_owned(),
            id: id.to_string(),
        })
    }

    /// Whether media `upload.id` is still in the library.
    pub async fn has_upload(&self, upload: &crate::assets::Upload) -> Result<bool> {
        let route = format!("wp/v2/media/{}", upload.id);
        match self
            .call(Method::GET, &route, &[("_fields", "id")], None)
            .await
        {
            Ok(_) => Ok(true),
            Err(Error::DestinationRejected {
                status: 404 | 410, ..
            }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Deletes post `id` for good (not to WordPress's trash: its page must be gone). A
    /// post already gone counts as done.
    pub async fn delete(&self, id: &str) -> Result<()> {
        let route = format!("wp/v2/posts/{id}");
        match self
            .call(Method::DELETE, &route, &[("force", "true")], None)
            .await
        {
            Ok(_) => Ok(()),
            Err(Error::DestinationRejected {
                status: 404 | 410, ..
            }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Every post there (published, scheduled, draft, pending, private), oldest first,
    /// with its tags' and categories' names.
    pub async fn pull(&self, page_size: u32) -> Result<Vec<Pulled>> {
        let per_page = page_size.clamp(1, 100);
        let per_page_text = per_page.to_string();
        let mut raw = Vec::new();
        // Bounded: a million posts at most.
        for page in 1..=10_000u32 {
            let page_text = page.to_string();
            let query = [
                ("context", "edit"),
                ("per_page", per_page_text.as_str()),
                ("page", page_text.as_str()),
                ("status", STATUSES),
                // A total order: by date, posts made in the same second would come in
                // any order on each page, some twice and some never.
                ("orderby", "id"),
                ("order", "asc"),
            ];
            let (status, answer) = self
                .request(Method::GET, "wp/v2/posts", &query, None)
                .await?;
            if status == StatusCode::BAD_REQUEST
                && answer["code"] == "rest_post_invalid_page_number"
            {
                break;
            }
            if !status.is_success() {
                return Err(self.refusal(status, &answer));
            }
            let Value::Array(items) = answer else {
                return Err(answer_without("list of posts"));
            };
            let last = items.len() < per_page as usize;
            raw.extend(items);
            if last {
                break;
            }
        }
        let ids = |field: &str| -> Vec<u64> {
            let mut ids: Vec<u64> = raw
                .iter()
                .flat_map(|p| p[field].as_array().cloned().unwrap_or_default())
                .filter_map(|v| v.as_u64())
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let tags = self.term_names("tags", &ids("tags")).await?;
        let categories = self.term_names("categories", &ids("categories")).await?;
        let names = |post: &Value,
                     field: &str,
                     known: &std::collections::HashMap<u64, (String, String)>| {
            post[field]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|id| known.get(&id.as_u64()?))
                // Every post WordPress has is in its default category at least: not a
                // choice of the author's.
                .filter(|(_, slug)| slug != "uncategorized")
                .map(|(name, _)| name.clone())
                .collect::<Vec<_>>()
        };
        raw.iter()
            .map(|post| {
                let status = post["status"].as_str().unwrap_or("publish");
                Ok(Pulled {
                    remote: remote_post(post)?,
                    // Stored as HTML (Pressroom sends it escaped): its text.
                    title: crate::cms::html_text(post["title"]["raw"].as_str().unwrap_or_default()),
                    slug: post["slug"].as_str().unwrap_or_default().to_owned(),
                    body: Body::Html(
                        post["content"]["rendered"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned(),
                    ),
                    excerpt: crate::cms::html_text(
                        post["excerpt"]["raw"].as_str().unwrap_or_default(),
                    ),
                    tags: names(post, "tags", &tags),
                    categories: names(post, "categories", &categories),
                    published: status == "publish",
                    status: (status != "publish").then(|| status.to_owned()),
                })
            })
            .collect()
    }

    /// The names and slugs of the terms `ids` of `taxonomy`, a hundred per request.
    async fn term_names(
        &self,
        taxonomy: &str,
        ids: &[u64],
    ) -> Result<std::collections::HashMap<u64, (String, String)>> {
        let route = format!("wp/v2/{taxonomy}");
        let mut names = std::collections::HashMap::new();
        for chunk in ids.chunks(100) {
            let include = chunk
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let terms = self
                .call(
                    Method::GET,
                    &route,
                    &[("include", include.as_str()), ("per_page", "100")],
                    None,
                )
                .await?;
            for term in terms.as_array().into_iter().flatten() {
                if let Some(id) = term["id"].as_u64() {
                    let text = |f: &str| term[f].as_str().unwrap_or_default().to_owned();
                    names.insert(id, (text("name"), text("slug")));
                }
            }
        }
        Ok(names)
    }

    /// Post `id` (its edit context), or `None` when it no longer exists.
    async fn post(&self, id: &str) -> Result<Option<Value>> {
        let route = format!("wp/v2/posts/{id}");
        match self
            .call(Method::GET, &route, &[("context", "edit")], None)
            .await
        {
            Ok(post) => Ok(Some(post)),
            Err(Error::DestinationRejected {
                status: 404 | 410, ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The ids of the terms `names` of `taxonomy` ("tags" or "categories"), looked up
    /// by slug, each created when WordPress has none.
    async fn term_ids(&self, taxonomy: &str, names: &[String]) -> Result<Vec<u64>> {
        let route = format!("wp/v2/{taxonomy}");
        let mut ids = Vec::with_capacity(names.len());
        for name in names {
            let slug = crate::slug::slugify(name);
            if slug.is_empty() {
                // WordPress ignores an empty slug filter: it would answer any tag.
                return Err(Error::InvalidDestination {
                    reason: format!("{taxonomy} {name:?}: no letters or digits to name it by"),
                });
            }
            let found = self
                .call(Method::GET, &route, &[("slug", slug.as_str())], None)
                .await?;
            if let Some(id) = found.get(0).and_then(|t| t["id"].as_u64()) {
                ids.push(id);
                continue;
            }
            let body = json!({ "name": name, "slug": slug });
            let (status, answer) = self.request(Method::POST, &route, &[], Some(&body)).await?;
            let id = if status.is_success() {
                answer["id"].as_u64()
            } else if answer["code"] == "term_exists" {
                // The same name under another slug (made in WordPress): that tag.
                answer["data"]["term_id"].as_u64()
            } else {
                return Err(self.refusal(status, &answer));
            };
            ids.push(id.ok_or_else(|| answer_without("id"))?);
        }
        Ok(ids)
    }

    /// One request; the JSON answer of a 2xx, else the error WordPress's answer means.
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

    /// One request: its status and JSON answer; only not reaching WordPress is an
    /// error here.
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

    /// `request` with the body `build` gives it (an upload's bytes).
    async fn request_with(
        &self,
        method: Method,
        route: &str,
        query: &[(&str, &str)],
        build: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Result<(StatusCode, Value)> {
        let mut url = self.endpoint(route);
        url.query_pairs_mut().extend_pairs(query);
        let request = build(
            self.http
                .request(method, url)
                .basic_auth(&self.user, Some(&self.password)),
        );
        let (status, reply) = crate::client::reply(request, &self.root).await?;
        let answer = match reply {
            Reply::Json(answer) => answer,
            Reply::Redirect(to) => {
                let message = format!(
                    "WordPress redirects to {to}: set the destination's URL to the REST root there"
                );
                json!({ "code": "redirect", "message": message })
            }
            // A web page where the REST API should answer: the wrong URL, or a plugin
            // or a cache in front of it.
            Reply::Empty | Reply::Text(_) if status.is_success() => {
                let message = "The address answers with a web page, not the REST API: use the \
                               REST root WordPress announces (…/wp-json/ or …/?rest_route=/)";
                return Ok((
                    StatusCode::NOT_FOUND,
                    json!({ "code": "rest_no_route", "message": message }),
                ));
            }
            Reply::Empty => json!({ "message": "" }),
            Reply::Text(text) => json!({ "message": text.chars().take(200).collect::<String>() }),
        };
        Ok((status, answer))
    }

    /// The error a refusal from WordPress means, named by its cause where WordPress's
    /// error code tells it.
    fn refusal(&self, status: StatusCode, answer: &Value) -> Error {
        let code = answer["code"].as_str().unwrap_or("").to_owned();
        let message = answer["message"].as_str().unwrap_or_default().to_owned();
        let url = self.root.to_string();
        let refused = |reason: String| Error::DestinationRefused {
            url: url.clone(),
            reason: format!("{message} {reason}").trim_start().to_owned(),
        };
        // Asking for drafts without a login that WordPress took: it treats a wrong
        // Application Password as no login at all on reads, and refuses the statuses.
        let statuses_forbidden = code == "rest_invalid_param"
            && answer["data"]["params"]["status"]
                .as_str()
                .is_some_and(|m| m.contains("forbidden"));
        match (status, code.as_str()) {
            _ if statuses_forbidden => refused(
                "WordPress did not take the login: the user name or the Application \
                 Password is wrong, or the web server drops the Authorization header."
                    .into(),
            ),
            (_, "incorrect_password" | "invalid_username" | "invalid_email") => refused(
                "The user name or the Application Password is wrong (Users ▸ Profile ▸ \
                 Application Passwords makes a new one)."
                    .into(),
            ),
            (_, "application_passwords_disabled") => refused(
                "Application Passwords are turned off on this site (by a plugin or its \
                 settings); they also need https unless the site is a local one."
                    .into(),
            ),
            (_, "rest_not_logged_in") => refused(
                "WordPress did not receive the login: the web server or a proxy in front of \
                 it drops the Authorization header (with Apache and PHP-CGI: `CGIPassAuth \
                 On`), or Application Passwords are off."
                    .into(),
            ),
            (
                _,
                "rest_login_required"
                | "rest_cannot_access"
                | "rest_disabled"
                | "rest_api_disabled",
            ) => {
                refused("A plugin or the site's settings block the REST API for this user.".into())
            }
            (StatusCode::NOT_FOUND, "rest_no_route") => refused(
                "This is not WordPress's REST root (…/wp-json/ or …/?rest_route=/), or a \
                 plugin turned the REST API off."
                    .into(),
            ),
            (StatusCode::UNAUTHORIZED, _) => refused(
                "Check the user name and the Application Password (Users ▸ Profile ▸ \
                 Application Passwords)."
                    .into(),
            ),
            (StatusCode::FORBIDDEN, _) => refused(
                "The user may not do this: publishing needs the Author role or above.".into(),
            ),
            (s, _) if s.is_server_error() => Error::DestinationFailed {
                url,
                status: s.as_u16(),
                message,
            },
            (s, _) => Error::DestinationRejected {
                url,
                status: s.as_u16(),
                code,
                message,
            },
        }
    }
}

impl Cms for WordPress {
    fn account(&self) -> BoxFuture<'_, Result<Account>> {
        Box::pin(WordPress::account(self))
    }

    fn existing<'a>(
        &'a self,
        slug: &'a str,
        remote: Option<&'a RemotePost>,
    ) -> BoxFuture<'a, Result<Existing>> {
        Box::pin(WordPress::existing(self, slug, remote))
    }

    fn write<'a>(
        &'a self,
        post: &'a Outgoing<'a>,
        id: Option<&'a str>,
    ) -> BoxFuture<'a, Result<RemotePost>> {
        Box::pin(WordPress::write(self, post, id))
    }

    fn delete<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<()>> {
        Box::pin(WordPress::delete(self, id))
    }

    fn upload<'a>(
        &'a self,
        asset: &'a crate::assets::Asset,
        bytes: &'a [u8],
    ) -> BoxFuture<'a, Result<crate::assets::Upload>> {
        Box::pin(WordPress::upload(self, asset, bytes))
    }

    fn has_upload<'a>(&'a self, upload: &'a crate::assets::Upload) -> BoxFuture<'a, Result<bool>> {
        Box::pin(WordPress::has_upload(self, upload))
    }

    fn pull(&self, page_size: u32) -> BoxFuture<'_, Result<Vec<Pulled>>> {
        Box::pin(WordPress::pull(self, page_size))
    }

    fn schedules_natively(&self) -> bool {
        true
    }

    fn is_scheduled<'a>(&'a self, id: &'a str) -> BoxFuture<'a, Result<bool>> {
        Box::pin(async move {
            Ok(self
                .post(id)
                .await?
                .is_some_and(|post| post["status"] == "future"))
        })
    }
}

/// Text for a field WordPress reads as HTML (a title, an excerpt).
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn answer_without(field: &str) -> Error {
    Error::DestinationRejected {
        url: String::new(),
        status: 200,
        code: "unexpected_answer".into(),
        message: format!("WordPress answered without the post's {field}"),
    }
}

fn remote_post(answer: &Value) -> Result<RemotePost> {
    Ok(RemotePost {
        id: answer["id"]
            .as_u64()
            .ok_or_else(|| answer_without("id"))?
            .to_string(),
        modified: answer["modified_gmt"]
            .as_str()
            .ok_or_else(|| answer_without("modified_gmt"))?
            .to_owned(),
        link: answer["link"].as_str().unwrap_or_default().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_follow_the_roots_form() {
        let pretty = WordPress::new("https://example.com/wp-json/", "u", "p").unwrap();
        assert_eq!(
            pretty.endpoint("wp/v2/posts/7").as_str(),
            "https://example.com/wp-json/wp/v2/posts/7"
        );
        let plain =
            WordPress::new("http://127.0.0.1:8080/index.php?rest_route=/", "u", "p").unwrap();
        assert_eq!(
            plain.endpoint("wp/v2/posts").as_str(),
            "http://127.0.0.1:8080/index.php?rest_route=%2Fwp%2Fv2%2Fposts"
        );
        assert!(WordPress::new("ftp://x/", "u", "p").is_err());
    }

    #[test]
    fn refusals_name_their_cause() {
        let wp = WordPress::new("https://example.com/wp-json/", "u", "p").unwrap();
        let said = |status: u16, code: &str| {
            let answer = json!({ "code": code, "message": "WordPress says no." });
            let e = wp.refusal(StatusCode::from_u16(status).unwrap(), &answer);
            (e.kind(), e.to_string())
        };
        let (kind, text) = said(401, "incorrect_password");
        assert_eq!(kind, "destination_refused");
        assert!(text.contains("Application Password is wrong"), "{text}");
        assert!(said(401, "rest_not_logged_in")
            .1
            .contains("Authorization header"));
        assert!(said(401, "rest_login_required").1.contains("plugin"));
        assert!(said(404, "rest_no_route").1.contains("REST root"));
        assert!(said(403, "rest_cannot_create").1.contains("Author role"));
        let (kind, text) = said(502, "");
        assert_eq!(kind, "destination_failed");
        assert!(text.contains("try again later"), "{text}");
    }

    #[test]
    fn the_password_never_shows_and_its_spaces_go() {
        let wp =
            WordPress::new("https://example.com/wp-json/", "editor", "abcd efgh ijkl").unwrap();
        assert_eq!(wp.password, "abcdefghijkl");
        assert!(!format!("{wp:?}").contains("abcd"));
    }
}
