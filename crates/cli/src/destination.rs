//! `pressroom destination …`: the CMSs a workspace publishes to (WordPress), their
//! passwords in the secret store, and publishing a document to one in place.

use std::sync::Mutex;

use anyhow::Context;
use clap::Subcommand;
use pressroom_core::destinations;
use pressroom_core::secrets::SecretStore;
use pressroom_core::Store;

use crate::output::Output;

#[derive(Subcommand)]
pub enum DestinationCommand {
    /// Add a WordPress to publish to (its password is kept in the OS keyring)
    Add {
        name: String,
        /// The REST root, as WordPress announces it: https://example.com/wp-json/ (or
        /// https://example.com/?rest_route=/ without pretty permalinks)
        #[arg(long)]
        url: String,
        /// The WordPress user name
        #[arg(long)]
        user: String,
        /// Name of the environment variable holding an Application Password (Users ▸
        /// Profile ▸ Application Passwords), never the password itself
        #[arg(long, value_name = "VAR")]
        password_env: String,
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
    Unpublish { name: String, slug: String },
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
            url,
            user,
            password_env,
        } => {
            let password = std::env::var(&password_env)
                .ok()
                .filter(|v| !v.is_empty())
                .with_context(|| {
                    format!("the environment variable {password_env} given to --password-env is not set")
                })?;
            let added = destinations::add(
                &mut store,
                &secrets,
                &name,
                "wordpress",
                &url,
                &user,
                &password,
            )?;
            out.message(&format!(
                "added destination {} (WordPress at {}); `pressroom destination test {}` logs in",
                added.name, added.url, added.name
            ));
        }
        DestinationCommand::List => out.destinations(&store.destinations()?),
        DestinationCommand::Test { name } => {
            let store = Mutex::new(store);
            let account = rt()?.block_on(destinations::test(&store, &secrets, &name))?;
            let may = if account.can_publish {
                "may publish posts"
            } else {
                "may NOT publish posts: give the user the Author role or above"
            };
            out.message(&format!("{name}: logged in as {}, who {may}", account.name));
        }
        DestinationCommand::Remove { name, forget_posts } => {
            let removed = destinations::remove(&mut store, &secrets, &name, forget_posts)?;
            out.message(&format!(
                "removed destination {} and its password",
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
        DestinationCommand::Unpublish { name, slug } => {
            let store = Mutex::new(store);
            rt()?.block_on(destinations::unpublish(&store, &secrets, &slug, &name))?;
            out.message(&format!("took {slug} down from {name}"));
        }
    }
    Ok(())
}
