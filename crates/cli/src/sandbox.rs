//! `pressroom sandbox` and `pressroom demo-site`: the demo loop on loopback.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use pressroom_sandbox::{DemoConfig, DemoSite, Mode, Sandbox, SandboxOptions};

use crate::output::Output;
use crate::serve::shutdown_signal;

fn parse_mode(text: &str) -> Result<Mode, String> {
    Mode::parse(text).ok_or_else(|| format!("one of: {}", Mode::ALL.map(Mode::as_str).join(", ")))
}

#[derive(Args)]
pub struct DemoOptions {
    /// How the demo site reacts to webhooks: expire-now, stale-once, ignore-webhook,
    /// wrong-secret
    #[arg(long, default_value = "expire-now", value_parser = parse_mode)]
    mode: Mode,
    /// How long building a page takes, in milliseconds (a slow data source)
    #[arg(long, value_name = "MS", default_value_t = 0)]
    regen_delay: u64,
    /// Leave out the revision meta tag (confirmation falls back to the heuristic)
    #[arg(long)]
    no_marker: bool,
}

#[derive(Args)]
pub struct SandboxArgs {
    #[command(flatten)]
    demo: DemoOptions,
}

#[derive(Args)]
pub struct DemoSiteArgs {
    /// The content API the pages are built from
    #[arg(long, value_name = "URL")]
    api: String,
    /// Environment variable holding the site's Standard Webhooks secret (whsec_…)
    #[arg(long, value_name = "VAR")]
    secret_env: String,
    #[arg(long, default_value = "127.0.0.1:0")]
    addr: SocketAddr,
    #[command(flatten)]
    demo: DemoOptions,
}

pub fn run_sandbox(args: SandboxArgs, data_dir: &Path, out: &Output) -> anyhow::Result<ExitCode> {
    let dir = data_dir.join("sandbox");
    tokio::runtime::Runtime::new()?.block_on(async {
        let sandbox = Sandbox::start(
            &dir,
            SandboxOptions {
                mode: args.demo.mode,
                regen_delay: Duration::from_millis(args.demo.regen_delay),
                marker: !args.demo.no_marker,
            },
        )
        .await?;
        out.sandbox(&sandbox.dir, &sandbox.api_url, &sandbox.site_url);
        shutdown_signal().await;
        sandbox.stop().await;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

pub fn run_demo_site(args: DemoSiteArgs, out: &Output) -> anyhow::Result<ExitCode> {
    let secret = std::env::var(&args.secret_env)
        .ok()
        .filter(|v| !v.is_empty())
        .with_context(|| {
            format!(
                "the environment variable {} given to --secret-env is not set",
                args.secret_env
            )
        })?;
    let site = DemoSite::new(DemoConfig {
        api_url: args.api,
        secret,
        mode: args.demo.mode,
        regen_delay: Duration::from_millis(args.demo.regen_delay),
        marker: !args.demo.no_marker,
    })?;
    tokio::runtime::Runtime::new()?.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("cannot listen on {}", args.addr))?;
        out.demo_site(listener.local_addr()?);
        site.serve(listener, shutdown_signal()).await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}
