//! Settings and the delivery log: the content API, site targets with their secrets,
//! every webhook attempt. Thin adapters over `pressroom_core::{publish, sites}` and the
//! store, like `commands`.

use pressroom_core::publish::{self, ApiSettings};
use pressroom_core::sites::{self, SecretInput, SiteExtras, WithSecret};
use pressroom_core::store::{Attempt, Delivery, NewSite, NextStep, Preset, Site};
use serde::{Deserialize, Serialize};
use tauri::State;

use crate::ipc_error::IpcResult;
use crate::state::AppState;

#[tauri::command]
pub async fn api_settings(state: State<'_, AppState>) -> IpcResult<Option<ApiSettings>> {
    Ok(state.with_store(|s| publish::api_settings(s))?)
}

/// Saves the content API URL; a token given here goes to the secret store (the OS
/// keyring), without one the token stays where it was.
#[tauri::command]
pub async fn set_api_settings(
    state: State<'_, AppState>,
    url: String,
    token: Option<String>,
) -> IpcResult<ApiSettings> {
    let url = url.trim();
    let secrets = state.publisher.secrets();
    Ok(state.with_store(|s| match token.as_deref().map(str::trim) {
        Some(token) if !token.is_empty() => publish::set_api_with_token(s, secrets, url, token),
        _ if publish::api_settings(s)?.is_some() => publish::set_url(s, url),
        _ => publish::set_api(s, url, None),
    })?)
}

/// Asks the configured content API for its health: `None` when it answered.
#[tauri::command]
pub async fn check_api(state: State<'_, AppState>) -> IpcResult<Option<String>> {
    let api = state.with_store(|s| publish::content_api(s, state.publisher.secrets()))?;
    Ok(api.health().await.err().map(|e| e.to_string()))
}

/// The site form: what a user types.
#[derive(Deserialize, ts_rs::TS)]
pub struct SiteForm {
    name: String,
    webhook_url: String,
    page_url_template: String,
    tag_templates: Vec<String>,
    path_templates: Vec<String>,
    preset: String,
    confirm_timeout_ms: Option<u64>,
    /// Pages confirmed besides the document's (paths on its origin or full URLs).
    also_confirm: Vec<String>,
    /// Instance origins: the webhook goes to each, each is confirmed on its own.
    instances: Vec<String>,
    /// Where the site's pages hold the article ("" or none: the default).
    article_selector: Option<String>,
    /// Still stale at the timeout: re-send and fetch again before reporting it.
    heal: bool,
    /// The destination the site reads from; none (or ""): the content API.
    destination: Option<String>,
}

fn clean(v: &[String]) -> Vec<String> {
    v.iter()
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect()
}

impl SiteForm {
    /// The site, once everything in the form is known to be acceptable — nothing is
    /// written for a form that would be refused halfway.
    fn to_new_site(&self) -> pressroom_core::Result<NewSite> {
        self.extras().check()?;
        Ok(NewSite {
            name: self.name.trim().to_owned(),
            webhook_url: self.webhook_url.trim().to_owned(),
            page_url_template: self.page_url_template.trim().to_owned(),
            tag_templates: clean(&self.tag_templates),
            path_templates: clean(&self.path_templates),
            preset: Preset::parse(&self.preset)?,
            destination: self
                .destination
                .as_deref()
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(str::to_owned),
        })
    }

    /// What `add_site`/`update_site` store besides the site itself: the form sets all
    /// of it (an empty article region is the default one).
    fn extras(&self) -> SiteExtras {
        SiteExtras {
            confirm_timeout_ms: self.confirm_timeout_ms,
            also_confirm: Some(clean(&self.also_confirm)),
            instances: Some(clean(&self.instances)),
            article_selector: Some(self.article_selector.clone().unwrap_or_default()),
            heal: Some(self.heal),
        }
    }
}

/// A site as settings show it.
#[derive(Serialize, ts_rs::TS)]
pub struct SiteView {
    #[serde(flatten)]
    site: Site,
    /// Two secrets sign until the rotation is finished.
    rotating: bool,
}

#[tauri::command]
pub async fn settings_sites(state: State<'_, AppState>) -> IpcResult<Vec<SiteView>> {
    let secrets = state.publisher.secrets();
    Ok(state.with_store(|s| -> pressroom_core::Result<_> {
        s.sites()?
            .into_iter()
            .map(|site| {
                Ok(SiteView {
                    rotating: sites::is_rotating(s, secrets, &site.name).unwrap_or(false),
                    site,
                })
            })
            .collect()
    })?)
}

/// A site just added or re-keyed; `new_secret` is shown once, then only the site has it.
#[derive(Serialize, ts_rs::TS)]
pub struct Keyed {
    site: Site,
    new_secret: Option<String>,
}

impl From<WithSecret> for Keyed {
    fn from(w: WithSecret) -> Keyed {
        Keyed {
            site: w.site,
            new_secret: w.new_secret,
        }
    }
}

fn secret_input(secret: Option<String>) -> SecretInput {
    match secret {
        Some(s) if !s.trim().is_empty() => SecretInput::Given(s),
        _ => SecretInput::Generate,
    }
}

/// Adds a site; with no secret given one is generated (presets that use none get none).
#[tauri::command]
pub async fn add_site(
    state: State<'_, AppState>,
    form: SiteForm,
    secret: Option<String>,
) -> IpcResult<Keyed> {
    let new = form.to_new_site()?;
    let input = match new.preset.uses_secret() {
        true => secret_input(secret),
        false => SecretInput::None,
    };
    let secrets = state.publisher.secrets();
    let added = state.with_store(|s| -> pressroom_core::Result<_> {
        let mut added = sites::add(s, secrets, &new, input)?;
        added.site = form.extras().apply(s, &new.name)?;
        Ok(added)
    })?;
    Ok(added.into())
}

#[tauri::command]
pub async fn update_site(
    state: State<'_, AppState>,
    name: String,
    form: SiteForm,
) -> IpcResult<Site> {
    let changed = form.to_new_site()?;
    let secrets = state.publisher.secrets();
    Ok(state.with_store(|s| -> pressroom_core::Result<_> {
        let site = sites::update(s, secrets, &name, &changed)?;
        form.extras().apply(s, &site.name)
    })?)
}

#[tauri::command]
pub async fn remove_site(state: State<'_, AppState>, name: String) -> IpcResult<()> {
    let secrets = state.publisher.secrets();
    state.with_store(|s| sites::remove(s, secrets, &name))?;
    Ok(())
}

#[tauri::command]
pub async fn set_site_enabled(
    state: State<'_, AppState>,
    name: String,
    enabled: bool,
) -> IpcResult<Site> {
    Ok(state.with_store(|s| -> pressroom_core::Result<_> {
        s.set_site_enabled(&name, enabled, None)?;
        s.site(&name)
    })?)
}

/// A new secret for a site (generated, or the one given). With `rotate` it signs
/// together with the previous one until `finish_rotation`; without, it replaces it now.
#[tauri::command]
pub async fn set_secret(
    state: State<'_, AppState>,
    name: String,
    secret: Option<String>,
    rotate: bool,
) -> IpcResult<Keyed> {
    let secrets = state.publisher.secrets();
    let input = secret_input(secret);
    Ok(state
        .with_store(|s| match rotate {
            true => sites::rotate(s, secrets, &name, input),
            false => sites::replace_secret(s, secrets, &name, input),
        })?
        .into())
}

#[tauri::command]
pub async fn finish_rotation(state: State<'_, AppState>, name: String) -> IpcResult<()> {
    let secrets = state.publisher.secrets();
    Ok(state.with_store(|s| sites::finish_rotation(s, secrets, &name))?)
}

/// The Next.js route handler to paste into the site (`app/api/revalidate/route.ts`).
#[tauri::command]
pub async fn site_handler(state: State<'_, AppState>, name: String) -> IpcResult<String> {
    let site = state.with_store(|s| s.site(&name))?;
    Ok(sites::nextjs_route_handler(&site))
}

/// What a test webhook got back.
#[derive(Serialize, ts_rs::TS)]
pub struct TestResult {
    ok: bool,
    status: Option<u16>,
    latency_ms: u64,
    /// What happened and what to do, in a sentence.
    message: String,
}

#[tauri::command]
pub async fn test_webhook(state: State<'_, AppState>, name: String) -> IpcResult<TestResult> {
    let record = state.publisher.test_webhook(&name).await?;
    let ok = record.next == NextStep::Delivered;
    let message = match (&record.error, record.status) {
        (None, Some(status)) => format!("The site accepted the webhook ({status})."),
        (Some(error), _) => error.clone(),
        (None, None) => "No answer.".to_owned(),
    };
    Ok(TestResult {
        ok,
        status: record.status,
        latency_ms: record.latency_ms,
        message,
    })
}

#[tauri::command]
pub async fn list_deliveries(
    state: State<'_, AppState>,
    failed_only: bool,
) -> IpcResult<Vec<Delivery>> {
    Ok(state.with_store(|s| s.deliveries(failed_only, 500))?)
}

#[tauri::command]
pub async fn delivery_attempts(
    state: State<'_, AppState>,
    delivery_id: i64,
) -> IpcResult<Vec<Attempt>> {
    Ok(state.with_store(|s| s.attempts(delivery_id))?)
}
