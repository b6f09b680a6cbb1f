//! `pressroom doc …`: drafts in the local workspace.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::Subcommand;
use pressroom_core::assets;
use pressroom_core::{folder, markdown, Store};

use crate::output::Output;

#[derive(Subcommand)]
pub enum DocCommand {
    /// Create a draft (text from --file, "-" for standard input; else a front matter block)
    New {
        slug: String,
        #[arg(long)]
        title: Option<String>,
        /// Read the text from this file ("-" for standard input)
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// Import a .md file or a folder of them (idempotent)
    Import { path: PathBuf },
    /// Write every draft to DIR as <slug>.md
    Export { dir: PathBuf },
    /// Add an image file to the workspace (type from its bytes; GPS and other EXIF
    /// removed unless --keep-metadata) and append it to the draft as
    /// ![ALT](asset:SHA256)
    Image {
        slug: String,
        file: PathBuf,
        /// The image's alt text [default: its file name]
        #[arg(long)]
        alt: Option<String>,
        /// Keep EXIF (camera, GPS position), XMP and text metadata [default: as
        /// `pressroom api images --keep-metadata` set it, else no]
        #[arg(long)]
        keep_metadata: bool,
    },
    /// List drafts, most recently edited first
    List,
    /// Print a draft's text (or its rendered HTML)
    Show {
        slug: String,
        #[arg(long)]
        html: bool,
    },
    /// Replace a draft's text from --file, or edit it in $VISUAL / $EDITOR
    Edit {
        slug: String,
        #[arg(long, value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// Saved revisions of a draft, newest first
    History { slug: String },
    /// Line diff between two saved revisions (TO defaults to the current draft)
    Diff {
        slug: String,
        from: i64,
        to: Option<i64>,
    },
    /// Make a saved revision the current draft (itself a new revision)
    Restore { slug: String, revision: i64 },
    /// Change a draft's slug, keeping its history
    Rename { slug: String, new_slug: String },
    /// Move a document to the Trash (restorable for 30 days, history and all)
    Delete { slug: String },
    /// What is in the Trash
    Trash,
    /// Bring a document back from the Trash
    Undelete { slug: String },
    /// Delete from the Trash for good: one document, or with --all everything in it
    Purge {
        #[arg(required_unless_present = "all")]
        slug: Option<String>,
        #[arg(long, conflicts_with = "slug")]
        all: bool,
    },
}

pub fn run(cmd: DocCommand, store: &mut Store, out: &Output) -> anyhow::Result<ExitCode> {
    match cmd {
        DocCommand::New { slug, title, file } => {
            let source = match file {
                Some(path) => read_text(&path)?,
                None => new_source(title.as_deref().unwrap_or(&slug)),
            };
            out.wrote("created", &store.create(&slug, &source)?);
        }
        DocCommand::Import { path } => out.import_report(&folder::import(store, &path)?),
        DocCommand::Export { dir } => out.exported(&folder::export(store, &dir)?),
        DocCommand::Image {
            slug,
            file,
            alt,
            keep_metadata,
        } => {
            let doc = store.get(&slug)?;
            let bytes = assets::read_file(&file)?;
            let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("image");
            let keep_metadata = keep_metadata || assets::settings(store)?.keep_metadata;
            let asset = assets::add(store, &bytes, name, keep_metadata)?;
            let image = asset.markdown(alt.as_deref().unwrap_or(&asset.name));
            let source = format!("{}\n\n{image}\n", doc.source.trim_end());
            store.save(&slug, &source)?;
            out.message(&image);
        }
        DocCommand::List => out.documents(&store.list()?),
        DocCommand::Show { slug, html } => {
            let doc = store.get(&slug)?;
            if html {
                out.html(&slug, &markdown::render(&doc.body));
            } else {
                out.document(&doc);
            }
        }
        DocCommand::Edit { slug, file } => {
            let source = match file {
                Some(path) => read_text(&path)?,
                None => edit_in_editor(&store.get(&slug)?.source)?,
            };
            let saved = store.save(&slug, &source)?;
            let verb = if saved.revision_id.is_some() {
                "saved"
            } else {
                "unchanged"
            };
            out.wrote(verb, &saved.document);
        }
        DocCommand::History { slug } => out.history(&slug, &store.history(&slug)?),
        DocCommand::Diff { slug, from, to } => out.diff(&store.diff(&slug, from, to)?),
        DocCommand::Restore { slug, revision } => {
            out.wrote("restored", &store.restore(&slug, revision)?.document)
        }
        DocCommand::Rename { slug, new_slug } => {
            out.wrote("renamed", &store.rename(&slug, &new_slug)?)
        }
        DocCommand::Delete { slug } => {
            // A post a CMS holds for its schedule goes too (it would go out by itself).
            // The removal there talks to the workspace between requests: through a
            // connection of its own.
            let shared = std::sync::Mutex::new(Store::open(store.path())?);
            let secrets = pressroom_core::secrets::SecretStore::for_workspace(store);
            let notes = tokio::runtime::Runtime::new()?
                .block_on(pressroom_core::schedule::withdraw(&shared, &secrets, &slug))?;
            store.delete(&slug)?;
            out.deleted(&slug);
            out.notes(&notes);
        }
        DocCommand::Trash => out.trash(&store.trash()?),
        DocCommand::Undelete { slug } => {
            out.wrote("restored from the Trash", &store.restore_from_trash(&slug)?)
        }
        DocCommand::Purge { slug, all } => match slug {
            Some(slug) => {
                store.purge_from_trash(&slug)?;
                out.message(&format!("deleted {slug} for good"));
            }
            None if all => {
                let n = store.purge_trash(None)?;
                out.message(&format!("deleted {n} document(s) in the Trash for good"));
            }
            None => unreachable!("clap requires SLUG or --all"),
        },
    }
    Ok(ExitCode::SUCCESS)
}

fn new_source(title: &str) -> String {
    // Quote the title so any text is valid YAML.
    let quoted = serde_json::to_string(title).expect("strings serialize");
    format!("---\ntitle: {quoted}\ntags: []\n---\n\n")
}

/// Reads UTF-8 text from a file, or standard input for "-".
fn read_text(path: &Path) -> anyhow::Result<String> {
    let bytes = if path == Path::new("-") {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .context("reading standard input")?;
        buf
    } else {
        std::fs::read(path).with_context(|| format!("reading {}", path.display()))?
    };
    String::from_utf8(bytes).map_err(|_| {
        pressroom_core::Error::NotUtf8 {
            path: path.to_path_buf(),
        }
        .into()
    })
}

/// Opens the text in the user's editor and returns what they saved.
fn edit_in_editor(source: &str) -> anyhow::Result<String> {
    let editor = std::env::var("VISUAL")
        .or_else(|_| std::env::var("EDITOR"))
        .context("set $VISUAL or $EDITOR, or pass --file FILE")?;
    let dir = tempfile::tempdir().context("creating a temporary file to edit")?;
    let path = dir.path().join("draft.md");
    std::fs::write(&path, source).context("writing the temporary file")?;
    // The editor setting may carry arguments ("code --wait"); run it through the shell.
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(&path)
        .status()
        .with_context(|| format!("starting the editor {editor:?}"))?;
    if !status.success() {
        bail!("the editor {editor:?} exited with {status}; the draft was not changed");
    }
    read_text(&path)
}
