//! `pressroom site …`: site targets and their secrets.

use std::process::ExitCode;

use anyhow::Context;
use clap::Subcommand;
use pressroom_core::destinations;
use pressroom_core::secrets::SecretStore;
use pressroom_core::sites::{self, SecretInput, SiteExtras};
use pressroom_core::store::{NewSite, Preset};
use pressroom_core::Store;

use crate::output::Output;

#[derive(Subcommand)]
pub enum SiteCommand {
    /// Add a site to revalidate after each publish
    Add {
        name: String,
        #[arg(long)]
        webhook_url: String,
        /// Page URL with {slug}, e.g. 'https://example.com/posts/{slug}'
        #[arg(long = "page-url")]
        page_url: String,
        /// Comma-separated tag templates
        #[arg(long, default_value = "documents,document:{slug}")]
        tags: String,
        /// Comma-separated path templates
        #[arg(long, default_value = "")]
        paths: String,
        /// standard_webhooks, plain_secret, vercel_deploy_hook, netlify_build_hook,
        /// cloudflare_purge_tags, cloudflare_purge_urls or vercel_isr_bypass
        #[arg(long, default_value = "standard_webhooks")]
        preset: String,
        /// Environment variable holding the secret (never the secret itself)
        #[arg(long, value_name = "VAR", conflicts_with = "generate_secret")]
        secret_env: Option<String>,
        /// Generate a secret and show it once [default for signed presets]
        #[arg(long)]
        generate_secret: bool,
        /// The destination the site reads from (`pressroom destination list`) [default:
        /// the content API]
        #[arg(long, value_name = "NAME")]
        destination: Option<String>,
        #[command(flatten)]
        extras: ExtraArgs,
    },
    /// Change a site's URLs, templates or preset (unset options keep their value)
    Edit {
        name: String,
        #[arg(long)]
        webhook_url: Option<String>,
        #[arg(long = "page-url")]
        page_url: Option<String>,
        #[arg(long)]
        tags: Option<String>,
        #[arg(long)]
        paths: Option<String>,
        #[arg(long)]
        preset: Option<String>,
        /// The destination the site reads from; `api` for the content API
        #[arg(long, value_name = "NAME")]
        destination: Option<String>,
        #[command(flatten)]
        extras: ExtraArgs,
    },
    /// List sites
    List,
    /// Remove a site and its secret
    Remove { name: String },
    /// Start using a new secret; the previous one keeps signing until --finish
    RotateSecret {
        name: String,
        #[arg(long, value_name = "VAR")]
        secret_env: Option<String>,
        /// End the rotation: sign with the current secret only
        #[arg(long, conflicts_with = "secret_env")]
        finish: bool,
    },
    /// Turn a disabled site (e.g. after a 410) back on
    Enable { name: String },
    /// Print a ready-to-paste Next.js route handler for the site
    Handler { name: String },
}

/// What `site add` and `site edit` set besides URLs, templates and preset (unset
/// options keep their value).
#[derive(clap::Args)]
pub struct ExtraArgs {
    /// How long to wait for the page to go live [default for a new site: 30]
    #[arg(long, value_name = "SECONDS")]
    confirm_timeout: Option<u64>,
    /// Comma-separated URL templates confirmed besides the page: paths on its origin
    /// ('/,/tags/{tag},/feed.xml') or full URLs
    #[arg(long, value_name = "TEMPLATES")]
    also_confirm: Option<String>,
    /// Comma-separated instance origins ('http://10.0.0.2:3000,http://10.0.0.3:3000'):
    /// the webhook goes to each, and each is confirmed through its own origin
    #[arg(long, value_name = "ORIGINS")]
    instances: Option<String>,
    /// Where the site's pages hold the article, for "preview in the site's theme"
    /// (a CSS selector; '' for the default: 'article, main, [role=main]')
    #[arg(long, value_name = "SELECTOR")]
    article_selector: Option<String>,
    /// Still stale at the timeout: send the webhook once more and fetch again before
    /// reporting it (true or false) [default: true]
    #[arg(long, value_name = "BOOL")]
    heal: Option<bool>,
}

impl ExtraArgs {
    fn extras(self) -> SiteExtras {
        SiteExtras {
            confirm_timeout_ms: self.confirm_timeout.map(|secs| secs.saturating_mul(1000)),
            also_confirm: self.also_confirm.as_deref().map(split),
            instances: self.instances.as_deref().map(split),
            article_selector: self.article_selector,
            heal: self.heal,
        }
    }
}

fn secret_from_env(var: &str) -> anyhow::Result<SecretInput> {
    let value = std::env::var(var)
        .ok()
        .filter(|v| !v.is_empty())
        .with_context(|| {
            format!("the environment variable {var} given to --secret-env is not set")
        })?;
    Ok(SecretInput::Given(value))
}

fn split(list: &str) -> Vec<String> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

pub fn run(cmd: SiteCommand, store: &mut Store, out: &Output) -> anyhow::Result<ExitCode> {
    let secrets = SecretStore::for_workspace(store);
    match cmd {
        SiteCommand::Add {
            name,
            webhook_url,
            page_url,
            tags,
            paths,
            preset,
            secret_env,
            generate_secret,
            destination,
            extras,
        } => {
            let preset = Preset::parse(&preset)?;
            // Everything checked before anything is written: no half-added site.
            let extras = extras.extras();
            extras.check()?;
            let secret = match (secret_env, generate_secret) {
                (Some(var), _) => secret_from_env(&var)?,
                (None, true) => SecretInput::Generate,
                (None, false) if !preset.uses_secret() => SecretInput::None,
                (None, false) => SecretInput::Generate,
            };
            let new = NewSite {
                name,
                webhook_url,
                page_url_template: page_url,
                tag_templates: split(&tags),
                path_templates: split(&paths),
                preset,
                // `api` names the content API, the default.
                destination: destination.filter(|d| d != destinations::CONTENT_API),
            };
            let mut added = sites::add(store, &secrets, &new, secret)?;
            added.site = extras.apply(store, &added.site.name)?;
            out.site_with_secret("added", &added);
        }
        SiteCommand::Edit {
            name,
            webhook_url,
            page_url,
            tags,
            paths,
            preset,
            destination,
            extras,
        } => {
            let site = store.site(&name)?;
            let changed = NewSite {
                name: site.name.clone(),
                webhook_url: webhook_url.unwrap_or(site.webhook_url),
                page_url_template: page_url.unwrap_or(site.page_url_template),
                tag_templates: tags.as_deref().map_or(site.tag_templates, split),
                path_templates: paths.as_deref().map_or(site.path_templates, split),
                preset: preset.as_deref().map_or(Ok(site.preset), Preset::parse)?,
                destination: match destination.as_deref() {
                    None => site.destination.clone(),
                    Some(destinations::CONTENT_API) => None,
                    Some(other) => Some(other.to_owned()),
                },
            };
            let extras = extras.extras();
            extras.check()?;
            sites::update(store, &secrets, &name, &changed)?;
            let site = extras.apply(store, &name)?;
            out.sites(std::slice::from_ref(&site));
        }
        SiteCommand::List => out.sites(&store.sites()?),
        SiteCommand::Remove { name } => {
            let site = sites::remove(store, &secrets, &name)?;
            out.message(&format!("removed {} and its secret", site.name));
        }
        SiteCommand::RotateSecret {
            name,
            secret_env,
            finish,
        } => {
            if finish {
                sites::finish_rotation(store, &secrets, &name)?;
                out.message(&format!("{name}: only the current secret signs now"));
            } else {
                let input = match secret_env {
                    Some(var) => secret_from_env(&var)?,
                    None => SecretInput::Generate,
                };
                out.site_with_secret("rotated", &sites::rotate(store, &secrets, &name, input)?);
            }
        }
        SiteCommand::Enable { name } => {
            store.set_site_enabled(&name, true, None)?;
            out.message(&format!("{name} is enabled"));
        }
        SiteCommand::Handler { name } => {
            print!("{}", sites::nextjs_route_handler(&store.site(&name)?))
        }
    }
    Ok(ExitCode::SUCCESS)
}
