//! Managing site targets together with their secrets: the site row in the workspace,
//! the secret in the secret store, never one without the other.

use crate::error::{Error, Result};
use crate::secrets::{SecretStore, SiteSecrets};
use crate::signing::Secret;
use crate::store::{NewSite, Preset, Site, Store};

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
    let mut b = [0u8; 8];
    getrandom::fill(&mut b).expect("the OS random source is available");
    format!("site-{}", crate::hex(&b))
}

/// Adds a site; its secret goes to the secret store first, so a site never exists
/// without the secret it needs.
pub fn add(
    store: &mut Store,
    secrets: &SecretStore,
    new: &NewSite,
    secret: SecretInput,
) -> Result<WithSecret> {
    let generated = matches!(secret, SecretInput::Generate);
    let secret = resolve(new.preset, secret)?;
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
