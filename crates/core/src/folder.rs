//! Import and export of folders of `.md` files with front matter, the way Hugo, Jekyll,
//! Astro and Obsidian keep content.
//!
//! Import is idempotent (re-importing unchanged files writes nothing) and per-file:
//! one bad file is reported and skipped, it never stops or undoes the others. Export
//! writes each draft's source as `<slug>.md`, so export → import round-trips.
//!
//! Images travel with the text: an import takes in the images a file shows by a
//! relative path (`![alt](img/a.png)`) or by Obsidian's `![[a.png]]` (found beside the
//! file or at the folder's top) as workspace images, referred to as `asset:<sha256>`;
//! one that is missing, outside the folder, a link or not an image is reported and its
//! reference left as it was. An export writes each image beside the markdown
//! (`cms::upload_name`) and refers to it by that relative name.

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
    /// Images taken in with the files.
    pub images: usize,
    /// Images a file shows that could not be taken in (its reference kept as it was).
    pub missing_images: Vec<ImportFailure>,
}

impl ImportReport {
    /// Adds `other`'s files to these (several imports told as one).
    pub fn merge(&mut self, other: ImportReport) {
        self.created.extend(other.created);
        self.updated.extend(other.updated);
        self.unchanged.extend(other.unchanged);
        self.failed.extend(other.failed);
        self.broken.extend(other.broken);
        self.images += other.images;
        self.missing_images.extend(other.missing_images);
    }
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
    let root = if path.is_dir() {
        path.to_path_buf()
    } else {
        // `a.md` alone has the parent "" — which names no folder.
        path.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf()
    };
    for file in files {
        match import_file(store, &file, &root, &mut seen, &mut report) {
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
    root: &Path,
    seen: &mut HashMap<String, PathBuf>,
    report: &mut ImportReport,
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
    let source = take_in_images(store, file, root, &source, report);
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

/// `source` with each image it shows by a relative path or `![[name]]` taken into the
/// workspace and referred to as `asset:<sha256>` (see the module).
fn take_in_images(
    store: &mut Store,
    file: &Path,
    root: &Path,
    source: &str,
    report: &mut ImportReport,
) -> String {
    use pulldown_cmark::{Event, Parser, Tag};
    let dir = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(root);
    // (range in `source`, the path as written, its alt text for `![[…]]`)
    let mut found: Vec<(std::ops::Range<usize>, String, Option<String>)> = Vec::new();
    for (event, range) in Parser::new_ext(source, crate::markdown::options()).into_offset_iter() {
        if let Event::Start(Tag::Image { dest_url, .. }) = event {
            let dest = dest_url.to_string();
            let relative =
                !dest.is_empty() && !dest.contains(':') && !dest.starts_with(['/', '#', '?']);
            if let (true, Some(at)) = (relative, destination_in(&source[range.clone()], &dest)) {
                let start = range.start + at;
                found.push((start..start + dest.len(), dest, None));
            }
        }
    }
    // Obsidian's embeds: `![[name.png]]`, `![[name.png|alt]]`.
    let mut from = 0;
    while let Some(at) = source[from..].find("![[") {
        let start = from + at;
        let Some(len) = source[start..].find("]]") else {
            break;
        };
        let inner = &source[start + 3..start + len];
        let (name, alt) = inner.split_once('|').unwrap_or((inner, ""));
        if !name.is_empty() && !inner.contains('\n') {
            let alt = if alt.is_empty() { name } else { alt };
            found.push((
                start..start + len + 2,
                name.to_owned(),
                Some(alt.to_owned()),
            ));
        }
        from = start + len + 2;
    }
    found.sort_by_key(|(range, _, _)| std::cmp::Reverse(range.start));
    let mut out = source.to_owned();
    for (range, written, embed) in found {
        let wanted = written.replace("%20", " ");
        let candidates = [dir.join(&wanted), root.join(&wanted)];
        let taken = candidates
            .iter()
            .find(|c| c.is_file())
            .ok_or_else(|| "not found beside the file or at the folder's top".to_owned())
            .and_then(|path| read_image_within(root, path))
            .and_then(|(bytes, name)| {
                crate::assets::add(store, &bytes, &name, false).map_err(|e| e.to_string())
            });
        match taken {
            Ok(asset) => {
                let reference = match &embed {
                    Some(alt) => asset.markdown(alt),
                    None => format!("{}{}", crate::assets::SCHEME, asset.sha256),
                };
                out.replace_range(range, &reference);
                report.images += 1;
            }
            Err(message) => report.missing_images.push(ImportFailure {
                path: file.to_path_buf(),
                kind: "invalid_image",
                message: format!("{written}: {message}"),
            }),
        }
    }
    out
}

/// Where in an image's markdown `![alt](dest "title")` its destination `dest` is
/// written: the first place it opens the parentheses (`(dest` or `(<dest`), so neither
/// the alt text nor the title is taken for it. `None` for a reference-style image
/// (its destination is written elsewhere) or one written with escapes.
fn destination_in(image: &str, dest: &str) -> Option<usize> {
    image.match_indices(dest).map(|(at, _)| at).find(|&at| {
        let before = image[..at].trim_end_matches([' ', '\t', '\n', '\r']);
        before.ends_with('(') || before.ends_with("(<")
    })
}

/// The bytes of image file `path`, refused when it is outside `root` (`..`, a link
/// out), a link itself, not a regular file, or over the image limit.
fn read_image_within(root: &Path, path: &Path) -> std::result::Result<(Vec<u8>, String), String> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let (Ok(root), Ok(real)) = (root.canonicalize(), path.canonicalize()) else {
        return Err("cannot be found".into());
    };
    if !real.starts_with(&root) {
        return Err("is outside the imported folder".into());
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(&real)
        .map_err(|_| "is a link or cannot be opened".to_owned())?;
    if !file.metadata().map(|m| m.is_file()).unwrap_or(false) {
        return Err("is not a regular file".into());
    }
    let mut bytes = Vec::new();
    file.take(crate::assets::MAX_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("image")
        .to_owned();
    Ok((bytes, name))
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

/// Writes every document as `<dir>/<slug>.md`, and each image it shows beside it
/// (`cms::upload_name`, referred to by that name); returns the markdown files' paths.
/// Each file is replaced whole (`crate::replace_file`), so a crash never leaves half a
/// file and a symlink planted in the folder is never written through.
pub fn export(store: &Store, dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut written = Vec::new();
    let mut images: HashMap<String, String> = HashMap::new();
    for summary in store.list()? {
        let doc = store.get(&summary.slug)?;
        let mut source = doc.source.clone();
        for sha in crate::assets::references(&doc.source) {
            let name = match images.get(&sha) {
                Some(name) => name.clone(),
                None => {
                    let (asset, bytes) = crate::assets::open(store, &sha)?;
                    let name = crate::cms::upload_name(&asset);
                    let path = dir.join(&name);
                    crate::replace_file(&path, &bytes, 0o666).map_err(|e| Error::io(&path, e))?;
                    images.insert(sha.clone(), name.clone());
                    name
                }
            };
            source = source.replace(&format!("{}{sha}", crate::assets::SCHEME), &name);
        }
        let path = dir.join(format!("{}.md", doc.slug));
        crate::replace_file(&path, source.as_bytes(), 0o666).map_err(|e| Error::io(&path, e))?;
        written.push(path);
    }
    Ok(written)
}
