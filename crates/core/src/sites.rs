//! Managing site targets together with their secrets: the site row in the workspace,
//! the secret in the secret store, never one without the other.

use crate::error::{Error, Result};
use crate::secrets::{SecretStore, SiteSecrets};
use crate::signing::Secret;
use crate::store::{checked_reach, checked_selector, NewSite, Preset, Site, Store};

/// Where a site's secret comes from.
pub enum SecretInput {
    /// `whsec_` + base64 of 32 random bytes (Standard Webhooks) or a random token.
    Generate,
    /// Entered by the user (from an environment variable; never a command-line value).
    Given(String),
    /// Only for presets that need none (deploy/build hooks).
    None,
}

/// A site just added or re-keyed, with the new secret to show once.
pub struct WithSecret {
    pub site: Site,
    pub new_secret: Option<String>,
}

impl std::fmt::Debug for WithSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WithSecret")
            .field("site", &self.site)
            .finish_non_exhaustive()
    }
}

fn resolve(preset: Preset, input: SecretInput) -> Result<Option<String>> {
    match input {
        SecretInput::Generate => Ok(Some(Secret::generate().expose().to_owned())),
        SecretInput::Given(text) if preset == Preset::StandardWebhooks => {
            Ok(Some(Secret::parse(&text)?.expose().to_owned()))
        }
        SecretInput::Given(text) if !text.trim().is_empty() => Ok(Some(text.trim().to_owned())),
        SecretInput::Given(_) => Err(Error::InvalidSecret {
            reason: "it is empty".into(),
        }),
        SecretInput::None if preset.uses_secret() => Err(Error::InvalidSecret {
            reason: format!("the {} preset needs one", preset.as_str()),
        }),
        SecretInput::None => Ok(None),
    }
}

fn random_ref() -> String {
    format!("site-{}", crate::random_hex(8))
}

/// What the workspace keeps of a hook URL (the secret): its scheme and host.
pub fn redacted_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => format!("{}://{}/{REDACTED}", u.scheme(), u.host_str().unwrap_or("")),
        Err(_) => format!("https://invalid/{REDACTED}"),
    }
}

/// The path of a redacted hook URL: the rest is in the secret store.
const REDACTED: &str = "(in-the-secret-store)";

fn is_redacted(url: &str) -> bool {
    url.ends_with(REDACTED)
}

/// What a site has besides its URLs, templates and preset, as a form or command line
/// gives it: each `None` leaves the stored value as it is.
#[derive(Debug, Clone, Default)]
pub struct SiteExtras {
    pub confirm_timeout_ms: Option<u64>,
    pub also_confirm: Option<Vec<String>>,
    pub instances: Option<Vec<String>>,
    /// `""`: back to the default region.
    pub article_selector: Option<String>,
    pub heal: Option<bool>,
}

impl SiteExtras {
    /// Refuses what `apply` would refuse, before anything is written: a site is added
    /// or changed whole or not at all.
    pub fn check(&self) -> Result<()> {
        checked_reach(
            self.also_confirm.as_deref().unwrap_or_default(),
            self.instances.as_deref().unwrap_or_default(),
        )?;
        checked_selector(self.article_selector.as_deref().unwrap_or_default())?;
        if let Some(ms) = self.confirm_timeout_ms {
            Store::check_confirm_timeout(ms)?;
        }
        Ok(())
    }

    /// Writes what is given to site `name`; the site as it then is.
    pub fn apply(&self, store: &mut Store, name: &str) -> Result<Site> {
        if let Some(ms) = self.confirm_timeout_ms {
            store.set_site_confirm_timeout(name, ms)?;
        }
        if self.also_confirm.is_some() || self.instances.is_some() {
            let site = store.site(name)?;
            store.set_site_reach(
                name,
                self.also_confirm.as_deref().unwrap_or(&site.also_confirm),
                self.instances.as_deref().unwrap_or(&site.instances),
            )?;
        }
        if let Some(selector) = &self.article_selector {
            store.set_site_article_selector(name, selector)?;
        }
        if let Some(heal) = self.heal {
            store.set_site_heal(name, heal)?;
        }
        store.site(name)
    }
}

/// Adds a site; its secret goes to the secret store first, so a site never exists
/// without the secret it needs. A deploy/build hook's URL is that secret: the workspace
/// keeps only its host.
pub fn add(
    store: &mut Store,
    secrets: &SecretStore,
    new: &NewSite,
    secret: SecretInput,
) -> Result<WithSecret> {
    let hook = new.preset.url_is_secret();
    let generated = matches!(secret, SecretInput::Generate) && !hook;
    let secret = if hook {
        new.validate()?;
        Some(new.webhook_url.clone())
    } else {
        resolve(new.preset, secret)?
    };
    let redacted;
    let new = if hook {
        redacted = NewSite {
            webhook_url: redacted_url(&new.webhook_url),
            ..new.clone()
        };
        &redacted
    } else {
        new
    };
    let reference = match &secret {
        Some(current) => {
            let reference = random_ref();
            secrets.set(
                &reference,
                &SiteSecrets {
                    current: current.clone(),
                    previous: None,
                },
            )?;
            Some(reference)
        }
        None => None,
    };
    match store.add_site(new, reference.as_deref()) {
        Ok(site) => Ok(WithSecret {
            site,
            new_secret: secret.filter(|_| generated),
        }),
        Err(e) => {
            if let Some(r) = reference {
                let _ = secrets.delete(&r);
            }
            Err(e)
        }
    }
}

/// Changes a site's settings. A hook URL given again unchanged (its redacted form, as
/// the settings show it) keeps the one in the secret store; a new one replaces it there.
pub fn update(
    store: &mut Store,
    secrets: &SecretStore,
    name: &str,
    changed: &NewSite,
) -> Result<Site> {
    if !changed.preset.url_is_secret() || is_redacted(&changed.webhook_url) {
        return store.update_site(name, changed);
    }
    changed.validate()?;
    let site = store.site(name)?;
    let reference = site.secret_ref.clone().unwrap_or_else(random_ref);
    secrets.set(
        &reference,
        &SiteSecrets {
            current: changed.webhook_url.clone(),
            previous: None,
        },
    )?;
    store.update_site(
        name,
        &NewSite {
            webhook_url: redacted_url(&changed.webhook_url),
            ..changed.clone()
        },
    )?;
    let site = store.set_site_secret_ref(name, Some(&reference))?;
    store.touch_sites()?;
    Ok(site)
}

/// Moves the URLs of hook sites made before they were kept as secrets into the secret
/// store; how many moved. A site whose URL cannot be moved keeps working as it was.
pub fn move_hook_urls_to_secret_store(store: &mut Store, secrets: &SecretStore) -> Result<usize> {
    let mut moved = 0;
    for site in store.sites()? {
        if site.preset.url_is_secret() && !is_redacted(&site.webhook_url) {
            let changed = NewSite {
                name: site.name.clone(),
                webhook_url: site.webhook_url.clone(),
                page_url_template: site.page_url_template.clone(),
                tag_templates: site.tag_templates.clone(),
                path_templates: site.path_templates.clone(),
                preset: site.preset,
                destination: site.destination.clone(),
            };
            update(store, secrets, &site.name, &changed)?;
            moved += 1;
        }
    }
    Ok(moved)
}

/// Starts a rotation: the new secret becomes current, the old one is kept as previous
/// and still signs, until `finish_rotation`.
pub fn rotate(
    store: &Store,
    secrets: &SecretStore,
    name: &str,
    input: SecretInput,
) -> Result<WithSecret> {
    rekey(store, secrets, name, input, true)
}

/// Replaces a site's secret outright — no rotation, the old one stops signing now:
/// for fixing a secret that never matched the one the site verifies with.
pub fn replace_secret(
    store: &Store,
    secrets: &SecretStore,
    name: &str,
    input: SecretInput,
) -> Result<WithSecret> {
    rekey(store, secrets, name, input, false)
}

fn rekey(
    store: &Store,
    secrets: &SecretStore,
    name: &str,
    input: SecretInput,
    keep_previous: bool,
) -> Result<WithSecret> {
    let site = store.site(name)?;
    let generated = matches!(input, SecretInput::Generate);
    let new = resolve(site.preset, input)?.ok_or_else(|| Error::InvalidSecret {
        reason: format!("the {} preset uses no secret", site.preset.as_str()),
    })?;
    let reference = site
        .secret_ref
        .clone()
        .ok_or_else(|| Error::SecretMissing {
            site: name.to_owned(),
        })?;
    let previous = match keep_previous {
        true => secrets.get(&reference)?.map(|s| s.current),
        false => None,
    };
    secrets.set(
        &reference,
        &SiteSecrets {
            current: new.clone(),
            previous,
        },
    )?;
    store.touch_sites()?;
    Ok(WithSecret {
        site,
        new_secret: generated.then_some(new),
    })
}

/// Whether a site is between `rotate` and `finish_rotation` (two secrets sign).
pub fn is_rotating(store: &Store, secrets: &SecretStore, name: &str) -> Result<bool> {
    let Some(reference) = store.site(name)?.secret_ref else {
        return Ok(false);
    };
    Ok(secrets
        .get(&reference)?
        .is_some_and(|s| s.previous.is_some()))
}

/// Ends a rotation: only the current secret signs from now on.
pub fn finish_rotation(store: &Store, secrets: &SecretStore, name: &str) -> Result<()> {
    let site = store.site(name)?;
    let reference = site.secret_ref.ok_or_else(|| Error::SecretMissing {
        site: name.to_owned(),
    })?;
    let mut current = secrets
        .get(&reference)?
        .ok_or_else(|| Error::SecretMissing {
            site: name.to_owned(),
        })?;
    current.previous = None;
    secrets.set(&reference, &current)?;
    store.touch_sites()
}

/// Removes a site and its secret. Its pending deliveries are cancelled when due.
pub fn remove(store: &mut Store, secrets: &SecretStore, name: &str) -> Result<Site> {
    let site = store.remove_site(name)?;
    if let Some(reference) = &site.secret_ref {
        secrets.delete(reference)?;
    }
    Ok(site)
}

/// A ready-to-paste Next.js App Router route handler (`app/api/revalidate/route.ts`)
/// for a Standard Webhooks site: verifies the raw body with the npm `standardwebhooks`
/// package, then revalidates the event's tags and paths.
pub fn nextjs_route_handler(site: &Site) -> String {
    format!(
        r#"// app/api/revalidate/route.ts — generated by Pressroom for the site "{name}".
// npm install standardwebhooks
// Set PRESSROOM_WEBHOOK_SECRET to this site's whsec_… secret (never commit it).
import {{ revalidatePath, revalidateTag }} from "next/cache";
import {{ Webhook }} from "standardwebhooks";

export const dynamic = "force-dynamic";

type Event = {{
  type: "content.published" | "content.unpublished";
  timestamp: string;
  data: {{ slug: string; revision: string; tags: string[]; paths: string[]; url: string }};
}};

export async function POST(request: Request) {{
  const secret = process.env.PRESSROOM_WEBHOOK_SECRET;
  if (!secret) {{
    return Response.json({{ error: "PRESSROOM_WEBHOOK_SECRET is not set" }}, {{ status: 500 }});
  }}
  // Verify the exact bytes that were signed, before parsing them.
  const body = await request.text();
  let event: Event;
  try {{
    event = new Webhook(secret).verify(body, Object.fromEntries(request.headers.entries())) as Event;
  }} catch {{
    return Response.json({{ error: "invalid signature" }}, {{ status: 401 }});
  }}
  // Default: expire at once, so the next visitor gets a fresh render. With
  // PRESSROOM_REVALIDATE_PROFILE=max the next visitor gets the old page once while it
  // re-renders (stale-while-revalidate); Pressroom's live check waits for the new one.
  const profile = process.env.PRESSROOM_REVALIDATE_PROFILE === "max" ? "max" : {{ expire: 0 }};
  for (const tag of event.data.tags) revalidateTag(tag, profile);
  for (const path of event.data.paths) revalidatePath(path);
  return Response.json({{ revalidated: true, revision: event.data.revision }});
}}
"#,
        name = site.name
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hook_url_is_a_secret_kept_out_of_the_workspace() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = SecretStore::File(dir.path().join("secrets.json"));
        let db = dir.path().join("w.db");
        let mut store = Store::open(&db).unwrap();
        let token = "hook_token_5f2c9d7a1b";
        let hook = NewSite {
            name: "deploy".into(),
            webhook_url: format!("https://api.vercel.example/v1/integrations/deploy/prj/{token}"),
            page_url_template: "https://blog.example/posts/{slug}".into(),
            tag_templates: vec![],
            path_templates: vec![],
            preset: Preset::VercelDeployHook,
            destination: None,
        };
        let added = add(&mut store, &secrets, &hook, SecretInput::None).unwrap();
        assert!(added.new_secret.is_none(), "nothing to show");
        let site = store.site("deploy").unwrap();
        assert_eq!(
            site.webhook_url,
            "https://api.vercel.example/(in-the-secret-store)"
        );
        // The request goes to the whole URL, from the secret store.
        let keys = crate::webhook::SiteKeys::from(
            secrets
                .get(site.secret_ref.as_deref().unwrap())
                .unwrap()
                .unwrap(),
        );
        let body = r#"{"type":"content.published","timestamp":"t","data":{"slug":"a","revision":"r","tags":[],"paths":[],"url":"u"}}"#;
        let prepared = crate::webhook::prepare(&site, "msg_1", body, Some(&keys), 0).unwrap();
        assert_eq!(prepared.url, hook.webhook_url);

        // Editing other settings (the form sends the redacted URL back) keeps it…
        let mut changed = hook.clone();
        changed.webhook_url = site.webhook_url.clone();
        changed.page_url_template = "https://blog.example/p/{slug}".into();
        update(&mut store, &secrets, "deploy", &changed).unwrap();
        let kept = secrets
            .get(site.secret_ref.as_deref().unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(kept.current, hook.webhook_url);
        // …and a new URL replaces it, still only in the secret store.
        changed.webhook_url = "https://api.vercel.example/v1/integrations/deploy/prj/new_9".into();
        update(&mut store, &secrets, "deploy", &changed).unwrap();
        let site = store.site("deploy").unwrap();
        let now = secrets
            .get(site.secret_ref.as_deref().unwrap())
            .unwrap()
            .unwrap();
        assert!(now.current.ends_with("new_9"));
        assert!(!site.webhook_url.contains("new_9"));

        // A hook site from before is moved on the next start.
        store
            .add_site(
                &NewSite {
                    name: "old-hook".into(),
                    webhook_url: "https://api.netlify.example/build_hooks/old_secret_77".into(),
                    preset: Preset::NetlifyBuildHook,
                    ..hook.clone()
                },
                None,
            )
            .unwrap();
        assert_eq!(
            move_hook_urls_to_secret_store(&mut store, &secrets).unwrap(),
            1
        );
        assert_eq!(
            move_hook_urls_to_secret_store(&mut store, &secrets).unwrap(),
            0
        );
        drop(store);
        let mut bytes = std::fs::read(&db).unwrap();
        bytes.extend(std::fs::read(db.with_extension("db-wal")).unwrap_or_default());
        for secret in [token, "new_9", "old_secret_77"] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} is in the workspace database"
            );
        }
    }

    #[test]
    fn replacing_a_secret_ends_any_rotation_and_rotating_keeps_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let secrets = SecretStore::File(dir.path().join("secrets.json"));
        let mut store = Store::open(dir.path().join("w.db")).unwrap();
        let new = NewSite {
            name: "blog".into(),
            webhook_url: "http://127.0.0.1:9/api/revalidate".into(),
            page_url_template: "http://127.0.0.1:9/posts/{slug}".into(),
            tag_templates: vec!["documents".into()],
            path_templates: vec![],
            preset: Preset::StandardWebhooks,
            destination: None,
        };
        let added = add(&mut store, &secrets, &new, SecretInput::Generate).unwrap();
        let first = added.new_secret.unwrap();
        let reference = added.site.secret_ref.clone().unwrap();
        assert!(!is_rotating(&store, &secrets, "blog").unwrap());

        rotate(&store, &secrets, "blog", SecretInput::Generate).unwrap();
        assert!(is_rotating(&store, &secrets, "blog").unwrap());
        let both = secrets.get(&reference).unwrap().unwrap();
        assert_eq!(both.previous.as_deref(), Some(first.as_str()));

        let fixed = Secret::generate().expose().to_owned();
        let replaced =
            replace_secret(&store, &secrets, "blog", SecretInput::Given(fixed.clone())).unwrap();
        assert_eq!(
            replaced.new_secret, None,
            "a given secret is not echoed back"
        );
        let now = secrets.get(&reference).unwrap().unwrap();
        assert_eq!((now.current.as_str(), now.previous), (fixed.as_str(), None));
        assert!(!is_rotating(&store, &secrets, "blog").unwrap());

        let err = replace_secret(&store, &secrets, "blog", SecretInput::Given("nope".into()))
            .unwrap_err();
        assert_eq!(err.kind(), "invalid_secret");
        assert_eq!(secrets.get(&reference).unwrap().unwrap().current, fixed);
    }
}
