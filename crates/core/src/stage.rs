//! Where one site stands in one publish: the single state machine of a (publish, site),
//! persisted in the outbox's delivery row (`deliveries.stage`), so a restarted app —
//! or another process on the same workspace — shows the same thing.
//!
//! ```text
//! queued ─> sending(attempt) ─┬─> accepted ─> confirming(polls) ─┬─> live(method)
//!    ^                        │     (webhook only: rests here)    ├─> stale(seen)
//!    └── retry_at(at) <───────┤                                   └─> failed(reason)
//!                             └─> failed(reason)
//! ```
//!
//! Only a fetched page that showed the published revision is ever `live`; a webhook
//! that was accepted is `accepted`, never more.

use serde::{Deserialize, Serialize};

use crate::store::Method;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum Stage {
    /// Recorded with the publish; no attempt yet.
    Queued,
    /// A worker holds it and is sending attempt number `attempt` (1 for the first).
    Sending { attempt: u32 },
    /// Attempt `attempt` failed; the next is due at `at` (RFC 3339, UTC).
    RetryAt {
        attempt: u32,
        at: String,
        error: String,
    },
    /// The site accepted the webhook (2xx). Without a confirmation asked for, this is
    /// where it rests.
    Accepted,
    /// Its page is being fetched until it shows the revision; `polls` so far.
    Confirming { polls: u32 },
    /// A fetch of the page showed the published revision.
    Live { method: Method },
    /// The webhook was accepted, but the page still served an older version at the
    /// confirmation's timeout; `seen` is the revision it showed, if it has a marker.
    /// `partly`: some of the places that must show it (pages, instances) did.
    Stale {
        seen: Option<String>,
        #[serde(default)]
        partly: Option<Partly>,
    },
    /// Given up: the webhook was refused or never got through, the site was removed or
    /// disabled, or its page answered with an error until the timeout.
    Failed { reason: String },
}

/// How much of a site serves the new revision when not all of it does: `fresh` of
/// `of` places (a URL on one instance), or one URL answered both ways (`of` 0: the
/// instances behind it are not told apart).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
pub struct Partly {
    pub fresh: u32,
    pub of: u32,
}

/// A site's stage in one word, ordered from best to worst: a document list shows the
/// worst of its sites, so one failed site is never hidden behind "published".
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// Its page serves the revision.
    Live,
    /// The webhook was accepted; nobody asked to confirm.
    Sent,
    /// On its way: queued, sending, or being confirmed.
    Pending,
    /// A retry is due later.
    Scheduled,
    /// Some of its pages or instances serve the revision, not all.
    Partly,
    /// Its page still serves an older version.
    Stale,
    /// Given up.
    Failed,
}

impl Stage {
    pub fn health(&self) -> Health {
        match self {
            Stage::Live { .. } => Health::Live,
            Stage::Accepted => Health::Sent,
            Stage::Queued | Stage::Sending { .. } | Stage::Confirming { .. } => Health::Pending,
            Stage::RetryAt { .. } => Health::Scheduled,
            Stage::Stale {
                partly: Some(_), ..
            } => Health::Partly,
            Stage::Stale { .. } => Health::Stale,
            Stage::Failed { .. } => Health::Failed,
        }
    }

    /// Nothing more will happen to it without a user's action (a re-send).
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Stage::Live { .. } | Stage::Stale { .. } | Stage::Failed { .. }
        )
    }

    /// It will not move on by itself soon: terminal, or accepted with no confirmation
    /// owed (`confirming` tells whether one is).
    pub fn is_settled(&self, confirming: bool) -> bool {
        self.is_terminal() || (*self == Stage::Accepted && !confirming)
    }

    /// One sentence for the user: what happened to `site`, and what happens next.
    pub fn sentence(&self, site: &str) -> String {
        match self {
            Stage::Queued => format!("Sending {site} the webhook…"),
            Stage::Sending { attempt: 1 } => format!("Sending {site} the webhook…"),
            Stage::Sending { attempt } => {
                format!("Sending {site} the webhook again (attempt {attempt})…")
            }
            Stage::RetryAt { error, .. } => format!(
                "{site} did not take the webhook ({}); Pressroom sends it again by itself.",
                if error.is_empty() { "no answer" } else { error }
            ),
            Stage::Accepted => format!("{site} accepted the webhook."),
            Stage::Confirming { .. } => {
                format!(
                    "{site} accepted the webhook; waiting for its page to show the new revision…"
                )
            }
            Stage::Live {
                method: Method::Exact,
            } => format!("{site} serves the new revision."),
            Stage::Live {
                method: Method::Heuristic,
            } => format!(
                "{site} shows the new title and text (its page has no revision marker, so this \
                 is a close match, not proof)."
            ),
            Stage::Stale {
                partly: Some(Partly { fresh, of }),
                ..
            } if *of > 0 => format!(
                "{site} is partly live: {fresh} of {of} places serve the new revision, the \
                 rest still an older one. No visitor can be sure to get it: send the webhook \
                 to every instance, or purge the cache in front."
            ),
            Stage::Stale {
                partly: Some(_), ..
            } => format!(
                "{site} is partly live: its page served the new revision and then the old one \
                 again (several instances or caches answer for it). Send the webhook to every \
                 instance, or purge the cache in front."
            ),
            Stage::Stale { seen, .. } => format!(
                "{site} accepted the webhook, but its page still showed {} when the time was up: \
                 check the site's cache, or send the webhook again.",
                seen.as_deref().unwrap_or("the old version")
            ),
            Stage::Failed { reason } => format!("{site}: {reason}"),
        }
    }

    /// The stored JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("stages serialize")
    }

    /// From the stored JSON; a row written by a newer Pressroom that this one cannot
    /// read shows as failed with the reason, never as something better.
    pub fn from_json(text: &str) -> Stage {
        // The stages a fan-out reads back by the thousand, as `to_json` writes them
        // (and the outbox's statements spell them), without the general parser.
        match text {
            r#"{"stage":"queued"}"# => return Stage::Queued,
            r#"{"stage":"accepted"}"# => return Stage::Accepted,
            _ => {}
        }
        serde_json::from_str(text).unwrap_or_else(|_| Stage::Failed {
            reason: format!("unknown state {text} (written by a newer Pressroom?)"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_round_trip_through_their_stored_json() {
        let all = [
            Stage::Queued,
            Stage::Sending { attempt: 2 },
            Stage::RetryAt {
                attempt: 1,
                at: "2026-12-02T08:00:00.000Z".into(),
                error: "503".into(),
            },
            Stage::Accepted,
            Stage::Confirming { polls: 3 },
            Stage::Live {
                method: Method::Exact,
            },
            Stage::Stale {
                seen: Some("r_1".into()),
                partly: None,
            },
            Stage::Stale {
                seen: None,
                partly: Some(Partly { fresh: 2, of: 3 }),
            },
            Stage::Failed {
                reason: "gone".into(),
            },
        ];
        for stage in all {
            assert_eq!(Stage::from_json(&stage.to_json()), stage);
        }
        // The texts `from_json` recognises without parsing are what `to_json` writes.
        assert_eq!(Stage::Queued.to_json(), r#"{"stage":"queued"}"#);
        assert_eq!(Stage::Accepted.to_json(), r#"{"stage":"accepted"}"#);
        assert!(matches!(
            Stage::from_json(r#"{"stage":"teleported"}"#),
            Stage::Failed { .. }
        ));
    }

    #[test]
    fn only_a_page_that_showed_the_revision_is_live_and_accepted_settles_only_without_confirmation()
    {
        assert!(!Stage::Accepted.is_terminal());
        assert!(Stage::Accepted.is_settled(false));
        assert!(!Stage::Accepted.is_settled(true));
        assert!(!Stage::Confirming { polls: 9 }.is_settled(false));
        assert!(Stage::Stale {
            seen: None,
            partly: None
        }
        .is_terminal());
    }
}
