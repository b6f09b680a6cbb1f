//! `pressroom`: everything the desktop app does, headless, for terminals and CI.
//!
//! Handlers only unpack arguments, make one call into `pressroom_core`, and print the
//! result (`output`): human text by default, JSON with `--json`. Errors exit 1 with the
//! message (or `{"error":{"kind","message"}}` with `--json`); usage errors exit 2.

mod destination;
mod doc;
mod output;
mod sandbox;
mod serve;
mod site;

use pressroom_core::store::lock;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Parser, Subcommand};
use pressroom_core::outbox::{Outbox, OutboxConfig};
use pressroom_core::publish::LiveWait;
use pressroom_core::publisher::Publisher;
use pressroom_core::secrets::SecretStore;
use pressroom_core::store::DeliveryState;
use pressroom_core::{publish, workspace, Store};

use crate::output::Output;

#[derive(Parser)]
#[command(
    name = "pressroom",
    version,
    about = "Draft, publish and confirm content is live"
)]
struct Cli {
    /// Workspace directory [default: $PRESSROOM_DATA_DIR, else the platform data dir]
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,

    /// Machine-readable JSON output
    #[arg(long, global = true)]
    json: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create, import, inspect and edit drafts
    #[command(subcommand)]
    Doc(doc::DocCommand),
    /// Full-text search over titles and bodies
    Search {
        query: String,
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
    /// Run the reference content API
    Serve(serve::ServeArgs),
    /// The content API this workspace publishes to
    #[command(subcommand)]
    Api(ApiCommand),
    /// Publish a draft to the content API and tell every site to revalidate
    Publish(RunArgs),
    /// Take a published document down: delete it from the content API and tell every
    /// site (`content.unpublished`); with --wait-live, until each page answers 404/410
    Unpublish(RunArgs),
    /// Run the content API and the demo site on loopback, with a workspace set up to
    /// publish there (in DATA_DIR/sandbox): the whole loop with zero setup
    Sandbox(sandbox::SandboxArgs),
    /// Run only the demo site (a Next.js-like site with a page cache) against a content API
    DemoSite(sandbox::DemoSiteArgs),
    /// Site targets: webhook URL, page URL, secret, preset
    #[command(subcommand)]
    Site(site::SiteCommand),
    /// CMSs to publish to besides the content API (WordPress, Directus); sites read
    /// from one with `site add --destination`
    #[command(subcommand)]
    Destination(destination::DestinationCommand),
    /// Scheduled publishes: list them, or cancel one (`publish SLUG --at TIME` sets
    /// one; the app or `pressroom daemon` carries it out)
    #[command(subcommand)]
    Schedule(ScheduleCommand),
    /// Bring a destination's posts into local drafts linked to them (again: only what
    /// changed there; a draft changed here too is kept unless --replace-changed)
    Pull {
        destination: String,
        /// Replace drafts changed here with the post's newer text (their history keeps
        /// yours)
        #[arg(long)]
        replace_changed: bool,
    },
    /// The webhook delivery log, newest first
    Deliveries {
        /// Only failed deliveries and configuration errors
        #[arg(long)]
        failed: bool,
        #[arg(long, default_value_t = 50)]
        limit: usize,
        /// Show one delivery with every attempt
        #[arg(long, value_name = "ID")]
        show: Option<i64>,
    },
    /// Deliver whatever is pending in the outbox (e.g. after a crash or restart)
    Deliver {
        #[arg(long, value_name = "SECONDS", default_value_t = 30)]
        wait: u64,
    },
    /// Send a delivery again (same webhook-id), now
    Redeliver {
        id: i64,
        #[arg(long, value_name = "SECONDS", default_value_t = 30)]
        wait: u64,
    },
    /// Run the publishing service in the foreground until Ctrl+C or SIGTERM: sends
    /// every webhook as it falls due (retries, and whatever another process left),
    /// confirms accepted ones, and prints what happens (JSON lines with --json)
    Daemon {
        /// Longest wait for one webhook answer, in seconds
        #[arg(long, value_name = "SECONDS", default_value_t = 15.0)]
        attempt_timeout: f64,
        /// Waits between attempts, in seconds, comma-separated; past the last the
        /// delivery fails [default: 5,300,1800,7200,18000,36000]
        #[arg(long, value_name = "SECONDS,…", value_delimiter = ',')]
        retry_schedule: Vec<f64>,
    },
}

#[derive(Subcommand)]
enum ScheduleCommand {
    /// The pending schedules, soonest first, then the last ones carried out
    List,
    /// Cancel a document's pending schedule
    Cancel { slug: String },
}

#[derive(Subcommand)]
enum ApiCommand {
    /// Set the content API URL, and the environment variable that holds its token
    Set {
        #[arg(long)]
        url: String,
        /// Name of the environment variable with the write token (never the token itself)
        #[arg(long, value_name = "VAR")]
        token_env: Option<String>,
    },
    /// Show the configured content API
    Show,
    /// How images go out: the widest the content API takes, and whether images added
    /// from now on keep their metadata (EXIF, GPS)
    Images {
        /// Pixels; wider images go as a downscaled copy (0: as they are)
        #[arg(long, value_name = "PX")]
        max_width: Option<u32>,
        /// Keep EXIF, GPS and other metadata in images added (true or false)
        #[arg(long, value_name = "BOOL")]
        keep_metadata: Option<bool>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Logs go to stderr: info for the server, warnings otherwise; RUST_LOG overrides.
    let default = if matches!(cli.command, Command::Serve(_)) {
        "info"
    } else {
        "warn"
    };
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| default.into()),
        );
    // With --json, logs are JSON lines too (a server's request id as a span field).
    if cli.json {
        logs.json().init();
    } else {
        logs.init();
    }
    let out = Output { json: cli.json };
    match run(cli, &out) {
        Ok(code) => code,
        Err(err) => {
            out.error(&err);
            ExitCode::FAILURE
        }
    }
}

/// Runs the outbox until nothing (of `publish_id`) is due within `wait` seconds.
async fn deliver(
    store: &Arc<Mutex<Store>>,
    publish_id: Option<i64>,
    wait: u64,
) -> anyhow::Result<()> {
    let secrets = SecretStore::for_workspace(&lock(store));
    let outbox = Outbox::new(store.clone(), secrets, OutboxConfig::default());
    outbox
        .drain(publish_id, Instant::now() + Duration::from_secs(wait))
        .await?;
    Ok(())
}

/// What `publish` and `unpublish` take.
#[derive(clap::Args)]
struct RunArgs {
    slug: String,
    /// Only these sites (repeatable) [default: every enabled site]
    #[arg(long = "site", value_name = "NAME")]
    sites: Vec<String>,
    /// How long to keep retrying webhooks before leaving them to the outbox
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    wait: u64,
    /// Wait until every site shows the result — the new revision, or for an unpublish
    /// its page gone (each site's own timeout, or SECONDS); exit 0 only if all do
    #[arg(long, value_name = "SECONDS", num_args = 0..=1, default_missing_value = "site",
          require_equals = true)]
    wait_live: Option<String>,
    /// Write over (unpublish: delete) posts edited in a destination (WordPress,
    /// Directus) since the last publish, instead of stopping with nothing written
    #[arg(long)]
    overwrite: bool,
    /// Publish later, at this time: 2026-12-24T08:00 (this machine's clock) or with an
    /// offset (…+01:00, …Z). Carried out by the app or `pressroom daemon`; again moves
    /// it
    #[arg(long, value_name = "TIME", conflicts_with_all = ["wait_live", "overwrite"])]
    at: Option<String>,
}

/// `publish` and `unpublish`: the run, followed and printed; exit 1 unless every site
/// got there (live, or gone, when --wait-live asked for it).
fn publish_command(
    store: Store,
    out: &Output,
    run: RunArgs,
    unpublish: bool,
) -> anyhow::Result<ExitCode> {
    let RunArgs {
        slug,
        sites,
        wait,
        wait_live,
        overwrite,
        at,
    } = run;
    if let Some(at) = at {
        anyhow::ensure!(!unpublish, "--at schedules a publish, not an unpublish");
        let mut store = store;
        pressroom_core::schedule::set(&mut store, &slug, &at, &sites)?;
        // WordPress destinations hold it as their own scheduled post too.
        let secrets = SecretStore::for_workspace(&store);
        let store = Mutex::new(store);
        let notes = tokio::runtime::Runtime::new()?
            .block_on(pressroom_core::schedule::stage(&store, &secrets, &slug));
        let schedule = lock(&store).pending_schedule(&slug)?;
        out.schedules(&Vec::from_iter(schedule));
        out.notes(&notes);
        return Ok(ExitCode::SUCCESS);
    }
    let (slug, sites) = (slug.as_str(), sites.as_slice());
    let live = match wait_live.as_deref() {
        None => LiveWait::No,
        Some("site") => LiveWait::SiteTimeout,
        Some(secs) => LiveWait::Upto(Duration::from_secs_f64(
            secs.parse::<f64>()
                .ok()
                .filter(|s| *s > 0.0 && *s <= 3600.0)
                .with_context(|| {
                    format!("--wait-live={secs}: give a number of seconds (0 to 3600)")
                })?,
        )),
    };
    let targets = publish::Targets::resolve(&store, &SecretStore::for_workspace(&store), sites)?
        .overwriting(overwrite);
    let (report, deliveries) = with_publisher(store, async |publisher: &Publisher| {
        let printer = out.event_printer(&targets.describe());
        let deliver_for = Duration::from_secs(wait);
        let report = if unpublish {
            publisher
                .unpublish_and_follow(&targets, slug, live, deliver_for, printer)
                .await?
        } else {
            publisher
                .publish_and_follow(&targets, slug, live, deliver_for, printer)
                .await?
        };
        let deliveries = lock(publisher.store()).deliveries_of(report.publish.publish_id)?;
        Ok((report, deliveries))
    })?;
    out.run_report(&report, &deliveries);
    Ok(if report.all_done(live) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Runs `work` with this workspace's publisher serving beside it, then stops it
/// (what is still pending stays queued for the next worker).
fn with_publisher<T>(
    mut store: Store,
    work: impl AsyncFnOnce(&Publisher) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let secrets = SecretStore::for_workspace(&store);
    move_hook_urls(&mut store, &secrets);
    let publisher = Publisher::new(Arc::new(Mutex::new(store)), secrets);
    tokio::runtime::Runtime::new()?.block_on(async {
        let running = publisher.spawn();
        let result = work(&publisher).await;
        running.stop().await?;
        result
    })
}

/// Hook URLs are secrets: a workspace from before they were kept as such moves them to
/// the secret store (one that is not there leaves them working as they were).
fn move_hook_urls(store: &mut Store, secrets: &SecretStore) {
    if let Err(e) = pressroom_core::sites::move_hook_urls_to_secret_store(store, secrets) {
        eprintln!("warning: could not move hook URLs to the secret store: {e}");
    }
}

/// Completes on Ctrl+C or SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn run(cli: Cli, out: &Output) -> anyhow::Result<ExitCode> {
    let data_dir = cli.data_dir.unwrap_or_else(workspace::default_data_dir);
    match cli.command {
        Command::Serve(args) => return serve::run(args, data_dir, out),
        Command::Sandbox(args) => return sandbox::run_sandbox(args, &data_dir, out),
        Command::DemoSite(args) => return sandbox::run_demo_site(args, out),
        _ => {}
    }
    let mut store = Store::open(workspace::database_path(&data_dir))?;
    match cli.command {
        Command::Doc(cmd) => return doc::run(cmd, &mut store, out),
        Command::Search { query, limit } => out.search_hits(&store.search(&query, limit)?),
        Command::Api(ApiCommand::Set { url, token_env }) => {
            out.api_settings(&publish::set_api(&mut store, &url, token_env.as_deref())?)
        }
        Command::Api(ApiCommand::Images {
            max_width,
            keep_metadata,
        }) => {
            let mut settings = pressroom_core::assets::settings(&store)?;
            settings.api_max_width = max_width.unwrap_or(settings.api_max_width);
            settings.keep_metadata = keep_metadata.unwrap_or(settings.keep_metadata);
            let settings = pressroom_core::assets::set_settings(&mut store, &settings)?;
            out.message(&format!(
                "the content API gets images {}; images added {} their metadata",
                match settings.api_max_width {
                    0 => "as they are".to_owned(),
                    w => format!("at most {w} pixels wide"),
                },
                if settings.keep_metadata {
                    "keep"
                } else {
                    "lose"
                }
            ));
        }
        Command::Api(ApiCommand::Show) => match publish::api_settings(&store)? {
            Some(settings) => out.api_settings(&settings),
            None => return Err(pressroom_core::Error::NotConfigured.into()),
        },
        Command::Publish(run) => return publish_command(store, out, run, false),
        Command::Schedule(ScheduleCommand::List) => out.schedules(&store.schedules(20)?),
        Command::Schedule(ScheduleCommand::Cancel { slug }) => {
            let cancelled = pressroom_core::schedule::cancel(&mut store, &slug)?;
            let secrets = SecretStore::for_workspace(&store);
            let store = Mutex::new(store);
            let notes = tokio::runtime::Runtime::new()?.block_on(
                pressroom_core::schedule::unstage(&store, &secrets, &cancelled),
            );
            out.schedules(&[cancelled]);
            out.notes(&notes);
        }
        Command::Unpublish(run) => return publish_command(store, out, run, true),
        Command::Site(cmd) => return site::run(cmd, &mut store, out),
        Command::Destination(cmd) => destination::run(cmd, store, out)?,
        Command::Pull {
            destination,
            replace_changed,
        } => destination::pull(store, &destination, replace_changed, out)?,
        Command::Deliveries {
            failed,
            limit,
            show,
        } => match show {
            Some(id) => out.delivery_detail(&store.delivery(id)?, &store.attempts(id)?),
            None => out.deliveries(&store.deliveries(failed, limit)?),
        },
        Command::Deliver { wait } => {
            let store = Arc::new(Mutex::new(store));
            tokio::runtime::Runtime::new()?.block_on(deliver(&store, None, wait))?;
            let pending = lock(&store).next_due_at(None)?.is_some();
            out.message(if pending {
                "some deliveries are still waiting for a retry; `pressroom deliveries` shows them"
            } else {
                "nothing left to deliver"
            });
        }
        Command::Redeliver { id, wait } => {
            let delivery = with_publisher(store, async |publisher: &Publisher| {
                let events = publisher.subscribe();
                let standing = publisher.resend(id, LiveWait::No)?;
                publisher
                    .follow(
                        events,
                        standing.publish_id,
                        Some(id),
                        Some(Duration::from_secs(wait)),
                        out.event_printer("the content API"),
                    )
                    .await?;
                Ok(lock(publisher.store()).delivery(id)?)
            })?;
            out.delivery_results(std::slice::from_ref(&delivery));
            if delivery.state != DeliveryState::Delivered {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Daemon {
            attempt_timeout,
            retry_schedule,
        } => {
            let seconds = |s: f64, what: &str| {
                (s.is_finite() && s > 0.0 && s <= 86_400.0)
                    .then(|| Duration::from_secs_f64(s))
                    .with_context(|| format!("{what} {s}: give seconds between 0 and 86400"))
            };
            let mut config = OutboxConfig {
                timeout: seconds(attempt_timeout, "--attempt-timeout")?,
                ..OutboxConfig::default()
            };
            if !retry_schedule.is_empty() {
                config.schedule = retry_schedule
                    .iter()
                    .map(|s| seconds(*s, "--retry-schedule"))
                    .collect::<anyhow::Result<_>>()?;
            }
            let mut store = store;
            let secrets = SecretStore::for_workspace(&store);
            move_hook_urls(&mut store, &secrets);
            let path = store.path().display().to_string();
            let publisher = Publisher::with_config(
                Arc::new(Mutex::new(store)),
                secrets,
                config,
                pressroom_core::confirm::Confirmer::default(),
            );
            out.message(&format!(
                "pressroom daemon: publishing service for {path} (Ctrl+C stops it)"
            ));
            tokio::runtime::Runtime::new()?.block_on(async {
                let mut events = publisher.subscribe();
                let mut log = out.event_log();
                let printer = tokio::spawn(async move {
                    loop {
                        match events.recv().await {
                            Ok(event) => log(&event),
                            Err(tokio::sync::broadcast::error::RecvError::Lagged(n)) => {
                                eprintln!("pressroom daemon: at least {n} events were not printed (output too slow)")
                            }
                            Err(_) => break,
                        }
                    }
                });
                let served = publisher.serve(stop_signal()).await;
                printer.abort();
                served
            })?;
        }
        Command::Serve(_) | Command::Sandbox(_) | Command::DemoSite(_) => {
            unreachable!("handled above")
        }
    }
    Ok(ExitCode::SUCCESS)
}
