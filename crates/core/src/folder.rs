//! Import and export of folders of `.md` files with front matter, the way Hugo, Jekyll,
//! Astro and Obsidian keep content.
//!
//! Import is idempotent (re-importing unchanged files writes nothing) and per-file:
//! one bad file is reported and skipped, it never stops or undoes the others. Export
//! writes each draft's source unchanged as `<slug>.md`, so export → import round-trips.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::frontmatter;
use crate::slug;
use crate::store::{Store, MAX_DOCUMENT_BYTES};

#[derive(Debug, Default, Clone, Serialize, ts_rs::TS)]
pub struct ImportReport {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    pub unchanged: Vec<String>,
    pub failed: Vec<ImportFailure>,
    /// Imported, but their front matter is broken (kept as drafts to fix).
    pub broken: Vec<BrokenFrontMatter>,
}

/// A file imported with malformed front matter: which, where, and what is wrong.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct BrokenFrontMatter {
    pub path: PathBuf,
    pub slug: String,
    pub line: usize,
    pub message: String,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ImportFailure {
    pub path: PathBuf,
    pub kind: &'static str,
    pub message: String,
}

/// Imports one `.md` file or every `.md`/`.markdown` file below a folder (hidden
/// folders and `node_modules` skipped). Errors only when `path` itself cannot be read.
pub fn import(store: &mut Store, path: &Path) -> Result<ImportReport> {
    let files = if path.is_dir() {
        let mut files = Vec::new();
        collect_markdown(path, &mut files)?;
        files
    } else {
        let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if !meta.is_file() {
            // A FIFO, a device or a socket would block or never end.
            return Err(Error::Io {
                path: path.to_path_buf(),
                source: std::io::Error::other(
                    "is not a regular file; import a .md file or a folder",
                ),
            });
        }
        vec![path.to_path_buf()]
    };

    let mut report = ImportReport::default();
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    for file in files {
        match import_file(store, &file, &mut seen) {
            Ok((slug, outcome, problem)) => {
                if let Some(problem) = problem {
                    report.broken.push(BrokenFrontMatter {
                        path: file.clone(),
                        slug: slug.clone(),
                        line: problem.line,
                        message: problem.message,
                    });
                }
                match outcome {
                    Outcome::Created => report.created.push(slug),
                    Outcome::Updated => report.updated.push(slug),
                    Outcome::Unchanged => report.unchanged.push(slug),
                }
            }
            Err(e) => report.failed.push(ImportFailure {
                path: file,
                kind: e.kind(),
                message: e.to_string(),
            }),
        }
    }
    Ok(report)
}

enum Outcome {
    Created,
    Updated,
    Unchanged,
}

fn import_file(
    store: &mut Store,
    file: &Path,
    seen: &mut HashMap<String, PathBuf>,
) -> Result<(String, Outcome, Option<crate::store::ParseProblem>)> {
    use std::io::Read;
    let opened = std::fs::File::open(file).map_err(|e| Error::io(file, e))?;
    let meta = opened.metadata().map_err(|e| Error::io(file, e))?;
    if !meta.is_file() {
        return Err(Error::Io {
            path: file.to_path_buf(),
            source: std::io::Error::other("is not a regular file"),
        });
    }
    // At most one byte over the limit is read, whatever the file claims its size is
    // (it may grow meanwhile, or be a special file that reports 0).
    let mut bytes = Vec::new();
    opened
        .take(MAX_DOCUMENT_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(file, e))?;
    if bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(Error::TooLarge {
            size: (meta.len() as usize).max(bytes.len()),
            limit: MAX_DOCUMENT_BYTES,
        });
    }
    let source = String::from_utf8(bytes).map_err(|_| Error::NotUtf8 {
        path: file.to_path_buf(),
    })?;
    let slug = slug_for(file, &source)?;
    if let Some(first) = seen.get(&slug) {
        return Err(Error::Io {
            path: file.to_path_buf(),
            source: std::io::Error::other(format!(
                "has the same slug {slug:?} as {}; give one of them a `slug:` in its front matter",
                first.display()
            )),
        });
    }
    seen.insert(slug.clone(), file.to_path_buf());
    if store.exists(&slug)? {
        // Held but not found: the document with that slug is in the Trash.
        let saved = store.save(&slug, &source).map_err(|e| match e {
            Error::DocumentNotFound { slug } => Error::SlugInTrash { slug },
            e => e,
        })?;
        let outcome = if saved.revision_id.is_some() {
            Outcome::Updated
        } else {
            Outcome::Unchanged
        };
        Ok((slug, outcome, saved.document.parse_error))
    } else {
        let created = store.create(&slug, &source)?;
        Ok((slug, Outcome::Created, created.parse_error))
    }
}

/// `slug:` from the front matter, else the file name (a bundle's `index.md` or
/// `_index.md` takes its folder's name), made into a valid slug.
fn slug_for(file: &Path, source: &str) -> Result<String> {
    if let Some(declared) = frontmatter::declared_slug(source) {
        slug::validate(&declared)?;
        return Ok(declared);
    }
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let name = if matches!(stem, "index" | "_index") {
        file.parent()
            .and_then(|p| p.file_name())
            .and_then(|s| s.to_str())
            .unwrap_or(stem)
    } else {
        stem
    };
    let slug = slug::slugify(name);
    slug::validate(&slug).map_err(|_| Error::InvalidSlug {
        slug: name.to_owned(),
    })?;
    Ok(slug)
}

fn collect_markdown(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .collect::<std::io::Result<_>>()
        .map_err(|e| Error::io(dir, e))?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let file_type = entry.file_type().map_err(|e| Error::io(&path, e))?;
        if file_type.is_dir() {
            if !name.starts_with('.') && name != "node_modules" {
                collect_markdown(&path, out)?;
            }
        } else if file_type.is_file()
            && path
                .extension()
                .is_some_and(|ext| ext == "md" || ext == "markdown")
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Writes every document as `<dir>/<slug>.md` (its source unchanged); returns the paths.
/// Each file is replaced whole (`crate::replace_file`), so a crash never leaves half a
/// file and a symlink planted in the folder is never written through.
pub fn export(store: &Store, dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut written = Vec::new();
    for summary in store.list()? {
        let doc = store.get(&summary.slug)?;
        let path = dir.join(format!("{}.md", doc.slug));
        crate::replace_file(&path, doc.source.as_bytes(), 0o666)
            .map_err(|e| Error::io(&path, e))?;
        written.push(path);
    }
    Ok(written)
}
