//! Site targets: where webhooks go and which page confirms a publish. The row holds a
//! reference to the site's keyring entry, never the secret itself.

use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use super::{now, Store};
use crate::error::{Error, Result};

/// How a site is told to revalidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    /// Standard Webhooks v1, HMAC-signed (the default and the recommended one).
    StandardWebhooks,
    /// `?secret=` in the URL, as in Next.js's own examples. Weaker: the secret travels
    /// in the URL (logs, proxies) and the body is not signed.
    PlainSecret,
    /// POST to a Vercel deploy hook (a full rebuild).
    VercelDeployHook,
    /// POST to a Netlify build hook (a full rebuild).
    NetlifyBuildHook,
    /// Cloudflare cache purge by tags (`webhook_url` = the zone's purge_cache endpoint).
    CloudflarePurgeTags,
    /// Cloudflare cache purge by URLs (the page URL).
    CloudflarePurgeUrls,
    /// GET the page with `x-prerender-revalidate: <bypass token>` (Vercel ISR).
    VercelIsrBypass,
}

impl Preset {
    pub const ALL: [Preset; 7] = [
        Preset::StandardWebhooks,
        Preset::PlainSecret,
        Preset::VercelDeployHook,
        Preset::NetlifyBuildHook,
        Preset::CloudflarePurgeTags,
        Preset::CloudflarePurgeUrls,
        Preset::VercelIsrBypass,
    ];

    /// Deploy and build hooks are secret URLs themselves; every other preset signs or
    /// authenticates with a secret of its own.
    pub fn uses_secret(self) -> bool {
        !self.url_is_secret()
    }

    /// A deploy or build hook: whoever knows the URL can trigger it, so the URL itself
    /// is the secret — kept in the secret store, only its host in the workspace.
    pub fn url_is_secret(self) -> bool {
        matches!(self, Preset::VercelDeployHook | Preset::NetlifyBuildHook)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Preset::StandardWebhooks => "standard_webhooks",
            Preset::PlainSecret => "plain_secret",
            Preset::VercelDeployHook => "vercel_deploy_hook",
            Preset::NetlifyBuildHook => "netlify_build_hook",
            Preset::CloudflarePurgeTags => "cloudflare_purge_tags",
            Preset::CloudflarePurgeUrls => "cloudflare_purge_urls",
            Preset::VercelIsrBypass => "vercel_isr_bypass",
        }
    }

    pub fn parse(text: &str) -> Result<Preset> {
        Preset::ALL
            .into_iter()
            .find(|p| p.as_str() == text)
            .ok_or_else(|| Error::InvalidSite {
                reason: format!(
                    "unknown preset {text:?}; one of: {}",
                    Preset::ALL.map(Preset::as_str).join(", ")
                ),
            })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct Site {
    pub id: i64,
    pub name: String,
    pub webhook_url: String,
    /// Page URL with `{slug}`, fetched to confirm a publish is live.
    pub page_url_template: String,
    pub tag_templates: Vec<String>,
    pub path_templates: Vec<String>,
    pub preset: Preset,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub confirm_timeout_ms: u64,
    /// Name of the site's entry in the secret store.
    pub secret_ref: Option<String>,
    pub created_at: String,
    /// URL templates confirmed besides the page: paths on the page's origin (`/`,
    /// `/tags/{tag}`, `/feed.xml`) or full URLs; `{slug}`, and `{tag}` once per tag.
    pub also_confirm: Vec<String>,
    /// Origins of the site's instances (self-hosted replicas without a shared cache):
    /// the webhook goes to each, and each is confirmed through its own origin.
    pub instances: Vec<String>,
    /// Where the site's pages hold the article (a CSS selector), for "preview in the
    /// site's theme"; none: `article, main, [role=main]`.
    pub article_selector: Option<String>,
    /// A page still stale at the timeout gets the webhook once more (every instance)
    /// and is fetched again (warmed) for one more timeout before it is reported.
    pub heal: bool,
    /// The destination the site reads its content from; none: the content API.
    pub destination: Option<String>,
}

impl Site {
    pub fn page_url(&self, slug: &str) -> String {
        self.page_url_template.replace("{slug}", slug)
    }
    pub fn tags(&self, slug: &str) -> Vec<String> {
        self.tag_templates
            .iter()
            .map(|t| t.replace("{slug}", slug))
            .collect()
    }
    pub fn paths(&self, slug: &str) -> Vec<String> {
        self.path_templates
            .iter()
            .map(|t| t.replace("{slug}", slug))
            .collect()
    }
}

#[derive(Debug, Clone)]
pub struct NewSite {
    pub name: String,
    pub webhook_url: String,
    pub page_url_template: String,
    pub tag_templates: Vec<String>,
    pub path_templates: Vec<String>,
    pub preset: Preset,
    /// The destination the site reads from (its name); none: the content API.
    pub destination: Option<String>,
}

const COLUMNS: &str = "id, name, webhook_url, page_url_template, tag_templates, path_templates, \
     preset, enabled, disabled_reason, confirm_timeout_ms, secret_ref, created_at, also_confirm, \
     instances, article_selector, heal, \
     (SELECT d.name FROM destinations d WHERE d.id = sites.destination_id)";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Site> {
    let tags: String = r.get(4)?;
    let paths: String = r.get(5)?;
    let preset: String = r.get(6)?;
    Ok(Site {
        id: r.get(0)?,
        name: r.get(1)?,
        webhook_url: r.get(2)?,
        page_url_template: r.get(3)?,
        tag_templates: serde_json::from_str(&tags).unwrap_or_default(),
        path_templates: serde_json::from_str(&paths).unwrap_or_default(),
        preset: Preset::parse(&preset).unwrap_or(Preset::StandardWebhooks),
        enabled: r.get(7)?,
        disabled_reason: r.get(8)?,
        confirm_timeout_ms: r.get::<_, i64>(9)? as u64,
        secret_ref: r.get(10)?,
        created_at: r.get(11)?,
        also_confirm: serde_json::from_str(&r.get::<_, String>(12)?).unwrap_or_default(),
        instances: serde_json::from_str(&r.get::<_, String>(13)?).unwrap_or_default(),
        article_selector: r.get(14)?,
        heal: r.get(15)?,
        destination: r.get(16)?,
    })
}

/// The id of destination `name` (`None`: the content API).
fn destination_id(conn: &rusqlite::Connection, name: Option<&str>) -> Result<Option<i64>> {
    let Some(name) = name else { return Ok(None) };
    conn.query_row("SELECT id FROM destinations WHERE name = ?1", [name], |r| {
        r.get(0)
    })
    .optional()?
    .map(Some)
    .ok_or_else(|| Error::DestinationNotFound {
        name: name.to_owned(),
    })
}

fn check_url(what: &str, url: &str) -> Result<()> {
    let ok = (url.starts_with("http://") || url.starts_with("https://"))
        && url.len() > "https://".len()
        && !url.chars().any(char::is_whitespace);
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidSite {
            reason: format!("{what} {url:?} must be an http:// or https:// URL"),
        })
    }
}

impl NewSite {
    pub(crate) fn validate(&self) -> Result<()> {
        crate::slug::validate(&self.name).map_err(|_| Error::InvalidSite {
            reason: format!(
                "site name {:?}: use lowercase letters, digits and dashes",
                self.name
            ),
        })?;
        check_url("webhook URL", &self.webhook_url)?;
        check_url("page URL", &self.page_url_template)?;
        if !self.page_url_template.contains("{slug}") {
            return Err(Error::InvalidSite {
                reason: "the page URL must contain {slug}, e.g. https://example.com/posts/{slug}"
                    .into(),
            });
        }
        Ok(())
    }
}

impl Store {
    pub fn add_site(&mut self, site: &NewSite, secret_ref: Option<&str>) -> Result<Site> {
        site.validate()?;
        let tx = self.write_transaction()?;
        let taken: bool = tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM sites WHERE name = ?1)",
            [&site.name],
            |r| r.get(0),
        )?;
        if taken {
            return Err(Error::InvalidSite {
                reason: format!("a site named {:?} exists already", site.name),
            });
        }
        let destination = destination_id(&tx, site.destination.as_deref())?;
        let ts = now();
        tx.execute(
            "INSERT INTO sites (name, webhook_url, page_url_template, tag_templates,
                 path_templates, preset, secret_ref, created_at, updated_at, destination_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)",
            params![
                site.name,
                site.webhook_url,
                site.page_url_template,
                serde_json::to_string(&site.tag_templates).expect("serializes"),
                serde_json::to_string(&site.path_templates).expect("serializes"),
                site.preset.as_str(),
                secret_ref,
                ts,
                destination
            ],
        )?;
        tx.commit()?;
        self.site(&site.name)
    }

    /// Changes a site's settings (not its name or secret); validated like a new one.
    pub fn update_site(&mut self, name: &str, changed: &NewSite) -> Result<Site> {
        changed.validate()?;
        let destination = destination_id(&self.conn, changed.destination.as_deref())?;
        let n = self.conn.execute(
            "UPDATE sites SET webhook_url = ?2, page_url_template = ?3, tag_templates = ?4,
                 path_templates = ?5, preset = ?6, updated_at = ?7, destination_id = ?8
             WHERE name = ?1",
            params![
                name,
                changed.webhook_url,
                changed.page_url_template,
                serde_json::to_string(&changed.tag_templates).expect("serializes"),
                serde_json::to_string(&changed.path_templates).expect("serializes"),
                changed.preset.as_str(),
                now(),
                destination
            ],
        )?;
        found(n, name)?;
        self.site(name)
    }

    /// Points a site at its entry in the secret store (`None`: no secret).
    pub fn set_site_secret_ref(&mut self, name: &str, secret_ref: Option<&str>) -> Result<Site> {
        let n = self.conn.execute(
            "UPDATE sites SET secret_ref = ?2, updated_at = ?3 WHERE name = ?1",
            params![name, secret_ref, now()],
        )?;
        found(n, name)?;
        self.site(name)
    }

    /// Moves whenever a site or a site's secret changes (triggers on `sites`, and
    /// `touch_sites` for secrets, which live outside the database).
    pub fn sites_version(&self) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT CAST(value AS INTEGER) FROM settings WHERE key = 'sites.version'",
            [],
            |r| r.get(0),
        )?)
    }

    /// Records that a site's secret changed.
    pub fn touch_sites(&self) -> Result<()> {
        self.conn.execute(
            "UPDATE settings SET value = CAST(value AS INTEGER) + 1 WHERE key = 'sites.version'",
            [],
        )?;
        Ok(())
    }

    pub fn sites(&self) -> Result<Vec<Site>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM sites WHERE removed_at IS NULL ORDER BY name"
        ))?;
        let rows = stmt.query_map([], from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn site(&self, name: &str) -> Result<Site> {
        self.conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM sites WHERE name = ?1 AND removed_at IS NULL"),
                [name],
                from_row,
            )
            .optional()?
            .ok_or_else(|| Error::SiteNotFound {
                name: name.to_owned(),
            })
    }

    /// The site of this id, unless it was removed.
    pub(crate) fn site_by_id(&self, id: i64) -> Result<Option<Site>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {COLUMNS} FROM sites WHERE id = ?1 AND removed_at IS NULL"),
                [id],
                from_row,
            )
            .optional()?)
    }

    /// Removes a site: it is gone from every list and lookup, and its name is free
    /// again. Its row stays as a tombstone (renamed, nothing of its settings kept), so
    /// the history that names it needs no update: it shows as `REMOVED_SITE`.
    pub fn remove_site(&mut self, name: &str) -> Result<Site> {
        let site = self.site(name)?;
        let ts = now();
        self.conn.execute(
            "UPDATE sites SET name = 'removed~' || id, removed_at = ?2, updated_at = ?2,
                 enabled = 0, webhook_url = '', page_url_template = '', secret_ref = NULL
             WHERE id = ?1",
            params![site.id, ts],
        )?;
        Ok(site)
    }

    /// Enables a site, or disables it with the reason shown to the user.
    pub fn set_site_enabled(
        &mut self,
        name: &str,
        enabled: bool,
        reason: Option<&str>,
    ) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE sites SET enabled = ?2, disabled_reason = ?3, updated_at = ?4 WHERE name = ?1",
            params![name, enabled, if enabled { None } else { reason }, now()],
        )?;
        found(n, name)?;
        Ok(())
    }

    /// Sets what is confirmed besides the site's page (`also_confirm` URL templates) and
    /// the instances the webhook goes to and each page is confirmed on (origins such
    /// as `http://10.0.0.2:3000`).
    pub fn set_site_reach(
        &mut self,
        name: &str,
        also_confirm: &[String],
        instances: &[String],
    ) -> Result<Site> {
        let origins = checked_reach(also_confirm, instances)?;
        let n = self.conn.execute(
            "UPDATE sites SET also_confirm = ?2, instances = ?3, updated_at = ?4
             WHERE name = ?1 AND removed_at IS NULL",
            params![
                name,
                serde_json::to_string(also_confirm).expect("serializes"),
                serde_json::to_string(&origins).expect("serializes"),
                now()
            ],
        )?;
        found(n, name)?;
        self.site(name)
    }

    /// Where the site's pages hold the article, for "preview in the site's theme"
    /// (a CSS selector; empty: the default).
    pub fn set_site_article_selector(&mut self, name: &str, selector: &str) -> Result<Site> {
        let selector = checked_selector(selector)?;
        let n = self.conn.execute(
            "UPDATE sites SET article_selector = ?2, updated_at = ?3
             WHERE name = ?1 AND removed_at IS NULL",
            params![name, selector, now()],
        )?;
        found(n, name)?;
        self.site(name)
    }

    /// Whether a site still stale at its timeout is healed (re-sent, warmed) before it
    /// is reported.
    pub fn set_site_heal(&mut self, name: &str, heal: bool) -> Result<Site> {
        let n = self.conn.execute(
            "UPDATE sites SET heal = ?2, updated_at = ?3 WHERE name = ?1 AND removed_at IS NULL",
            params![name, heal, now()],
        )?;
        found(n, name)?;
        self.site(name)
    }

    /// A confirmation timeout is 1 s to 1 h.
    pub fn check_confirm_timeout(timeout_ms: u64) -> Result<()> {
        if (1_000..=3_600_000).contains(&timeout_ms) {
            Ok(())
        } else {
            Err(Error::InvalidSite {
                reason: "the confirmation timeout must be between 1 s and 1 h".into(),
            })
        }
    }

    /// How long live confirmation waits for this site's page (1 s to 1 h).
    pub fn set_site_confirm_timeout(&mut self, name: &str, timeout_ms: u64) -> Result<Site> {
        Store::check_confirm_timeout(timeout_ms)?;
        let n = self.conn.execute(
            "UPDATE sites SET confirm_timeout_ms = ?2, updated_at = ?3 WHERE name = ?1",
            params![name, timeout_ms as i64, now()],
        )?;
        found(n, name)?;
        self.site(name)
    }
}

/// Checks a site's reach before it is stored: also-confirm templates are paths or
/// http(s) URLs, instances are bare origins. The instances as canonical origins.
pub fn checked_reach(also_confirm: &[String], instances: &[String]) -> Result<Vec<String>> {
    for template in also_confirm {
        let ok = template.starts_with('/')
            || template.starts_with("http://")
            || template.starts_with("https://");
        if !ok || template.chars().any(char::is_whitespace) {
            return Err(Error::InvalidSite {
                reason: format!(
                    "also-confirm URL {template:?} must be a path such as /tags/{{tag}} or an \
                     http:// or https:// URL"
                ),
            });
        }
    }
    let mut origins = Vec::new();
    for origin in instances {
        let parsed = reqwest::Url::parse(origin).ok().filter(|u| {
            matches!(u.scheme(), "http" | "https")
                && u.host_str().is_some()
                && matches!(u.path(), "" | "/")
                && u.query().is_none()
        });
        let Some(parsed) = parsed else {
            return Err(Error::InvalidSite {
                reason: format!(
                    "instance {origin:?} must be an origin such as http://10.0.0.2:3000"
                ),
            });
        };
        origins.push(parsed.origin().ascii_serialization());
    }
    Ok(origins)
}

/// An article selector as stored: none for empty, else one that parses as CSS.
pub fn checked_selector(selector: &str) -> Result<Option<String>> {
    let selector = selector.trim();
    if selector.is_empty() {
        return Ok(None);
    }
    if selector.len() > 500 || scraper::Selector::parse(selector).is_err() {
        return Err(Error::InvalidSite {
            reason: format!(
                "article selector {selector:?} is not a CSS selector (e.g. `article`, `main .post`)"
            ),
        });
    }
    Ok(Some(selector.to_owned()))
}

/// An update by name that changed no row: there is no such site.
fn found(rows: usize, name: &str) -> Result<()> {
    match rows {
        0 => Err(Error::SiteNotFound {
            name: name.to_owned(),
        }),
        _ => Ok(()),
    }
}
