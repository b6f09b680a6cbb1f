//! What is worth a desktop notification among the publisher's events (issue #16): a
//! scheduled post that went live (on every site, or on some) or could not go out, and
//! — for a window not looked at — each site of any publish that settled. The front
//! shows them; deciding what to say is here, where it can be tested.

use std::collections::HashMap;

use crate::publisher::{Event, ScheduleOutcome};
use crate::stage::Stage;

/// One notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub title: String,
    pub body: String,
    /// About a scheduled publish: shown even while the window has the focus (the
    /// editor may be busy with another document).
    pub scheduled: bool,
}

/// A publish being followed to its end: its document and sites.
#[derive(Debug, Default)]
struct Run {
    slug: String,
    /// How many sites it went to, once its `Published` event was seen.
    sites: Option<usize>,
    live: Vec<String>,
    not_live: Vec<String>,
    /// The schedule it carries out (`Some(late)`), once that is known.
    scheduled: Option<Option<String>>,
}

/// Follows the events of one publisher; `observe` answers what to notify.
#[derive(Debug, Default)]
pub struct Notices {
    runs: HashMap<i64, Run>,
}

/// Runs followed at most (an old one whose events were lost is dropped first).
const MAX_RUNS: usize = 256;

impl Notices {
    pub fn new() -> Notices {
        Notices::default()
    }

    pub fn observe(&mut self, event: &Event) -> Vec<Notice> {
        match event {
            Event::Published {
                publish_id,
                slug,
                sites,
                ..
            } => {
                if self.runs.len() >= MAX_RUNS {
                    if let Some(oldest) = self.runs.keys().min().copied() {
                        self.runs.remove(&oldest);
                    }
                }
                let run = self.runs.entry(*publish_id).or_default();
                run.slug = slug.clone();
                run.sites = Some(sites.len());
                self.settled(*publish_id)
            }
            Event::Changed {
                publish_id,
                site,
                stage,
                message,
                ..
            } if stage.is_terminal() => {
                let mut out = Vec::new();
                let run = self.runs.entry(*publish_id).or_default();
                if matches!(stage, Stage::Live { .. }) {
                    run.live.push(site.clone());
                } else {
                    run.not_live.push(site.clone());
                }
                if run.scheduled.is_none() {
                    out.push(Notice {
                        title: match stage {
                            Stage::Live { .. } => format!("{site} is live"),
                            _ => format!("{site}: not live"),
                        },
                        body: message.clone(),
                        scheduled: false,
                    });
                }
                out.extend(self.settled(*publish_id));
                out
            }
            Event::Scheduled { slug, outcome } => match outcome {
                ScheduleOutcome::Published { publish_id, late } => {
                    let run = self.runs.entry(*publish_id).or_default();
                    run.slug = slug.clone();
                    run.scheduled = Some(late.clone());
                    self.settled(*publish_id)
                }
                // Said once; the toolbar and `schedule list` keep saying it.
                ScheduleOutcome::Retrying { attempt, .. } if *attempt > 1 => Vec::new(),
                ScheduleOutcome::Retrying { error, at, .. } => vec![Notice {
                    title: format!("{slug} was not published at its time"),
                    body: format!(
                        "{error}. Pressroom tries again at {}.",
                        crate::schedule::local(at)
                    ),
                    scheduled: true,
                }],
                ScheduleOutcome::Failed { error } => vec![Notice {
                    title: format!("The scheduled publish of {slug} failed"),
                    body: error.clone(),
                    scheduled: true,
                }],
            },
            _ => Vec::new(),
        }
    }

    /// The notice for a scheduled run whose every site has settled (and forgets it).
    fn settled(&mut self, publish_id: i64) -> Vec<Notice> {
        let Some(run) = self.runs.get(&publish_id) else {
            return Vec::new();
        };
        // Kept until its schedule is known (or it is the oldest of too many): the
        // sites of a publish without confirmations settle before that.
        let (Some(late), Some(sites)) = (&run.scheduled, run.sites) else {
            return Vec::new();
        };
        if run.live.len() + run.not_live.len() < sites {
            return Vec::new();
        }
        let late = late.as_ref().map(|l| format!(" ({l})")).unwrap_or_default();
        let notice = if run.not_live.is_empty() {
            Notice {
                title: format!("{} is live as scheduled{late}", run.slug),
                body: match sites {
                    0 => "Published; no site to confirm.".to_owned(),
                    1 => format!("Confirmed on {}.", run.live[0]),
                    n => format!("Confirmed on all {n} sites."),
                },
                scheduled: true,
            }
        } else {
            Notice {
                title: format!(
                    "{} was published as scheduled{late}, but not everywhere",
                    run.slug
                ),
                body: format!(
                    "Not live on {}; live on {}.",
                    run.not_live.join(", "),
                    if run.live.is_empty() {
                        "none".to_owned()
                    } else {
                        run.live.join(", ")
                    }
                ),
                scheduled: true,
            }
        };
        self.runs.remove(&publish_id);
        vec![notice]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Method, Standing};

    fn standing(site: &str) -> Standing {
        Standing {
            delivery_id: 1,
            publish_id: 7,
            site: site.into(),
            stage: Stage::Queued,
            confirming: true,
            message: String::new(),
            attempts: 0,
            updated_at: String::new(),
        }
    }

    fn published(sites: &[&str]) -> Event {
        Event::Published {
            publish_id: 7,
            slug: "post".into(),
            revision: "r".into(),
            created: true,
            already_live: false,
            unpublish: false,
            sites: sites.iter().map(|s| standing(s)).collect(),
        }
    }

    fn changed(site: &str, stage: Stage) -> Event {
        Event::Changed {
            publish_id: 7,
            delivery_id: 1,
            site: site.into(),
            stage,
            confirming: false,
            message: format!("{site} said so"),
        }
    }

    fn scheduled(late: Option<&str>) -> Event {
        Event::Scheduled {
            slug: "post".into(),
            outcome: ScheduleOutcome::Published {
                publish_id: 7,
                late: late.map(Into::into),
            },
        }
    }

    const LIVE: Stage = Stage::Live {
        method: Method::Exact,
    };

    #[test]
    fn a_scheduled_post_is_one_notice_once_every_site_settled() {
        let mut n = Notices::new();
        assert!(n.observe(&published(&["a", "b"])).is_empty());
        assert!(n.observe(&scheduled(Some("3 min late"))).is_empty());
        assert!(n.observe(&changed("a", LIVE)).is_empty());
        let done = n.observe(&changed("b", LIVE));
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].title, "post is live as scheduled (3 min late)");
        assert_eq!(done[0].body, "Confirmed on all 2 sites.");
        assert!(n.runs.is_empty());
    }

    #[test]
    fn sites_that_settle_before_the_schedule_is_known_still_count() {
        let mut n = Notices::new();
        n.observe(&published(&["a", "b"]));
        // Not known as scheduled yet: each site is its own (unfocused-window) notice.
        assert_eq!(n.observe(&changed("a", LIVE))[0].title, "a is live");
        let failed = Stage::Failed {
            reason: "410".into(),
        };
        assert_eq!(n.observe(&changed("b", failed))[0].title, "b: not live");
        let done = n.observe(&scheduled(None));
        assert_eq!(done.len(), 1);
        assert_eq!(
            done[0].title,
            "post was published as scheduled, but not everywhere"
        );
        assert_eq!(done[0].body, "Not live on b; live on a.");
        assert!(done[0].scheduled);
    }

    #[test]
    fn a_schedule_that_could_not_go_out_says_so() {
        let mut n = Notices::new();
        let retry = n.observe(&Event::Scheduled {
            slug: "post".into(),
            outcome: ScheduleOutcome::Retrying {
                error: "the content API cannot be reached".into(),
                at: "2099-01-01T08:00:00.000Z".into(),
                attempt: 1,
            },
        });
        let again = n.observe(&Event::Scheduled {
            slug: "post".into(),
            outcome: ScheduleOutcome::Retrying {
                error: "the content API cannot be reached".into(),
                at: "2099-01-01T08:01:00.000Z".into(),
                attempt: 2,
            },
        });
        assert!(again.is_empty(), "said once");
        assert_eq!(retry[0].title, "post was not published at its time");
        assert!(retry[0]
            .body
            .starts_with("the content API cannot be reached. Pressroom tries again at "));
        let failed = n.observe(&Event::Scheduled {
            slug: "post".into(),
            outcome: ScheduleOutcome::Failed {
                error: "no title".into(),
            },
        });
        assert_eq!(failed[0].title, "The scheduled publish of post failed");
    }

    #[test]
    fn runs_followed_are_bounded() {
        let mut n = Notices::new();
        for id in 0..1000 {
            n.observe(&Event::Published {
                publish_id: id,
                slug: "p".into(),
                revision: "r".into(),
                created: false,
                already_live: false,
                unpublish: false,
                sites: vec![standing("a")],
            });
        }
        assert!(n.runs.len() <= MAX_RUNS);
    }
}
