//! Destinations together with their passwords (issue #13): the CMSs a workspace
//! publishes to besides its content API. A document published to one is written in
//! place over the post it became the first time (`remote_posts`), with the core
//! renderer's HTML, and a post edited there meanwhile is never overwritten unasked.
//!
//! WordPress is the one kind today. Sites do not yet name the destination they read
//! from: publishing to a destination and telling sites are separate steps for now.

use std::sync::Mutex;

use crate::error::{Error, Result};
use crate::markdown;
use crate::secrets::{SecretStore, SiteSecrets};
use crate::store::{lock, Destination, Store};
use crate::wordpress::{Account, Post, RemotePost, WordPress};

/// The kinds of destination there are.
pub const KINDS: [&str; 1] = ["wordpress"];

/// A keyring entry of its own: entries share one service name across workspaces, so
/// the destination's name alone would collide.
fn new_secret_ref() -> String {
    format!("destination-{}", crate::random_hex(8))
}

/// Records a destination and keeps its password in the secret store. The name follows
/// the slug rules; the URL must be a REST root (checked here, not by logging in: use
/// `test` for that).
pub fn add(
    store: &mut Store,
    secrets: &SecretStore,
    name: &str,
    kind: &str,
    url: &str,
    user: &str,
    password: &str,
) -> Result<Destination> {
    if !crate::slug::is_valid(name) {
        return Err(Error::InvalidDestination {
            reason: format!("{name:?} is not a usable name: lowercase letters, digits and dashes"),
        });
    }
    if !KINDS.contains(&kind) {
        return Err(Error::InvalidDestination {
            reason: format!("unknown kind {kind:?}; one of: {}", KINDS.join(", ")),
        });
    }
    if user.trim().is_empty() || password.trim().is_empty() {
        return Err(Error::InvalidDestination {
            reason: "a user name and an Application Password are needed".into(),
        });
    }
    WordPress::new(url, user, password)?;
    // Refused before the password is kept anywhere.
    if store.destination(name).is_ok() {
        return Err(Error::InvalidDestination {
            reason: format!("a destination named {name:?} exists already"),
        });
    }
    let reference = new_secret_ref();
    secrets.set(
        &reference,
        &SiteSecrets {
            current: password.to_owned(),
            previous: None,
        },
    )?;
    match store.add_destination(name, kind, url, user, &reference) {
        Ok(d) => Ok(d),
        Err(e) => {
            // Nothing half-added: the password goes again.
            let _ = secrets.delete(&reference);
            Err(e)
        }
    }
}

/// Forgets a destination and its password (its posts stay where they are). While
/// documents have posts there, only with `forget_posts`: without their ids a later
/// publish would make second posts.
pub fn remove(
    store: &mut Store,
    secrets: &SecretStore,
    name: &str,
    forget_posts: bool,
) -> Result<Destination> {
    let posts = store.remote_post_count(store.destination(name)?.id)?;
    if posts > 0 && !forget_posts {
        return Err(Error::InvalidDestination {
            reason: format!(
                "{posts} document(s) have a post in {name:?}; removing it forgets which, and                  publishing them again would make second posts. Take them down first, or                  remove it anyway with --forget-posts"
            ),
        });
    }
    let destination = store.remove_destination(name)?;
    secrets.delete(&destination.secret_ref)?;
    Ok(destination)
}

/// The client for `name`, its password read from the secret store.
pub fn client(
    store: &Store,
    secrets: &SecretStore,
    name: &str,
) -> Result<(Destination, WordPress)> {
    let destination = store.destination(name)?;
    let password = secrets
        .get(&destination.secret_ref)?
        .ok_or_else(|| Error::Keyring {
            message: format!(
                "the password of destination {name:?} is not in the secret store; remove \
                 the destination and add it again"
            ),
        })?
        .current;
    let client = WordPress::new(&destination.url, &destination.user, &password)?;
    Ok((destination, client))
}

/// Logs in: who the password belongs to, and whether they may publish.
pub async fn test(store: &Mutex<Store>, secrets: &SecretStore, name: &str) -> Result<Account> {
    let (_, wp) = client(&lock(store), secrets, name)?;
    wp.account().await
}

/// Publishes the draft of `slug` to `name`: created the first time, then updated in
/// place. A post edited in the CMS since is a conflict unless `overwrite`.
pub async fn publish(
    store: &Mutex<Store>,
    secrets: &SecretStore,
    slug: &str,
    name: &str,
    overwrite: bool,
) -> Result<RemotePost> {
    let (doc, destination, wp, remote) = {
        let store = lock(store);
        let (destination, wp) = client(&store, secrets, name)?;
        let remote = store.remote_post(slug, destination.id)?;
        (store.get(slug)?, destination, wp, remote)
    };
    let content = doc.content()?;
    if content.title.trim().is_empty() {
        return Err(Error::MissingTitle {
            slug: slug.to_owned(),
        });
    }
    let html = markdown::render(&content.markdown);
    let excerpt = markdown::summary(&content.markdown);
    let post = Post {
        title: &content.title,
        slug,
        html: &html,
        excerpt: &excerpt,
        tags: &content.tags,
        draft: false,
    };
    let published = wp.publish(&post, remote.as_ref(), overwrite).await?;
    lock(store).set_remote_post(slug, destination.id, Some(&published))?;
    Ok(published)
}

/// Takes `slug` down from `name` (the post deleted there for good).
pub async fn unpublish(
    store: &Mutex<Store>,
    secrets: &SecretStore,
    slug: &str,
    name: &str,
) -> Result<()> {
    let (destination, wp, remote) = {
        let store = lock(store);
        let (destination, wp) = client(&store, secrets, name)?;
        let remote = store.remote_post(slug, destination.id)?;
        (destination, wp, remote)
    };
    // (A document in the Trash can be taken down too: its post is still there.)
    let remote = remote.ok_or_else(|| Error::NotPublished {
        slug: slug.to_owned(),
    })?;
    wp.unpublish(&remote).await?;
    lock(store).set_remote_post(slug, destination.id, None)
}
