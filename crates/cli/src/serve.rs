//! `pressroom serve`: the reference content API in the foreground until Ctrl+C/SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use pressroom_server::{Config, Database, Server, DEFAULT_BODY_LIMIT};

use crate::output::Output;

#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free one)
    #[arg(long, default_value = "127.0.0.1:7700")]
    addr: SocketAddr,
    /// Environment variable holding the write token [default: generate one on first start]
    #[arg(long, value_name = "VAR")]
    token_env: Option<String>,
    /// Database file [default: DATA_DIR/content-api.db]
    #[arg(long, value_name = "FILE", conflicts_with = "database_url")]
    db: Option<PathBuf>,
    /// A PostgreSQL database instead of the SQLite file
    /// (postgres://USER[:PASSWORD]@HOST[:PORT]/NAME): any number of instances may
    /// serve it together behind a load balancer
    #[arg(
        long,
        value_name = "URL",
        env = "PRESSROOM_DATABASE_URL",
        hide_env_values = true
    )]
    database_url: Option<String>,
    /// Largest accepted request body, in bytes
    #[arg(long, default_value_t = DEFAULT_BODY_LIMIT)]
    body_limit: usize,
    /// Where readers reach this server (https://api.example.com): the base of images'
    /// addresses in documents [default: as each writer reached it]
    #[arg(long, value_name = "URL")]
    public_url: Option<String>,
}

pub fn run(args: ServeArgs, data_dir: PathBuf, out: &Output) -> anyhow::Result<ExitCode> {
    let token = args
        .token_env
        .as_deref()
        .map(|var| {
            std::env::var(var)
                .ok()
                .filter(|t| !t.is_empty())
                .with_context(|| {
                    format!("the environment variable {var} given to --token-env is not set")
                })
        })
        .transpose()?;
    let database = match args.database_url.filter(|url| !url.is_empty()) {
        Some(url) => Database::Postgres(url),
        None => Database::Sqlite(args.db.unwrap_or_else(|| data_dir.join("content-api.db"))),
    };
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let server = Server::open(Config {
            database,
            token,
            body_limit: args.body_limit,
            limits: Default::default(),
            public_url: args.public_url.clone(),
        })
        .await?;
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .with_context(|| format!("cannot listen on {}", args.addr))?;
        out.serving(listener.local_addr()?, server.generated_token());
        server.serve(listener, shutdown_signal()).await?;
        anyhow::Ok(())
    })?;
    Ok(ExitCode::SUCCESS)
}

pub async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
