//! Publishing a draft: the one operation the app's Publish button and `pressroom
//! publish` both call. It writes the draft once to each destination the target sites
//! read from — the workspace's content API and the CMSs (`cms::Cms`) — then prepares
//! one signed webhook per site for the outbox.
//!
//! The API token is never stored in the workspace: it records the *name* of the
//! environment variable that holds it (read at publish time), or that the token is in
//! the secret store.

use crate::store::lock;
use serde::Serialize;

use std::sync::Mutex;

use crate::client::ContentApi;
use crate::cms::{Cms, Existing, Prepared};
use crate::error::{Error, Result};
use crate::secrets::{SecretStore, SiteSecrets};
use crate::store::{current_timestamp, Destination, NewDelivery, Site, Store};
use crate::webhook::{Envelope, EventKind};
use crate::wire::ApiDocument;

const URL_KEY: &str = "api.url";
const TOKEN_ENV_KEY: &str = "api.token_env";
/// Set when the token lives in the secret store (the app's settings, the sandbox).
const TOKEN_STORED_KEY: &str = "api.token_stored";
const IMAGE_WIDTH_KEY: &str = "api.image_max_width";
/// The secret store entry of the content API's write token.
pub const TOKEN_REF: &str = "content-api-token";

/// Where this workspace publishes.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct ApiSettings {
    pub url: String,
    /// Name of the environment variable holding the write token.
    pub token_env: Option<String>,
    /// The token is in the secret store (keyring).
    pub token_stored: bool,
    /// The widest image it takes, in pixels: wider ones go as a downscaled copy (0: as
    /// they are).
    pub image_max_width: u32,
}

/// The widest image the content API takes (`ApiSettings::image_max_width`).
pub fn api_image_max_width(store: &Store) -> Result<u32> {
    Ok(store
        .setting(IMAGE_WIDTH_KEY)?
        .and_then(|w| w.parse().ok())
        .unwrap_or(crate::assets::DEFAULT_MAX_WIDTH))
}

/// Sets the widest image the content API takes (0: as they are).
pub fn set_api_image_max_width(store: &mut Store, width: u32) -> Result<()> {
    store.set_setting(IMAGE_WIDTH_KEY, &width.to_string())
}

pub fn api_settings(store: &Store) -> Result<Option<ApiSettings>> {
    let image_max_width = api_image_max_width(store)?;
    Ok(store.setting(URL_KEY)?.map(|url| ApiSettings {
        image_max_width,
        url,
        token_env: store
            .setting(TOKEN_ENV_KEY)
            .ok()
            .flatten()
            .filter(|v| !v.is_empty()),
        token_stored: store.setting(TOKEN_STORED_KEY).ok().flatten().as_deref() == Some("1"),
    }))
}

/// Validates and saves the content API settings (the URL must parse); the token is
/// read from the variable `token_env` at publish time.
pub fn set_api(store: &mut Store, url: &str, token_env: Option<&str>) -> Result<ApiSettings> {
    ContentApi::new(url, None)?;
    store.set_setting(URL_KEY, url)?;
    store.set_setting(TOKEN_ENV_KEY, token_env.unwrap_or(""))?;
    store.set_setting(TOKEN_STORED_KEY, "")?;
    Ok(api_settings(store)?.expect("just saved"))
}

/// Changes the content API URL; the token stays where it is (variable or secret store).
pub fn set_url(store: &mut Store, url: &str) -> Result<ApiSettings> {
    ContentApi::new(url, None)?;
    store.set_setting(URL_KEY, url)?;
    Ok(api_settings(store)?.expect("just saved"))
}

/// Saves the content API URL with its token kept in the secret store.
pub fn set_api_with_token(
    store: &mut Store,
    secrets: &SecretStore,
    url: &str,
    token: &str,
) -> Result<ApiSettings> {
    ContentApi::new(url, None)?;
    secrets.set(
        TOKEN_REF,
        &SiteSecrets {
            current: token.to_owned(),
            previous: None,
        },
    )?;
    store.set_setting(URL_KEY, url)?;
    store.set_setting(TOKEN_ENV_KEY, "")?;
    store.set_setting(TOKEN_STORED_KEY, "1")?;
    Ok(api_settings(store)?.expect("just saved"))
}

/// A client for the configured content API, with the token from its variable or the
/// secret store.
pub fn content_api(store: &Store, secrets: &SecretStore) -> Result<ContentApi> {
    let settings = api_settings(store)?.ok_or(Error::NotConfigured)?;
    let token = match (&settings.token_env, settings.token_stored) {
        (Some(var), _) => Some(
            std::env::var(var)
                .ok()
                .filter(|t| !t.is_empty())
                .ok_or_else(|| Error::TokenMissing {
                    variable: var.to_owned(),
                })?,
        ),
        (None, true) => Some(
            secrets
                .get(TOKEN_REF)?
                .ok_or_else(|| Error::Keyring {
                    message: "the content API token is not in the secret store; set the API \
                              again"
                        .to_owned(),
                })?
                .current,
        ),
        (None, false) => None,
    };
    ContentApi::new(&settings.url, token)
}

/// Whether, and how long, to confirm each site's page once its webhook is accepted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LiveWait {
    /// Do not confirm (webhooks only).
    No,
    /// Each site's own confirmation timeout.
    SiteTimeout,
    /// This long, for every site.
    Upto(std::time::Duration),
}

impl LiveWait {
    /// How long to confirm `site`'s page, if at all.
    pub fn timeout_for(self, site: &Site) -> Option<u64> {
        match self {
            LiveWait::No => None,
            LiveWait::SiteTimeout => Some(site.confirm_timeout_ms),
            LiveWait::Upto(d) => Some(d.as_millis() as u64),
        }
    }
}

/// A publish as the content API took it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct PublishReport {
    pub slug: String,
    pub revision: String,
    /// The slug was new on the content API.
    pub created: bool,
    /// The API already had exactly this revision (e.g. an earlier attempt got through).
    pub already_live: bool,
    pub document: ApiDocument,
    /// The local publish record; its deliveries are in the outbox.
    pub publish_id: i64,
    /// The sites told to revalidate.
    pub sites: Vec<String>,
    /// It was an unpublish: the revision was taken down.
    #[serde(default)]
    pub unpublished: bool,
}

/// The enabled sites, or exactly the named ones (each must exist and be enabled).
pub fn target_sites(store: &Store, names: &[String]) -> Result<Vec<Site>> {
    if names.is_empty() {
        return Ok(store.sites()?.into_iter().filter(|s| s.enabled).collect());
    }
    names
        .iter()
        .map(|name| {
            let site = store.site(name)?;
            if site.enabled {
                Ok(site)
            } else {
                Err(Error::InvalidSite {
                    reason: format!(
                        "{name} is disabled ({}); `pressroom site enable {name}` turns it back on",
                        site.disabled_reason.as_deref().unwrap_or("by the user")
                    ),
                })
            }
        })
        .collect()
}

/// Where a publish goes: the target sites, and every destination they read from,
/// each written once.
pub struct Targets {
    pub sites: Vec<Site>,
    /// The content API, when a target site reads from it (or there is no site at all).
    pub api: Option<ContentApi>,
    /// The widest image the content API takes (`ApiSettings::image_max_width`).
    pub api_image_max_width: u32,
    /// The CMSs target sites read from, by name.
    pub destinations: Vec<(Destination, Box<dyn Cms>)>,
    /// Write over a post edited in a CMS since Pressroom last published it (otherwise
    /// that is a conflict).
    pub overwrite: bool,
}

impl Targets {
    /// The enabled sites (or exactly the named ones) and the clients of the
    /// destinations they read from, with their secrets.
    pub fn resolve(store: &Store, secrets: &SecretStore, site_names: &[String]) -> Result<Targets> {
        let sites = target_sites(store, site_names)?;
        let needs_api = sites.is_empty() || sites.iter().any(|s| s.destination.is_none());
        let api = if needs_api {
            Some(content_api(store, secrets)?)
        } else {
            None
        };
        let mut names: Vec<&str> = sites
            .iter()
            .filter_map(|s| s.destination.as_deref())
            .collect();
        names.sort_unstable();
        names.dedup();
        let destinations = names
            .into_iter()
            .map(|name| crate::destinations::client(store, secrets, name))
            .collect::<Result<_>>()?;
        Ok(Targets {
            sites,
            api,
            api_image_max_width: api_image_max_width(store)?,
            destinations,
            overwrite: false,
        })
    }

    pub fn overwriting(mut self, overwrite: bool) -> Self {
        self.overwrite = overwrite;
        self
    }

    /// Where it goes, for people: "http://api.example" or "wp (wordpress), …".
    pub fn describe(&self) -> String {
        let mut places: Vec<String> = self.api.iter().map(|a| a.base_url().to_owned()).collect();
        places.extend(
            self.destinations
                .iter()
                .map(|(d, _)| format!("{} ({})", d.name, d.kind)),
        );
        places.join(", ")
    }
}

/// A new `webhook-id`: `msg_` + the time in milliseconds (12 hex digits) + 80 random
/// bits. Time first, so the ids of a fan-out sit side by side in the outbox's unique
/// index instead of landing on a thousand random pages of a long history.
pub(crate) fn message_id() -> String {
    let ms = time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    format!(
        "msg_{:012x}{}",
        ms as u64 & 0xffff_ffff_ffff,
        crate::random_hex(10)
    )
}

/// A draft published to the content API, with the webhook deliveries to enqueue for it
/// (the publisher records both in one transaction: `Publisher::publish`).
pub struct ApiPublished {
    pub slug: String,
    pub revision: String,
    pub created: bool,
    pub already_live: bool,
    pub document: ApiDocument,
    /// The markdown source published.
    pub source: String,
    pub sites: Vec<String>,
    pub deliveries: Vec<NewDelivery>,
}

/// Publishes the current draft of `slug` to every destination of `targets` and
/// prepares one webhook delivery per target site (each confirmed per `live` once
/// accepted). A draft with malformed front matter or no title is refused before
/// anything is sent. On the content API a conflict means someone else published
/// meanwhile, unless what they have is exactly this revision; in a CMS, that the post
/// was edited there since (unless `targets.overwrite`). A destination that fails
/// leaves the ones written before it written: publishing again updates them in place.
pub async fn publish(
    store: &Mutex<Store>,
    targets: &Targets,
    slug: &str,
    live: LiveWait,
) -> Result<ApiPublished> {
    let (doc, latest, api_base) = {
        let store = lock(store);
        (
            store.get(slug)?,
            store.latest_publish_of(slug)?.map(|(id, _)| id),
            store.api_revision(slug)?,
        )
    };
    let content = doc.content()?;
    if content.title.trim().is_empty() {
        return Err(Error::MissingTitle {
            slug: slug.to_owned(),
        });
    }
    let prepared = Prepared::new(content);
    let revision = prepared.revision.clone();
    // Every CMS is checked before anything is written anywhere: a post changed there
    // stops the publish (each such post named), unless overwriting.
    let mut writes = Vec::with_capacity(targets.destinations.len());
    let mut changed = Vec::new();
    for (destination, cms) in &targets.destinations {
        let remote = lock(store).remote_post(slug, destination.id)?;
        match cms.existing(slug, remote.as_ref()).await? {
            Existing::Changed { what, .. } if !targets.overwrite => {
                changed.push(format!("{}: {what}", destination.name))
            }
            existing => writes.push((destination, cms, existing.target(slug, true)?)),
        }
    }
    if !changed.is_empty() {
        return Err(Error::EditedElsewhere {
            slug: slug.to_owned(),
            what: changed.join("; "),
        });
    }
    let (mut document, mut created, mut already_live) = (
        ApiDocument {
            slug: slug.to_owned(),
            title: prepared.content.title.clone(),
            revision: revision.clone(),
            ..ApiDocument::default()
        },
        false,
        false,
    );
    if let Some(api) = &targets.api {
        // Its images first: the page must never point at one that is not there.
        let copies = crate::assets::upload_to_api(
            store,
            api,
            &prepared.content,
            targets.api_image_max_width,
        )
        .await?;
        // Never written from here: the client publishes create-only, so whatever
        // someone else published under this slug is a conflict, not overwritten.
        let base = api_base.as_deref();
        let key = idempotency_key(slug, &revision, base, latest, &copies);
        (document, created, already_live) = match api
            .publish_with_images(&prepared.content, &copies, base, &key)
            .await
        {
            Ok(p) => {
                let already = !p.created && base == Some(revision.as_str());
                (p.document, p.created, already)
            }
            // Our own earlier publish of this very revision went through.
            Err(Error::Conflict {
                current_revision: Some(current),
                ..
            }) if current == revision => (api.get(slug).await?, false, true),
            Err(e) => return Err(e),
        };
        // Recorded at once: should a CMS fail next, the API's copy is still known
        // (the base of the next publish there), not mistaken for someone else's.
        lock(store).set_api_revision(slug, Some(&revision))?;
    }
    // A post a CMS holds as scheduled for this document (`schedule::stage`), still not
    // out there, goes out now and dated now (else WordPress keeps it scheduled).
    let held = lock(store).pending_schedule(slug)?;
    let now = crate::schedule::cms_date(jiff::Timestamp::now());
    for (destination, cms, id) in writes {
        let mut date = None;
        if let (Some(schedule), Some(id)) = (&held, id.as_deref()) {
            if schedule.staged.contains(&destination.id) && cms.is_scheduled(id).await? {
                date = Some(now.as_str());
            }
        }
        let post = crate::cms::write_with_images(
            store,
            cms.as_ref(),
            destination,
            &prepared,
            id.as_deref(),
            date,
        )
        .await?;
        created |= id.is_none();
        lock(store).set_remote_post(slug, destination.id, Some((&post, &revision)))?;
    }
    let deliveries = deliveries(&targets.sites, EventKind::Published, slug, &revision, live);
    Ok(ApiPublished {
        slug: slug.to_owned(),
        revision,
        created,
        already_live,
        document,
        source: doc.source,
        sites: targets.sites.iter().map(|s| s.name.clone()).collect(),
        deliveries,
    })
}

/// Takes `slug` down: deletes it from the content API and from each CMS of `targets`
/// (already gone counts as done) and prepares one `content.unpublished` webhook per
/// target site, each confirmed per `live` — the page must answer 404 or 410, listings
/// must no longer show it. Refused for a document this workspace has not published.
pub async fn unpublish(
    store: &Mutex<Store>,
    targets: &Targets,
    slug: &str,
    live: LiveWait,
) -> Result<ApiPublished> {
    let (doc, api_revision) = {
        let store = lock(store);
        (store.get(slug)?, store.api_revision(slug)?)
    };
    let Some(revision) = doc.published_revision.clone().or(api_revision) else {
        return Err(Error::NotPublished {
            slug: slug.to_owned(),
        });
    };
    // Every CMS checked first, as for a publish: a post edited there is not deleted
    // unasked.
    let mut deletes = Vec::new();
    let mut changed = Vec::new();
    for (destination, cms) in &targets.destinations {
        let Some(remote) = lock(store).remote_post(slug, destination.id)? else {
            continue;
        };
        match cms.existing(slug, Some(&remote)).await? {
            Existing::Changed { what, .. } if !targets.overwrite => {
                changed.push(format!("{}: {what}", destination.name))
            }
            existing => deletes.push((destination, cms, existing.target(slug, true)?)),
        }
    }
    if !changed.is_empty() {
        return Err(Error::EditedElsewhere {
            slug: slug.to_owned(),
            what: changed.join("; "),
        });
    }
    if let Some(api) = &targets.api {
        match api.unpublish(slug).await {
            Ok(()) | Err(Error::DocumentNotFound { .. }) => {}
            Err(e) => return Err(e),
        }
        lock(store).set_api_revision(slug, None)?;
    }
    for (destination, cms, id) in deletes {
        if let Some(id) = id {
            cms.delete(&id).await?;
        }
        lock(store).set_remote_post(slug, destination.id, None)?;
    }
    let deliveries = deliveries(
        &targets.sites,
        EventKind::Unpublished,
        slug,
        &revision,
        live,
    );
    Ok(ApiPublished {
        slug: slug.to_owned(),
        revision: revision.clone(),
        created: false,
        already_live: false,
        // What was taken down, as this workspace knows it.
        document: ApiDocument {
            slug: slug.to_owned(),
            title: doc.title.clone(),
            revision: revision.clone(),
            ..ApiDocument::default()
        },
        source: doc.source,
        sites: targets.sites.iter().map(|s| s.name.clone()).collect(),
        deliveries,
    })
}

/// One signed `kind` webhook per site, each confirmed per `live` once accepted.
fn deliveries(
    sites: &[Site],
    kind: EventKind,
    slug: &str,
    revision: &str,
    live: LiveWait,
) -> Vec<NewDelivery> {
    let at = current_timestamp();
    sites
        .iter()
        .map(|site| NewDelivery {
            site_id: site.id,
            message_id: message_id(),
            body: serde_json::to_string(&Envelope::new(kind, slug, revision, site, &at))
                .expect("envelopes serialize"),
            confirm_timeout_ms: live.timeout_for(site),
        })
        .collect()
}

/// The same publish (slug, revision, base, after the same local publish record) always
/// uses the same key, so a retry after a crash or a lost answer is recognised by the
/// server; a later publish of the same revision and base (after an unpublish) is not
/// taken for that retry.
fn idempotency_key(
    slug: &str,
    revision: &str,
    base: Option<&str>,
    after: Option<i64>,
    images: &std::collections::BTreeMap<String, String>,
) -> String {
    use sha2::{Digest, Sha256};
    // The images' copies are part of the request: another copy, another request.
    let copies: String = images.iter().map(|(a, b)| format!("{a}={b};")).collect();
    let digest = Sha256::digest(format!(
        "{slug}\n{revision}\n{}\n{}\n{copies}",
        base.unwrap_or(""),
        after.unwrap_or(0)
    ));
    format!("pub_{}", crate::hex(&digest[..16]))
}
