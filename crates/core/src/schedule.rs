//! Scheduled publishing (issue #16): a document set to go out at a time. The schedule
//! is stored in the workspace (`store::schedules`) and carried out by the publisher of
//! whichever front runs — the app, or `pressroom daemon` — when it is due: the draft
//! as it is then, to the sites named (every enabled one when none is), each site's page
//! confirmed as for any publish. One missed while nothing ran (a machine asleep) runs
//! as soon as a publisher starts, and says how late it was.

use crate::error::{Error, Result};
use crate::store::{Schedule, Store};

/// How far in the past a new schedule may be (a clock read a moment ago): past it, a
/// time is refused as a mistake rather than published at once.
const PAST_SLACK: std::time::Duration = std::time::Duration::from_secs(60);

/// Sets `slug` to be published at `when` — RFC 3339 with an offset
/// (`2026-12-24T08:00:00+01:00`, `…Z`), or a date and time on this machine's clock
/// (`2026-12-24T08:00`, `2026-12-24 08:00`) — to `sites` (every enabled one when
/// empty). A pending schedule of `slug` is moved.
pub fn set(store: &mut Store, slug: &str, when: &str, sites: &[String]) -> Result<Schedule> {
    let due = parse_time(when)?;
    if due < jiff::Timestamp::now() - PAST_SLACK {
        return Err(Error::InvalidSchedule {
            reason: format!("{when} is in the past; choose a time to come"),
        });
    }
    store.get(slug)?;
    for name in sites {
        store.site(name)?;
    }
    store.set_schedule(slug, &timestamp(due), sites)
}

/// Cancels `slug`'s pending schedule.
pub fn cancel(store: &mut Store, slug: &str) -> Result<Schedule> {
    store.cancel_schedule(slug)
}

/// How soon a schedule may fall due and still be handed to a CMS as its own scheduled
/// post: WordPress publishes at once a post dated less than a minute ahead (Pressroom
/// does it at the time anyway).
const STAGE_AHEAD: std::time::Duration = std::time::Duration::from_secs(90);

/// A time as WordPress takes it (`date_gmt`): UTC, to the second, no zone.
pub fn cms_date(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S").to_string()
}

/// Hands `slug`'s pending schedule to each destination of its sites that keeps
/// scheduled posts itself (WordPress: the post written now with the `future` status
/// and the due time), so that the CMS shows it as scheduled and publishes it at that
/// time even should no Pressroom run then; Pressroom still publishes it at the due
/// time (the draft as it is then), tells the sites and confirms. A post already live
/// there is left as it is until then (a `future` status would take it down). Answers
/// a sentence per destination for the editor; one that cannot be reached is said, and
/// the schedule stands.
pub async fn stage(
    store: &std::sync::Mutex<Store>,
    secrets: &crate::secrets::SecretStore,
    slug: &str,
) -> Vec<String> {
    stage_in_cms(store, secrets, slug)
        .await
        .unwrap_or_else(|e| {
            vec![format!(
                "not handed to the CMSs ({e}); Pressroom publishes it at the time"
            )]
        })
}

async fn stage_in_cms(
    store: &std::sync::Mutex<Store>,
    secrets: &crate::secrets::SecretStore,
    slug: &str,
) -> Result<Vec<String>> {
    use crate::store::lock;
    let (schedule, doc) = {
        let store = lock(store);
        let schedule = store
            .pending_schedule(slug)?
            .ok_or_else(|| Error::ScheduleNotFound {
                slug: slug.to_owned(),
            })?;
        (schedule, store.get(slug)?)
    };
    let due = parse_time(&schedule.due_at)?;
    let targets = crate::publish::Targets::resolve(&lock(store), secrets, &schedule.sites)?;
    let native: Vec<_> = targets
        .destinations
        .iter()
        .filter(|(_, cms)| cms.schedules_natively())
        .collect();
    // Held for sites the schedule no longer goes to: removed there.
    let (mut staged, dropped): (Vec<i64>, Vec<i64>) = schedule
        .staged
        .iter()
        .partition(|id| native.iter().any(|(d, _)| d.id == **id));
    let mut notes = remove_held(store, secrets, slug, &dropped).await?;
    if native.is_empty() {
        lock(store).set_schedule_staged(schedule.id, &staged)?;
        return Ok(notes);
    }
    let content = doc.content()?;
    let mut prepared = crate::cms::Prepared::new(content);
    prepared.publish_at = Some(cms_date(due));
    if prepared.outgoing().draft {
        // `draft: true` or a status of its own (private, pending): written so at the
        // time, not held as scheduled now.
        lock(store).set_schedule_staged(schedule.id, &staged)?;
        return Ok(notes);
    }
    let soon = due < jiff::Timestamp::now() + STAGE_AHEAD;
    for (destination, cms) in native {
        let name = &destination.name;
        let remote = lock(store).remote_post(slug, destination.id)?;
        let ours = staged.contains(&destination.id);
        if remote.is_some() && !ours {
            notes.push(format!(
                "{name}: the post is live there; it is updated at the scheduled time"
            ));
            continue;
        }
        if soon {
            // Held there for a later time already: that post goes out at this one
            // (dated so) when Pressroom publishes it; nothing to change there now.
            continue;
        }
        let written = async {
            let id = cms
                .existing(slug, remote.as_ref())
                .await?
                .target(slug, ours)?;
            crate::cms::write_with_images(
                store,
                cms.as_ref(),
                destination,
                &prepared,
                id.as_deref(),
                None,
            )
            .await
        }
        .await;
        match written {
            Ok(post) => {
                lock(store).set_remote_post(
                    slug,
                    destination.id,
                    Some((&post, &prepared.revision)),
                )?;
                if !ours {
                    staged.push(destination.id);
                }
                notes.push(format!(
                    "{name}: scheduled there too, for {}",
                    local(&schedule.due_at)
                ));
            }
            Err(e) => notes.push(format!(
                "{name}: could not be scheduled there ({e}); Pressroom publishes it at the time"
            )),
        }
    }
    lock(store).set_schedule_staged(schedule.id, &staged)?;
    Ok(notes)
}

/// Before `slug` goes to the Trash: its pending schedule is cancelled, and a post a
/// CMS holds for it as scheduled is removed there (WordPress would otherwise publish
/// it by itself at the time). Answers a sentence per destination.
pub async fn withdraw(
    store: &std::sync::Mutex<Store>,
    secrets: &crate::secrets::SecretStore,
    slug: &str,
) -> Result<Vec<String>> {
    let pending = crate::store::lock(store).pending_schedule(slug)?;
    match pending {
        Some(p) if !p.staged.is_empty() => {
            let cancelled = crate::store::lock(store).cancel_schedule(slug)?;
            Ok(unstage(store, secrets, &cancelled).await)
        }
        _ => Ok(Vec::new()),
    }
}

/// Removes the posts that `cancelled` had handed to CMSs as their own scheduled posts
/// (`stage`) while they are still scheduled there; one published there meanwhile (by
/// the CMS itself at the time) or edited there is left as it is, and said so.
/// Answers a sentence per destination.
pub async fn unstage(
    store: &std::sync::Mutex<Store>,
    secrets: &crate::secrets::SecretStore,
    cancelled: &Schedule,
) -> Vec<String> {
    remove_held(store, secrets, &cancelled.slug, &cancelled.staged)
        .await
        .unwrap_or_else(|e| {
            vec![format!(
                "the CMSs it was handed to could not be told ({e}); unschedule it there"
            )]
        })
}

/// Removes `slug`'s posts held as scheduled in the destinations `ids` (see `unstage`).
async fn remove_held(
    store: &std::sync::Mutex<Store>,
    secrets: &crate::secrets::SecretStore,
    slug: &str,
    ids: &[i64],
) -> Result<Vec<String>> {
    use crate::store::lock;
    let mut notes = Vec::new();
    for id in ids {
        let Some(destination) = lock(store)
            .destinations()?
            .into_iter()
            .find(|d| d.id == *id)
        else {
            continue;
        };
        let name = destination.name.clone();
        let Some(remote) = lock(store).remote_post(slug, destination.id)? else {
            continue;
        };
        let removed = async {
            let cms = crate::destinations::open(secrets, &destination)?;
            if !cms.is_scheduled(&remote.id).await? {
                return Ok(false);
            }
            crate::cms::delete_checked(cms.as_ref(), slug, &remote, false).await?;
            Ok::<_, Error>(true)
        }
        .await;
        match removed {
            Ok(true) => {
                lock(store).set_remote_post(slug, destination.id, None)?;
                notes.push(format!("{name}: its scheduled post is removed there"));
            }
            Ok(false) => notes.push(format!(
                "{name}: the post is published there already; it is left as it is"
            )),
            Err(e) => notes.push(format!(
                "{name}: its scheduled post stays there ({e}); unschedule it in {name} itself"
            )),
        }
    }
    Ok(notes)
}

/// A time as people write it (see `set`), as an instant.
pub fn parse_time(when: &str) -> Result<jiff::Timestamp> {
    let when = when.trim();
    let invalid = || Error::InvalidSchedule {
        reason: format!(
            "{when:?} is not a time: write 2026-12-24T08:00 (this machine's clock) or \
             2026-12-24T08:00:00+01:00"
        ),
    };
    if let Ok(at) = when.parse::<jiff::Timestamp>() {
        return Ok(at);
    }
    let civil: jiff::civil::DateTime = when.replacen(' ', "T", 1).parse().map_err(|_| invalid())?;
    civil
        .to_zoned(jiff::tz::TimeZone::system())
        .map(|z| z.timestamp())
        .map_err(|_| invalid())
}

/// An instant as the store keeps times (`2026-12-24T07:00:00.000Z`).
fn timestamp(at: jiff::Timestamp) -> String {
    at.strftime("%Y-%m-%dT%H:%M:%S.%3fZ").to_string()
}

/// A stored time on this machine's clock, for people: `Thu 24 Dec 2026, 08:00`.
pub fn local(stored: &str) -> String {
    stored
        .parse::<jiff::Timestamp>()
        .map(|t| {
            t.to_zoned(jiff::tz::TimeZone::system())
                .strftime("%a %-d %b %Y, %H:%M")
                .to_string()
        })
        .unwrap_or_else(|_| stored.to_owned())
}

/// How late a schedule ran, for people; `None` when on time (within 2 s).
pub fn lateness(schedule: &Schedule) -> Option<String> {
    let late = schedule.late_ms.filter(|ms| *ms > 2000)?;
    let secs = late / 1000;
    Some(match secs {
        0..=119 => format!("{secs} s late"),
        120..=7199 => format!("{} min late", secs / 60),
        _ => format!("{} h late", secs / 3600),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_as_written() {
        let z = parse_time("2026-12-24T08:00:00Z").unwrap();
        assert_eq!(timestamp(z), "2026-12-24T08:00:00.000Z");
        let offset = parse_time("2026-12-24T08:00:00+01:00").unwrap();
        assert_eq!(timestamp(offset), "2026-12-24T07:00:00.000Z");
        let local = parse_time("2026-12-24 08:00").unwrap();
        assert_eq!(local, parse_time("2026-12-24T08:00").unwrap());
        for bad in ["tomorrow", "2026-13-01T08:00", "", "24/12/2026 08:00"] {
            assert!(
                matches!(parse_time(bad), Err(Error::InvalidSchedule { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn one_pending_schedule_per_document_moved_and_cancelled() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("w.db")).unwrap();
        store
            .create("post", "---\ntitle: Post\n---\nText.\n")
            .unwrap();
        let past = set(&mut store, "post", "2020-01-01T00:00:00Z", &[]).unwrap_err();
        assert!(past.to_string().contains("in the past"), "{past}");
        let first = set(&mut store, "post", "2099-01-01T08:00:00Z", &[]).unwrap();
        let moved = set(&mut store, "post", "2099-01-02T08:00:00Z", &[]).unwrap();
        assert_eq!(moved.id, first.id, "moved, not doubled");
        assert_eq!(moved.due_at, "2099-01-02T08:00:00.000Z");
        assert!(matches!(
            set(
                &mut store,
                "post",
                "2099-01-02T08:00:00Z",
                &["nowhere".into()]
            ),
            Err(Error::SiteNotFound { .. })
        ));
        assert!(matches!(
            set(&mut store, "missing", "2099-01-02T08:00:00Z", &[]),
            Err(Error::DocumentNotFound { .. })
        ));
        let cancelled = cancel(&mut store, "post").unwrap();
        assert_eq!(cancelled.state, "cancelled");
        assert!(matches!(
            cancel(&mut store, "post"),
            Err(Error::ScheduleNotFound { .. })
        ));
        assert_eq!(store.schedules(10).unwrap().len(), 1);
        assert_eq!(store.next_schedule_at().unwrap(), None);
        // Moved to the Trash: not published later either.
        set(&mut store, "post", "2099-01-03T08:00:00Z", &[]).unwrap();
        store.delete("post").unwrap();
        assert_eq!(store.next_schedule_at().unwrap(), None);
    }

    #[test]
    fn a_due_schedule_is_claimed_once_and_says_how_late_it_ran() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = Store::open(dir.path().join("w.db")).unwrap();
        store
            .create("post", "---\ntitle: Post\n---\nText.\n")
            .unwrap();
        // Due a minute ago, as if the machine slept through it.
        let due = timestamp(jiff::Timestamp::now() - std::time::Duration::from_secs(59));
        store.set_schedule("post", &due, &[]).unwrap();
        let lease = std::time::Duration::from_secs(60);
        let claimed = store.claim_due_schedules("a", lease).unwrap();
        assert_eq!(claimed.len(), 1);
        assert!(
            store.claim_due_schedules("b", lease).unwrap().is_empty(),
            "leased"
        );
        let late = claimed[0].late_ms.unwrap();
        assert!((59_000..70_000).contains(&late), "{late}");
        assert_eq!(lateness(&claimed[0]).as_deref(), Some("59 s late"));
        assert!(matches!(
            cancel(&mut store, "post"),
            Err(Error::ScheduleRunning { .. })
        ));
        assert!(
            matches!(
                set(&mut store, "post", "2099-01-01T08:00:00Z", &[]),
                Err(Error::ScheduleRunning { .. })
            ),
            "not moved while it runs"
        );
        assert!(store
            .renew_schedule_lease(claimed[0].id, "a", lease)
            .unwrap());
        assert!(!store
            .renew_schedule_lease(claimed[0].id, "b", lease)
            .unwrap());
        assert!(
            !store.finish_schedule(claimed[0].id, "b", Ok(1)).unwrap(),
            "not b's"
        );
        assert!(store
            .finish_schedule(claimed[0].id, "a", Err("the API is down"))
            .unwrap());
        let failed = store.schedule(claimed[0].id).unwrap();
        assert_eq!(
            (failed.state.as_str(), failed.error.as_deref()),
            ("failed", Some("the API is down"))
        );
    }
}
