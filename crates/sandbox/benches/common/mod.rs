//! Shared by the sandbox benchmarks: the sandbox with a running publisher, a publish of
//! "welcome" that notes when the publisher said Live, and the medians printed.

#![allow(dead_code)] // each benchmark uses its own subset

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use pressroom_core::publish::{LiveWait, PublishReport};
use pressroom_core::publisher::{Event, Publisher};
use pressroom_core::secrets::SecretStore;
use pressroom_core::stage::Stage;
use pressroom_core::store::lock;
use pressroom_core::{publish, Store};
use pressroom_sandbox::{Mode, Sandbox, SandboxOptions};

pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// Prints the median and p95 of `ms` under `name`; the median.
pub fn report(name: &str, mut ms: Vec<f64>) -> f64 {
    ms.sort_by(|a, b| a.total_cmp(b));
    let median = percentile(&ms, 0.5);
    println!(
        "{name:<58} median {median:>7.2} ms   p95 {:>7.2} ms   (n = {})",
        percentile(&ms, 0.95),
        ms.len()
    );
    median
}

/// The sandbox (content API, demo site, workspace) and a publisher on its workspace.
pub struct Bench {
    _dir: tempfile::TempDir,
    pub sandbox: Sandbox,
    pub store: Arc<Mutex<Store>>,
    pub secrets: SecretStore,
    pub publisher: Publisher,
    pub targets: publish::Targets,
}

impl Bench {
    pub async fn start(mode: Mode) -> Bench {
        let dir = tempfile::tempdir().unwrap();
        let sandbox = Sandbox::start(
            dir.path(),
            SandboxOptions {
                mode,
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let store = Store::open(sandbox.workspace_db()).unwrap();
        let secrets = SecretStore::for_workspace(&store);
        let targets = publish::Targets::resolve(&store, &secrets, &[]).unwrap();
        let store = Arc::new(Mutex::new(store));
        let publisher = Publisher::new(store.clone(), secrets.clone());
        Bench {
            _dir: dir,
            sandbox,
            store,
            secrets,
            publisher,
            targets,
        }
    }

    /// Changes "welcome" and publishes it: the report, and when the publisher said Live.
    pub async fn publish(
        &self,
        round: usize,
        live: LiveWait,
    ) -> (PublishReport, Option<SystemTime>) {
        {
            let mut store = lock(&self.store);
            let source = store.get("welcome").unwrap().source;
            store
                .save(
                    "welcome",
                    &format!("{source}\nRound {round} of the benchmark.\n"),
                )
                .unwrap();
        }
        let mut live_at = None;
        let report = self
            .publisher
            .publish_and_follow(
                &self.targets,
                "welcome",
                live,
                Duration::from_secs(10),
                |e| {
                    if let Event::Changed {
                        stage: Stage::Live { .. },
                        ..
                    } = e
                    {
                        live_at = Some(SystemTime::now());
                    }
                },
            )
            .await
            .unwrap();
        (report.publish, live_at)
    }
}
