//! `pressroom`: everything the desktop app does, headless, for terminals and CI.
//!
//! Handlers only unpack arguments, make one call into `pressroom_core`, and print the
//! result (`output`): human text by default, JSON with `--json`. Errors exit 1 with the
//! message (or `{"error":{"kind","message"}}` with `--json`); usage errors exit 2.

mod doc;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use pressroom_core::{workspace, Store};

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let out = Output { json: cli.json };
    match run(cli, &out) {
        Ok(code) => code,
        Err(err) => {
            out.error(&err);
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli, out: &Output) -> anyhow::Result<ExitCode> {
    let data_dir = cli.data_dir.unwrap_or_else(workspace::default_data_dir);
    let mut store = Store::open(workspace::database_path(&data_dir))?;
    match cli.command {
        Command::Doc(cmd) => doc::run(cmd, &mut store, out),
        Command::Search { query, limit } => {
            out.search_hits(&store.search(&query, limit)?);
            Ok(ExitCode::SUCCESS)
        }
    }
}
