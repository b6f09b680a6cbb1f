//! What a site receives when content changes: the event envelope (built once, at
//! publish time, and stored with the delivery) and, per attempt, the HTTP request for
//! the site's preset — a small builder each. Only `standard_webhooks` signs (through
//! `signing`); the others are the mechanisms those platforms offer.

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{Error, Result};
use crate::secrets::SiteSecrets;
use crate::signing;
use crate::store::{Preset, Site};

pub const USER_AGENT: &str = concat!("Pressroom/", env!("CARGO_PKG_VERSION"));

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    #[serde(rename = "content.published")]
    Published,
    #[serde(rename = "content.unpublished")]
    Unpublished,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    #[serde(rename = "type")]
    pub kind: EventKind,
    pub timestamp: String,
    pub data: EventData,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventData {
    pub slug: String,
    pub revision: String,
    pub tags: Vec<String>,
    pub paths: Vec<String>,
    pub url: String,
}

impl Envelope {
    /// The event for `site`, with its `{slug}` templates substituted.
    pub fn new(kind: EventKind, slug: &str, revision: &str, site: &Site, at: &str) -> Envelope {
        Envelope {
            kind,
            timestamp: at.to_owned(),
            data: EventData {
                slug: slug.to_owned(),
                revision: revision.to_owned(),
                tags: site.tags(slug),
                paths: site.paths(slug),
                url: site.page_url(slug),
            },
        }
    }
}

/// One attempt's request, ready to send.
#[derive(Clone, PartialEq)]
pub struct Prepared {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Option<Vec<u8>>,
}

impl std::fmt::Debug for Prepared {
    // Headers and URLs may carry secrets (Bearer tokens, ?secret=): never print them.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

/// A site's secrets with its Standard Webhooks keys decoded once, so a fan-out or a
/// retry signs without decoding them again for every request.
#[derive(Debug, Clone)]
pub struct SiteKeys {
    secrets: SiteSecrets,
    /// `None` when a secret does not parse; `prepare` then reports why.
    signing: Option<Vec<signing::Secret>>,
}

impl From<SiteSecrets> for SiteKeys {
    fn from(secrets: SiteSecrets) -> SiteKeys {
        let signing = secrets.signing_secrets().ok();
        SiteKeys { secrets, signing }
    }
}

fn secret_of<'a>(site: &Site, keys: Option<&'a SiteKeys>) -> Result<&'a SiteSecrets> {
    keys.map(|k| &k.secrets)
        .ok_or_else(|| Error::SecretMissing {
            site: site.name.clone(),
        })
}

/// A deploy/build hook's URL: the secret one from the secret store (the workspace holds
/// only its host), or, for a site from before that, the one in the workspace.
fn hook_url(site: &Site, keys: Option<&SiteKeys>) -> Result<String> {
    match &site.secret_ref {
        Some(_) => Ok(secret_of(site, keys)?.current.clone()),
        None => Ok(site.webhook_url.clone()),
    }
}

fn envelope_of(body: &str) -> Result<Envelope> {
    serde_json::from_str(body).map_err(|e| Error::Corrupt(format!("stored webhook body: {e}")))
}

/// The request for one attempt. `body` is the stored envelope JSON; `now` (Unix
/// seconds) is this attempt's timestamp, so every attempt is signed afresh.
pub fn prepare(
    site: &Site,
    message_id: &str,
    body: &str,
    keys: Option<&SiteKeys>,
    now: i64,
) -> Result<Prepared> {
    let json_type = ("content-type", "application/json".to_owned());
    let ua = ("user-agent", USER_AGENT.to_owned());
    Ok(match site.preset {
        Preset::StandardWebhooks => {
            let secrets = secret_of(site, keys)?;
            let parsed = match keys.and_then(|k| k.signing.as_ref()) {
                Some(parsed) => parsed,
                None => &secrets.signing_secrets()?,
            };
            let parsed: Vec<&signing::Secret> = parsed.iter().collect();
            Prepared {
                method: "POST",
                url: site.webhook_url.clone(),
                headers: vec![
                    json_type,
                    ua,
                    ("webhook-id", message_id.to_owned()),
                    ("webhook-timestamp", now.to_string()),
                    (
                        "webhook-signature",
                        signing::sign(message_id, now, body.as_bytes(), &parsed),
                    ),
                ],
                body: Some(body.as_bytes().to_vec()),
            }
        }
        Preset::PlainSecret => {
            let secret = &secret_of(site, keys)?.current;
            let mut url =
                reqwest::Url::parse(&site.webhook_url).map_err(|e| Error::InvalidSite {
                    reason: e.to_string(),
                })?;
            url.query_pairs_mut().append_pair("secret", secret);
            Prepared {
                method: "POST",
                url: url.into(),
                headers: vec![json_type, ua, ("webhook-id", message_id.to_owned())],
                body: Some(body.as_bytes().to_vec()),
            }
        }
        Preset::VercelDeployHook => Prepared {
            method: "POST",
            url: hook_url(site, keys)?,
            headers: vec![ua],
            body: None,
        },
        Preset::NetlifyBuildHook => Prepared {
            method: "POST",
            url: hook_url(site, keys)?,
            headers: vec![json_type, ua],
            body: Some(b"{}".to_vec()),
        },
        Preset::CloudflarePurgeTags | Preset::CloudflarePurgeUrls => {
            let token = &secret_of(site, keys)?.current;
            let envelope = envelope_of(body)?;
            let purge = if site.preset == Preset::CloudflarePurgeTags {
                json!({ "tags": envelope.data.tags })
            } else {
                json!({ "files": [envelope.data.url] })
            };
            Prepared {
                method: "POST",
                url: site.webhook_url.clone(),
                headers: vec![json_type, ua, ("authorization", format!("Bearer {token}"))],
                body: Some(purge.to_string().into_bytes()),
            }
        }
        Preset::VercelIsrBypass => Prepared {
            method: "GET",
            url: envelope_of(body)?.data.url,
            headers: vec![
                ua,
                (
                    "x-prerender-revalidate",
                    secret_of(site, keys)?.current.clone(),
                ),
            ],
            body: None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(preset: Preset) -> Site {
        Site {
            id: 1,
            name: "blog".into(),
            webhook_url: "https://blog.example/api/revalidate?x=1".into(),
            page_url_template: "https://blog.example/posts/{slug}".into(),
            tag_templates: vec!["documents".into(), "document:{slug}".into()],
            path_templates: vec!["/posts/{slug}".into()],
            preset,
            enabled: true,
            disabled_reason: None,
            confirm_timeout_ms: 30_000,
            secret_ref: Some("site-x".into()),
            created_at: String::new(),
            also_confirm: vec![],
            instances: vec![],
            article_selector: None,
            heal: true,
            destination: None,
        }
    }

    fn site_secrets() -> SiteSecrets {
        SiteSecrets {
            current: "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD".into(),
            previous: None,
        }
    }

    fn secrets() -> SiteKeys {
        site_secrets().into()
    }

    fn body(preset: Preset) -> String {
        let env = Envelope::new(
            EventKind::Published,
            "hello",
            "r_0123456789abcdef",
            &site(preset),
            "2026-11-27T10:00:00Z",
        );
        serde_json::to_string(&env).unwrap()
    }

    fn header<'a>(p: &'a Prepared, name: &str) -> Option<&'a str> {
        p.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn the_envelope_matches_the_contract() {
        let v: serde_json::Value = serde_json::from_str(&body(Preset::StandardWebhooks)).unwrap();
        assert_eq!(
            v,
            json!({"type": "content.published", "timestamp": "2026-11-27T10:00:00Z",
                   "data": {"slug": "hello", "revision": "r_0123456789abcdef",
                            "tags": ["documents", "document:hello"], "paths": ["/posts/hello"],
                            "url": "https://blog.example/posts/hello"}})
        );
    }

    #[test]
    fn standard_webhooks_signs_each_attempt_afresh() {
        let s = site(Preset::StandardWebhooks);
        let b = body(Preset::StandardWebhooks);
        let a1 = prepare(&s, "msg_1", &b, Some(&secrets()), 1000).unwrap();
        let a2 = prepare(&s, "msg_1", &b, Some(&secrets()), 1005).unwrap();
        assert_eq!(a1.method, "POST");
        assert_eq!(header(&a1, "webhook-id"), Some("msg_1"));
        assert_eq!(header(&a2, "webhook-timestamp"), Some("1005"));
        assert_ne!(
            header(&a1, "webhook-signature"),
            header(&a2, "webhook-signature")
        );
        assert!(header(&a1, "user-agent").unwrap().starts_with("Pressroom/"));
        assert_eq!(a1.body.as_deref(), Some(b.as_bytes()));
        let mut rotating = site_secrets();
        rotating.previous = Some(crate::signing::Secret::generate().expose().to_owned());
        let a3 = prepare(&s, "msg_1", &b, Some(&rotating.into()), 1000).unwrap();
        assert_eq!(
            header(&a3, "webhook-signature").unwrap().split(' ').count(),
            2
        );
        assert_eq!(
            prepare(&s, "msg_1", &b, None, 1000).unwrap_err().kind(),
            "secret_missing"
        );
    }

    #[test]
    fn a_secret_that_does_not_parse_is_reported_when_signing() {
        let s = site(Preset::StandardWebhooks);
        let b = body(Preset::StandardWebhooks);
        let broken = SiteKeys::from(SiteSecrets {
            current: "whsec_not base64".into(),
            previous: None,
        });
        let err = prepare(&s, "msg_1", &b, Some(&broken), 1000).unwrap_err();
        assert_eq!(err.kind(), "invalid_secret");
        assert!(
            !err.to_string().contains("whsec_not"),
            "no secret in errors: {err}"
        );
    }

    #[test]
    fn the_other_presets() {
        let b = body(Preset::PlainSecret);
        let p = prepare(&site(Preset::PlainSecret), "m", &b, Some(&secrets()), 0).unwrap();
        assert!(
            p.url
                .starts_with("https://blog.example/api/revalidate?x=1&secret=whsec_"),
            "{}",
            p.url
        );
        assert!(
            p.url.contains("%2B"),
            "the secret is URL-encoded: {}",
            p.url
        );

        // A hook's URL is its secret: taken from the secret store…
        let hook = SiteKeys::from(SiteSecrets {
            current: "https://api.vercel.example/deploy/secret_token".into(),
            previous: None,
        });
        let p = prepare(&site(Preset::VercelDeployHook), "m", &b, Some(&hook), 0).unwrap();
        assert_eq!((p.method, p.body.is_none()), ("POST", true));
        assert_eq!(p.url, "https://api.vercel.example/deploy/secret_token");
        // …or, for a site from before, from the workspace; never sent without one.
        let mut old = site(Preset::NetlifyBuildHook);
        old.secret_ref = None;
        let p = prepare(&old, "m", &b, None, 0).unwrap();
        assert_eq!(p.body.as_deref(), Some(&b"{}"[..]));
        assert_eq!(p.url, old.webhook_url);
        assert!(prepare(&site(Preset::NetlifyBuildHook), "m", &b, None, 0).is_err());

        let p = prepare(
            &site(Preset::CloudflarePurgeTags),
            "m",
            &b,
            Some(&secrets()),
            0,
        )
        .unwrap();
        assert_eq!(
            header(&p, "authorization"),
            Some("Bearer whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD")
        );
        let v: serde_json::Value = serde_json::from_slice(p.body.as_ref().unwrap()).unwrap();
        assert_eq!(v, json!({"tags": ["documents", "document:hello"]}));
        let p = prepare(
            &site(Preset::CloudflarePurgeUrls),
            "m",
            &b,
            Some(&secrets()),
            0,
        )
        .unwrap();
        let v: serde_json::Value = serde_json::from_slice(p.body.as_ref().unwrap()).unwrap();
        assert_eq!(v, json!({"files": ["https://blog.example/posts/hello"]}));

        let p = prepare(&site(Preset::VercelIsrBypass), "m", &b, Some(&secrets()), 0).unwrap();
        assert_eq!(
            (p.method, p.url.as_str()),
            ("GET", "https://blog.example/posts/hello")
        );
        assert!(header(&p, "x-prerender-revalidate").is_some());
        assert!(
            !format!("{p:?}").contains("whsec_"),
            "Debug never shows secrets"
        );
    }
}
