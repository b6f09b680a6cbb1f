//! Destinations together with their secrets (issue #13): the CMSs a workspace
//! publishes to besides its content API — WordPress (an Application Password) and
//! Directus (a static token). A document published to one is written in place over
//! the post it became the first time (`remote_posts`), and a post edited there
//! meanwhile is never overwritten unasked. Sites name the destination they read from;
//! `publish::publish` writes to each destination its target sites read from.

use std::sync::Mutex;

use crate::cms::{Account, Cms, Prepared, RemotePost};
use crate::directus::{Directus, FieldMapping};
use crate::error::{Error, Result};
use crate::secrets::{SecretStore, SiteSecrets};
use crate::store::{lock, Destination, Store};
use crate::wordpress::WordPress;

/// The kinds of destination there are.
pub const KINDS: [&str; 2] = ["wordpress", "directus"];

/// What names the content API where a destination's name is asked for.
pub const CONTENT_API: &str = "api";

/// A keyring entry of its own: entries share one service name across workspaces, so
/// the destination's name alone would collide.
fn new_secret_ref() -> String {
    format!("destination-{}", crate::random_hex(8))
}

/// A destination to add. `secret` is WordPress's Application Password or Directus's
/// static token; `mapping` is Directus's field mapping (its default when `None`).
#[derive(Clone)]
pub struct NewDestination {
    pub name: String,
    pub kind: String,
    pub url: String,
    pub user: String,
    pub secret: String,
    pub mapping: Option<FieldMapping>,
}

impl std::fmt::Debug for NewDestination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the secret.
        f.debug_struct("NewDestination")
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("url", &self.url)
            .field("user", &self.user)
            .field("mapping", &self.mapping)
            .finish_non_exhaustive()
    }
}

impl NewDestination {
    /// Everything checked that can be without the network; the client it makes.
    fn check(&self) -> Result<Box<dyn Cms>> {
        if !crate::slug::is_valid(&self.name) || self.name == CONTENT_API {
            return Err(Error::InvalidDestination {
                reason: format!(
                    "{:?} is not a usable name: lowercase letters, digits and dashes (and not \
                     \"{CONTENT_API}\", which means the content API)",
                    self.name
                ),
            });
        }
        connect(
            &self.kind,
            &self.url,
            &self.user,
            &self.secret,
            self.mapping(),
        )
    }

    fn mapping(&self) -> Option<FieldMapping> {
        (self.kind == "directus").then(|| self.mapping.clone().unwrap_or_default())
    }
}

/// The client of a destination of `kind`.
fn connect(
    kind: &str,
    url: &str,
    user: &str,
    secret: &str,
    mapping: Option<FieldMapping>,
) -> Result<Box<dyn Cms>> {
    if secret.trim().is_empty() {
        return Err(Error::InvalidDestination {
            reason: "a password or token is needed".into(),
        });
    }
    match kind {
        "wordpress" => {
            if user.trim().is_empty() {
                return Err(Error::InvalidDestination {
                    reason: "WordPress needs a user name with the Application Password".into(),
                });
            }
            Ok(Box::new(WordPress::new(url, user, secret)?))
        }
        "directus" => Ok(Box::new(Directus::new(
            url,
            secret,
            mapping.unwrap_or_default(),
        )?)),
        other => Err(Error::InvalidDestination {
            reason: format!("unknown kind {other:?}; one of: {}", KINDS.join(", ")),
        }),
    }
}

/// Records a destination and keeps its secret in the secret store. The name follows
/// the slug rules; the URL must parse (checked here, not by logging in: use `test`).
pub fn add(store: &mut Store, secrets: &SecretStore, new: &NewDestination) -> Result<Destination> {
    new.check()?;
    // Refused before the secret is kept anywhere.
    if store.destination(&new.name).is_ok() {
        return Err(Error::InvalidDestination {
            reason: format!("a destination named {:?} exists already", new.name),
        });
    }
    let reference = new_secret_ref();
    keep_secret(secrets, &reference, &new.secret)?;
    let user = if new.kind == "wordpress" {
        new.user.trim()
    } else {
        ""
    };
    let mapping = new.mapping();
    match store.add_destination(
        &new.name,
        &new.kind,
        new.url.trim(),
        user,
        &reference,
        mapping.as_ref(),
    ) {
        Ok(d) => Ok(d),
        Err(e) => {
            // Nothing half-added: the secret goes again.
            let _ = secrets.delete(&reference);
            Err(e)
        }
    }
}

/// Sets the widest image destination `name` takes (0: as they are).
pub fn set_image_max_width(store: &mut Store, name: &str, width: u32) -> Result<Destination> {
    check_image_max_width(width)?;
    store.set_destination_image_max_width(name, width)
}

/// Refuses a widest image past any Pressroom takes (checked before a destination is
/// added with it, so nothing is half added).
pub fn check_image_max_width(width: u32) -> Result<()> {
    crate::assets::check_max_width(width).map_err(|reason| Error::InvalidDestination { reason })
}

fn keep_secret(secrets: &SecretStore, reference: &str, secret: &str) -> Result<()> {
    secrets.set(
        reference,
        &SiteSecrets {
            current: secret.trim().to_owned(),
            previous: None,
        },
    )
}

/// Changes a destination's address, user, mapping and (given) secret; its name and
/// kind stay. Checked as a new one is before anything is written.
pub fn update(
    store: &mut Store,
    secrets: &SecretStore,
    name: &str,
    url: &str,
    user: &str,
    secret: Option<&str>,
    mapping: Option<FieldMapping>,
) -> Result<Destination> {
    let existing = store.destination(name)?;
    let kept;
    let secret = match secret.filter(|s| !s.trim().is_empty()) {
        Some(s) => s,
        None => {
            kept = current_secret(secrets, &existing)?;
            kept.as_str()
        }
    };
    let new = NewDestination {
        name: existing.name.clone(),
        kind: existing.kind.clone(),
        url: url.to_owned(),
        user: user.to_owned(),
        secret: secret.to_owned(),
        mapping,
    };
    new.check()?;
    let moved = existing.mapping.as_ref().map(|m| &m.collection)
        != new.mapping().as_ref().map(|m| &m.collection);
    let posts = store.remote_post_count(existing.id)?;
    if moved && posts > 0 {
        return Err(Error::InvalidDestination {
            reason: format!(
                "{posts} document(s) have items in the collection {:?}; their ids mean nothing \
                 in another one. Add a destination for the other collection instead",
                existing.mapping.map(|m| m.collection).unwrap_or_default()
            ),
        });
    }
    keep_secret(secrets, &existing.secret_ref, secret)?;
    let user = if new.kind == "wordpress" {
        new.user.trim()
    } else {
        ""
    };
    store.update_destination(name, new.url.trim(), user, new.mapping().as_ref())
}

fn current_secret(secrets: &SecretStore, destination: &Destination) -> Result<String> {
    Ok(secrets
        .get(&destination.secret_ref)?
        .ok_or_else(|| Error::Keyring {
            message: format!(
                "the password or token of destination {:?} is not in the secret store; set \
                 it again (Settings ▸ Destinations, or remove and add the destination)",
                destination.name
            ),
        })?
        .current)
}

/// The client of a recorded destination, its secret read from the secret store.
pub fn open(secrets: &SecretStore, destination: &Destination) -> Result<Box<dyn Cms>> {
    let secret = current_secret(secrets, destination)?;
    connect(
        &destination.kind,
        &destination.url,
        &destination.user,
        &secret,
        destination.mapping.clone(),
    )
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

/// The client for `name`, its secret read from the secret store.
pub fn client(
    store: &Store,
    secrets: &SecretStore,
    name: &str,
) -> Result<(Destination, Box<dyn Cms>)> {
    let destination = store.destination(name)?;
    let client = open(secrets, &destination)?;
    Ok((destination, client))
}

/// Logs in: who the password belongs to, and whether they may publish.
pub async fn test(store: &Mutex<Store>, secrets: &SecretStore, name: &str) -> Result<Account> {
    let (_, cms) = client(&lock(store), secrets, name)?;
    cms.account().await
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
    let (doc, destination, cms, remote) = {
        let store = lock(store);
        let (destination, cms) = client(&store, secrets, name)?;
        let remote = store.remote_post(slug, destination.id)?;
        (store.get(slug)?, destination, cms, remote)
    };
    let content = doc.content()?;
    if content.title.trim().is_empty() {
        return Err(Error::MissingTitle {
            slug: slug.to_owned(),
        });
    }
    let prepared = Prepared::new(content);
    let id = cms
        .existing(slug, remote.as_ref())
        .await?
        .target(slug, overwrite)?;
    let published = crate::cms::write_with_images(
        store,
        cms.as_ref(),
        &destination,
        &prepared,
        id.as_deref(),
        None,
    )
    .await?;
    lock(store).set_remote_post(slug, destination.id, Some((&published, &prepared.revision)))?;
    Ok(published)
}

/// Takes `slug` down from `name` (the post deleted there for good); a post edited
/// there since is not deleted unless `overwrite`.
pub async fn unpublish(
    store: &Mutex<Store>,
    secrets: &SecretStore,
    slug: &str,
    name: &str,
    overwrite: bool,
) -> Result<()> {
    let (destination, cms, remote) = {
        let store = lock(store);
        let (destination, cms) = client(&store, secrets, name)?;
        let remote = store.remote_post(slug, destination.id)?;
        (destination, cms, remote)
    };
    // (A document in the Trash can be taken down too: its post is still there.)
    let remote = remote.ok_or_else(|| Error::NotPublished {
        slug: slug.to_owned(),
    })?;
    crate::cms::delete_checked(cms.as_ref(), slug, &remote, overwrite).await?;
    lock(store).set_remote_post(slug, destination.id, None)
}
