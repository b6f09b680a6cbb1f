//! `pressroom destination …` and `pressroom pull`: the CMSs a workspace publishes to
//! (WordPress, Directus), their secrets in the secret store, publishing a document to
//! one in place, and pulling their posts into drafts.

use std::sync::Mutex;

use anyhow::Context;
use clap::Subcommand;
use pressroom_core::destinations::{self, NewDestination};
use pressroom_core::directus::{BodyFormat, FieldMapping};
use pressroom_core::secrets::SecretStore;
use pressroom_core::Store;

use crate::output::Output;

#[derive(Subcommand)]
pub enum DestinationCommand {
    /// Add a WordPress or Directus to publish to (its password or token is kept in the
    /// OS keyring)
    Add {
        name: String,
        /// wordpress or directus
        #[arg(long, default_value = "wordpress")]
        kind: String,
        /// WordPress: the REST root, as WordPress announces it:
        /// https://example.com/wp-json/ (or https://example.com/?rest_route=/ without
        /// pretty permalinks). Directus: the server's address
        #[arg(long)]
        url: String,
        /// The WordPress user name (not for Directus)
        #[arg(long, default_value = "")]
        user: String,
        /// Name of the environment variable holding WordPress's Application Password
        /// (Users ▸ Profile ▸ Application Passwords) or Directus's static token — never
        /// the secret itself
        #[arg(long, value_name = "VAR", alias = "token-env")]
        password_env: String,
        #[command(flatten)]
        mapping: MappingArgs,
        /// The widest image it takes, in pixels: wider ones go as a downscaled copy
        /// (0: as they are)
        #[arg(long, value_name = "PX", default_value_t = pressroom_core::assets::DEFAULT_MAX_WIDTH)]
        image_max_width: u32,
    },
    /// Set the widest image a destination takes (0: as they are)
    Images {
        name: String,
        #[arg(long, value_name = "PX")]
        max_width: u32,
    },
    /// List the destinations
    List,
    /// Log in: who the password belongs to, and whether they may publish
    Test { name: String },
    /// Forget a destination and its password (its posts stay where they are)
    Remove {
        name: String,
        /// Remove it even while documents have posts there (Pressroom forgets which)
        #[arg(long)]
        forget_posts: bool,
    },
    /// Publish a draft to a destination: created the first time, then updated in place
    Publish {
        name: String,
        slug: String,
        /// Publish even over changes made in the CMS since the last publish
        #[arg(long)]
        overwrite: bool,
    },
    /// Take a document down from a destination (the post is deleted there)
    Unpublish {
        name: String,
        slug: String,
        /// Delete the post even when it was edited there since the last publish
        #[arg(long)]
        overwrite: bool,
    },
}

/// Directus: where the posts are and which fields hold what.
#[derive(clap::Args)]
pub struct MappingArgs {
    /// Directus: the collection of posts [default: posts]
    #[arg(long)]
    collection: Option<String>,
    /// Directus: a field of the collection, as ROLE=FIELD (repeatable; roles: title,
    /// slug, body, summary, tags, status, modified; `ROLE=` leaves an optional one
    /// out) [defaults: title, slug, content, summary, tags, status, date_updated]
    #[arg(long = "field", value_name = "ROLE=FIELD")]
    fields: Vec<String>,
    /// Directus: the body field holds markdown or html [default: markdown]
    #[arg(long)]
    body_format: Option<String>,
}

impl MappingArgs {
    fn mapping(&self, kind: &str) -> anyhow::Result<Option<FieldMapping>> {
        let given =
            self.collection.is_some() || !self.fields.is_empty() || self.body_format.is_some();
        if kind != "directus" {
            anyhow::ensure!(
                !given,
                "--collection, --field and --body-format are for Directus"
            );
            return Ok(None);
        }
        let mut m = FieldMapping::default();
        if let Some(c) = &self.collection {
            m.collection = c.clone();
        }
        for pair in &self.fields {
            let (role, field) = pair
                .split_once('=')
                .with_context(|| format!("--field {pair}: give ROLE=FIELD, e.g. body=content"))?;
            let field = field.trim().to_owned();
            let optional = (!field.is_empty()).then(|| field.clone());
            match role.trim() {
                "title" => m.title = field,
                "slug" => m.slug = field,
                "body" => m.body = field,
                "modified" => m.modified = field,
                "summary" => m.summary = optional,
                "tags" => m.tags = optional,
                "status" => m.status = optional,
                "cover" => m.cover = optional,
                other => anyhow::bail!(
                    "--field {pair}: no role {other:?}; one of title, slug, body, summary, tags, \
                     status, modified, cover"
                ),
            }
        }
        m.body_format = match self.body_format.as_deref() {
            None | Some("markdown") => BodyFormat::Markdown,
            Some("html") => BodyFormat::Html,
            Some(other) => anyhow::bail!("--body-format {other}: markdown or html"),
        };
        Ok(Some(m))
    }
}

pub fn run(cmd: DestinationCommand, mut store: Store, out: &Output) -> anyhow::Result<()> {
    let secrets = SecretStore::for_workspace(&store);
    let rt = || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the async runtime")
    };
    match cmd {
        DestinationCommand::Add {
            name,
            kind,
            url,
            user,
            password_env,
            mapping,
            image_max_width,
        } => {
            destinations::check_image_max_width(image_max_width)?;
            let mapping = mapping.mapping(&kind)?;
            let secret = std::env::var(&password_env)
                .ok()
                .filter(|v| !v.is_empty())
                .with_context(|| {
                    format!("the environment variable {password_env} given to --password-env is not set")
                })?;
            let added = destinations::add(
                &mut store,
                &secrets,
                &NewDestination {
                    name,
                    kind,
                    url,
                    user,
                    secret,
                    mapping,
                },
            )?;
            let added =
                destinations::set_image_max_width(&mut store, &added.name, image_max_width)?;
            out.message(&format!(
                "added destination {} ({} at {}); `pressroom destination test {}` logs in",
                added.name, added.kind, added.url, added.name
            ));
        }
        DestinationCommand::List => out.destinations(&store.destinations()?),
        DestinationCommand::Images { name, max_width } => {
            let changed = destinations::set_image_max_width(&mut store, &name, max_width)?;
            out.message(&match changed.image_max_width {
                0 => format!("{name} gets images as they are"),
                w => format!("{name} gets images at most {w} pixels wide"),
            });
        }
        DestinationCommand::Test { name } => {
            let store = Mutex::new(store);
            let account = rt()?.block_on(destinations::test(&store, &secrets, &name))?;
            let may = if account.can_publish {
                "may publish posts"
            } else {
                "may NOT publish posts: give the user a role that may (WordPress: Author or \
                 above; Directus: create and update in the collection)"
            };
            out.message(&format!("{name}: logged in as {}, who {may}", account.name));
        }
        DestinationCommand::Remove { name, forget_posts } => {
            let removed = destinations::remove(&mut store, &secrets, &name, forget_posts)?;
            out.message(&format!(
                "removed destination {} and its password or token",
                removed.name
            ));
        }
        DestinationCommand::Publish {
            name,
            slug,
            overwrite,
        } => {
            let store = Mutex::new(store);
            let post = rt()?.block_on(destinations::publish(
                &store, &secrets, &slug, &name, overwrite,
            ))?;
            out.remote_post(&slug, &name, &post);
        }
        DestinationCommand::Unpublish {
            name,
            slug,
            overwrite,
        } => {
            let store = Mutex::new(store);
            rt()?.block_on(destinations::unpublish(
                &store, &secrets, &slug, &name, overwrite,
            ))?;
            out.message(&format!("took {slug} down from {name}"));
        }
    }
    Ok(())
}

/// `pressroom pull DEST`: every post of the destination into a linked local draft.
pub fn pull(store: Store, name: &str, replace_changed: bool, out: &Output) -> anyhow::Result<()> {
    let secrets = SecretStore::for_workspace(&store);
    let store = Mutex::new(store);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let report = rt.block_on(pressroom_core::pull::pull(
        &store,
        &secrets,
        name,
        replace_changed,
    ))?;
    out.pull_report(&report);
    Ok(())
}
