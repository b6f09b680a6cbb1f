//! Images in the workspace (issue #15, first part): a file pasted, dropped or inserted
//! becomes an **asset** — its type sniffed from its bytes (never its name), refused
//! when it is not a whole image of a kind the web shows (PNG, JPEG, GIF, WebP), too
//! large, or a decompression bomb; stripped of EXIF/XMP/IPTC and text metadata (GPS
//! positions, camera serials) losslessly unless the editor keeps them; stored once
//! under the SHA-256 of what is kept (content-addressed: the same image twice is one
//! file), and referenced from markdown as `![alt](asset:<sha256>)`.
//!
//! The bytes live in the workspace's `assets/` folder, written the way every file of
//! the workspace is (`replace_file`: a random temporary name, synced, renamed; never
//! through a link); what they are (name, type, size, dimensions) is in SQLite
//! (`store::assets`).

use std::io::Cursor;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};

/// The largest image taken in, in bytes.
pub const MAX_BYTES: usize = 20 * 1024 * 1024;
/// The largest width or height decoded: past it, a small file could ask for gigabytes.
pub const MAX_SIDE: u32 = 12_000;
/// How a markdown image names an asset.
pub const SCHEME: &str = "asset:";

/// An image of the workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct Asset {
    /// Hex SHA-256 of the stored bytes: its name, and what the markdown refers to.
    pub sha256: String,
    /// The file name it came with (no folders), for alt text and exports.
    pub name: String,
    /// `image/png`, `image/jpeg`, `image/gif` or `image/webp`, from its bytes.
    pub mime: String,
    pub bytes: u64,
    pub width: u32,
    pub height: u32,
}

impl Asset {
    /// What the editor inserts: `![alt](asset:<sha256>)`, the alt text made safe to
    /// stand between the brackets.
    pub fn markdown(&self, alt: &str) -> String {
        let alt: String = alt
            .chars()
            .filter(|c| !c.is_control())
            .map(|c| if matches!(c, '[' | ']') { ' ' } else { c })
            .collect();
        format!("![{}]({SCHEME}{})", alt.trim(), self.sha256)
    }

    /// The file extension of its type.
    pub fn extension(&self) -> &'static str {
        match self.mime.as_str() {
            "image/png" => "png",
            "image/jpeg" => "jpg",
            "image/gif" => "gif",
            _ => "webp",
        }
    }
}

/// An image made ready to store: what it is, and the bytes to keep.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub asset: Asset,
    pub bytes: Vec<u8>,
}

/// Checks `bytes` (named `name` by whoever gave them) and makes them an asset: see the
/// module. `keep_metadata` keeps EXIF and the rest as they came.
pub fn prepare(bytes: &[u8], name: &str, keep_metadata: bool) -> Result<Prepared> {
    let name = file_name(name);
    let invalid = |reason: String| Error::InvalidImage {
        name: name.clone(),
        reason,
    };
    if bytes.len() > MAX_BYTES {
        return Err(Error::ImageTooLarge {
            name: name.clone(),
            size: bytes.len(),
            limit: MAX_BYTES,
        });
    }
    let (format, mime) = sniff(bytes).ok_or_else(|| {
        invalid("not an image Pressroom can publish (PNG, JPEG, GIF or WebP)".into())
    })?;
    // Decoded whole, within limits: a corrupt or truncated file, or a bomb, is refused
    // here rather than on a reader's screen.
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    let decoded = reader
        .decode()
        .map_err(|e| invalid(format!("the image cannot be read: {e}")))?;
    let kept = if keep_metadata {
        bytes.to_vec()
    } else {
        without_metadata(bytes, format).map_err(|e| invalid(format!("its metadata: {e}")))?
    };
    Ok(Prepared {
        asset: Asset {
            sha256: sha256_hex(&kept),
            name,
            mime: mime.to_owned(),
            bytes: kept.len() as u64,
            width: decoded.width(),
            height: decoded.height(),
        },
        bytes: kept,
    })
}

/// The image type of `bytes` from their first bytes, of those Pressroom publishes.
pub fn sniff(bytes: &[u8]) -> Option<(image::ImageFormat, &'static str)> {
    let format = image::guess_format(bytes).ok()?;
    let mime = match format {
        image::ImageFormat::Png => "image/png",
        image::ImageFormat::Jpeg => "image/jpeg",
        image::ImageFormat::Gif => "image/gif",
        image::ImageFormat::WebP => "image/webp",
        _ => return None,
    };
    Some((format, mime))
}

/// The hex SHA-256 of `bytes`: an asset's name.
pub fn sha256_hex(bytes: &[u8]) -> String {
    crate::hex(&<sha2::Sha256 as sha2::Digest>::digest(bytes))
}

/// The bytes without EXIF, XMP, IPTC, comments or text chunks, re-assembled as they
/// were otherwise (no re-encoding: not a pixel changes). The colour profile stays.
fn without_metadata(
    bytes: &[u8],
    format: image::ImageFormat,
) -> std::result::Result<Vec<u8>, String> {
    use img_parts::{Bytes, ImageEXIF};
    let owned = Bytes::copy_from_slice(bytes);
    let stripped = match format {
        image::ImageFormat::Jpeg => {
            use img_parts::jpeg::{markers, Jpeg};
            let mut jpeg = Jpeg::from_bytes(owned).map_err(|e| e.to_string())?;
            // APP1: EXIF and XMP; APP13: IPTC (Photoshop); COM: comments.
            jpeg.segments_mut()
                .retain(|s| !matches!(s.marker(), markers::APP1 | markers::APP13 | markers::COM));
            jpeg.encoder().bytes()
        }
        image::ImageFormat::Png => {
            let mut png = img_parts::png::Png::from_bytes(owned).map_err(|e| e.to_string())?;
            png.chunks_mut()
                .retain(|c| !matches!(&c.kind(), b"eXIf" | b"tEXt" | b"iTXt" | b"zTXt" | b"tIME"));
            png.encoder().bytes()
        }
        image::ImageFormat::WebP => {
            let mut webp = img_parts::webp::WebP::from_bytes(owned).map_err(|e| e.to_string())?;
            webp.set_exif(None);
            webp.remove_chunks_by_id(*b"XMP ");
            webp.encoder().bytes()
        }
        // GIF has no EXIF; its comment extensions are left.
        _ => return Ok(bytes.to_vec()),
    };
    Ok(stripped.to_vec())
}

/// The last component of a path or name as given (a pasted file's name may be a
/// whole path, or `../../etc/x.png`), without control characters; "image" if nothing
/// is left.
pub fn file_name(given: &str) -> String {
    let last = given
        .rsplit(['/', '\\'])
        .find(|part| !part.is_empty() && *part != "." && *part != "..")
        .unwrap_or("");
    let clean: String = last.chars().filter(|c| !c.is_control()).collect();
    let clean = clean.trim().trim_start_matches('.').to_owned();
    if clean.is_empty() {
        "image".to_owned()
    } else {
        clean.chars().take(200).collect()
    }
}

/// Takes an image into the workspace of `store`: checked and stripped (`prepare`),
/// its file written once, then its row. The same image again answers the asset it
/// already is.
pub fn add(
    store: &mut crate::Store,
    bytes: &[u8],
    name: &str,
    keep_metadata: bool,
) -> Result<Asset> {
    let prepared = prepare(bytes, name, keep_metadata)?;
    write(&folder(store.path()), &prepared)?;
    store.add_asset(&prepared.asset)
}

/// The bytes of asset `sha256` of the workspace of `store`, and what it is.
pub fn open(store: &crate::Store, sha256: &str) -> Result<(Asset, Vec<u8>)> {
    let asset = store.asset(sha256)?;
    let bytes = read(&folder(store.path()), sha256)?;
    Ok((asset, bytes))
}

/// Uploads every image `markdown` shows to the content API `api`, each once: one
/// uploaded there before (`asset_uploads`) is only asked for, and sent again if the
/// API no longer has it. An image missing from the workspace is an error before
/// anything is published.
pub async fn upload_to_api(
    store: &std::sync::Mutex<crate::Store>,
    api: &crate::client::ContentApi,
    markdown: &str,
) -> Result<usize> {
    let target = format!("api {}", api.base_url());
    let shas = references(markdown);
    let recorded: Vec<bool> = {
        let store = crate::store::lock(store);
        shas.iter()
            .map(|sha| Ok(store.uploaded(&target, sha)?.is_some()))
            .collect::<Result<_>>()?
    };
    // Recorded as there: asked, all at once (no bytes come back), since the API may
    // have lost them (a fresh database at the same address).
    let there = futures_util::future::join_all(shas.iter().zip(&recorded).map(
        |(sha, &recorded)| async move {
            if recorded {
                api.has_asset(sha).await
            } else {
                Ok(false)
            }
        },
    ));
    let there: Vec<Result<bool>> = there.await;
    let mut sent = 0;
    for (sha256, there) in shas.iter().zip(there) {
        if there? {
            continue;
        }
        let (asset, bytes) = open(&crate::store::lock(store), sha256)?;
        let url = api.put_asset(sha256, &asset.mime, &bytes).await?;
        crate::store::lock(store).set_uploaded(&target, sha256, &url)?;
        sent += 1;
    }
    Ok(sent)
}

/// Whether `text` is an asset's name: 64 lowercase hex digits.
pub fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Every asset `markdown` shows as an image, in order, each once.
pub fn references(markdown: &str) -> Vec<String> {
    use pulldown_cmark::{Event, Parser, Tag};
    let mut found: Vec<String> = Vec::new();
    for event in Parser::new(markdown) {
        if let Event::Start(Tag::Image { dest_url, .. }) = event {
            if let Some(sha) = dest_url.strip_prefix(SCHEME).filter(|s| is_sha256(s)) {
                if !found.iter().any(|f| f == sha) {
                    found.push(sha.to_owned());
                }
            }
        }
    }
    found
}

/// The folder of a workspace's assets: `assets/` beside its database.
pub fn folder(database: &Path) -> PathBuf {
    database.parent().unwrap_or(Path::new(".")).join("assets")
}

/// Writes the bytes of `prepared` into `folder` under their SHA-256, once: an asset
/// already there is left as it is (same name, same bytes).
pub fn write(folder: &Path, prepared: &Prepared) -> Result<PathBuf> {
    let io = |e: std::io::Error| Error::Io {
        path: folder.to_path_buf(),
        source: e,
    };
    std::fs::create_dir_all(folder).map_err(io)?;
    let path = folder.join(&prepared.asset.sha256);
    let there = std::fs::symlink_metadata(&path)
        .map(|m| m.is_file() && m.len() == prepared.asset.bytes)
        .unwrap_or(false);
    if !there {
        crate::replace_file(&path, &prepared.bytes, 0o644).map_err(io)?;
    }
    Ok(path)
}

/// The bytes of an image file the editor chose: a regular file, read up to just past
/// the limit (then `prepare` says it is too large).
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let io = |e: std::io::Error| Error::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    if !file.metadata().map_err(io)?.is_file() {
        return Err(io(std::io::Error::other("is not a regular file")));
    }
    let mut bytes = Vec::new();
    file.take(MAX_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    Ok(bytes)
}

/// The stored bytes of asset `sha256` in `folder`, never through a link.
pub fn read(folder: &Path, sha256: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    if !is_sha256(sha256) {
        return Err(Error::AssetNotFound {
            sha256: sha256.to_owned(),
        });
    }
    let path = folder.join(sha256);
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
        .map_err(|_| Error::AssetNotFound {
            sha256: sha256.to_owned(),
        })?;
    let mut bytes = Vec::new();
    file.by_ref()
        .take(MAX_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::Io { path, source: e })?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(width, height, image::Rgb([200, 40, 40]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn names_lose_their_folders_and_tricks() {
        assert_eq!(file_name("../../etc/passwd.png"), "passwd.png");
        assert_eq!(file_name("C:\\Users\\me\\Photo 1.JPG"), "Photo 1.JPG");
        assert_eq!(file_name("a/b/.."), "b");
        assert_eq!(file_name(".hidden.png"), "hidden.png");
        assert_eq!(file_name("\u{0}\n"), "image");
        assert_eq!(file_name(""), "image");
    }

    #[test]
    fn the_type_comes_from_the_bytes_and_bad_input_is_refused() {
        let p = prepare(&png(3, 2), "photo.jpg", false).unwrap();
        assert_eq!(p.asset.mime, "image/png", "sniffed, not the name's");
        assert_eq!((p.asset.width, p.asset.height), (3, 2));
        assert!(is_sha256(&p.asset.sha256));
        let text = prepare(b"<svg onload=alert(1)>", "x.png", false).unwrap_err();
        assert!(matches!(text, Error::InvalidImage { .. }), "{text}");
        let mut cut = png(40, 40);
        cut.truncate(cut.len() / 2);
        let corrupt = prepare(&cut, "cut.png", false).unwrap_err();
        assert!(corrupt.to_string().contains("cannot be read"), "{corrupt}");
        let huge = vec![0u8; MAX_BYTES + 1];
        assert!(matches!(
            prepare(&huge, "big.png", false),
            Err(Error::ImageTooLarge { .. })
        ));
    }

    /// A JPEG carrying an EXIF block with a GPS position (the marker text stands in
    /// for the coordinates).
    fn jpeg_with_gps() -> Vec<u8> {
        use img_parts::{Bytes, ImageEXIF};
        let img = image::RgbImage::from_pixel(16, 16, image::Rgb([10, 120, 200]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
        let mut jpeg = img_parts::jpeg::Jpeg::from_bytes(Bytes::from(out.into_inner())).unwrap();
        let mut exif = b"II*\0\x08\0\0\0".to_vec();
        exif.extend_from_slice(b"GPSLatitude 51.5007 N GPSLongitude 0.1246 W");
        jpeg.set_exif(Some(Bytes::from(exif)));
        jpeg.encoder().bytes().to_vec()
    }

    #[test]
    fn gps_and_other_metadata_leave_unless_kept() {
        let with = jpeg_with_gps();
        let has_gps = |b: &[u8]| b.windows(11).any(|w| w == b"GPSLatitude");
        assert!(has_gps(&with));
        let stripped = prepare(&with, "holiday.jpg", false).unwrap();
        assert_eq!(stripped.asset.mime, "image/jpeg");
        assert!(!has_gps(&stripped.bytes), "no GPS left");
        assert!(!stripped.bytes.windows(4).any(|w| w == b"Exif"));
        // Still the same picture: it decodes to the same size.
        let again = image::load_from_memory(&stripped.bytes).unwrap();
        assert_eq!((again.width(), again.height()), (16, 16));
        let kept = prepare(&with, "holiday.jpg", true).unwrap();
        assert!(has_gps(&kept.bytes), "kept when asked");
        assert_ne!(kept.asset.sha256, stripped.asset.sha256);
    }

    #[test]
    fn the_same_image_is_one_asset() {
        let a = prepare(&png(5, 5), "a.png", false).unwrap();
        let b = prepare(&png(5, 5), "b.png", false).unwrap();
        assert_eq!(a.asset.sha256, b.asset.sha256);
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), &a).unwrap();
        assert_eq!(write(dir.path(), &b).unwrap(), path);
        assert_eq!(read(dir.path(), &a.asset.sha256).unwrap(), a.bytes);
        assert!(read(dir.path(), "../x").is_err());
    }

    #[test]
    fn added_to_a_workspace_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = crate::Store::open(dir.path().join("workspace.db")).unwrap();
        let first = add(&mut store, &png(4, 4), "first.png", false).unwrap();
        let again = add(&mut store, &png(4, 4), "second.png", false).unwrap();
        assert_eq!(again, first, "the first name stays");
        let (asset, bytes) = open(&store, &first.sha256).unwrap();
        assert_eq!(asset.name, "first.png");
        assert_eq!(image::load_from_memory(&bytes).unwrap().width(), 4);
        assert!(dir.path().join("assets").join(&first.sha256).is_file());
        // A link planted where an asset should be is not followed.
        std::os::unix::fs::symlink(
            "/etc/hostname",
            dir.path().join("assets").join("a".repeat(64)),
        )
        .unwrap();
        assert!(read(&folder(store.path()), &"a".repeat(64)).is_err());
    }

    #[test]
    fn markdown_refers_by_hash_and_references_are_found_once() {
        let a = prepare(&png(1, 1), "a.png", false).unwrap().asset;
        let md = a.markdown("A [tricky] alt\n");
        assert_eq!(md, format!("![A  tricky  alt](asset:{})", a.sha256));
        let doc = format!("{md}\n\ntext {md} ![x](https://e.com/y.png) ![z](asset:nothex)");
        assert_eq!(references(&doc), std::slice::from_ref(&a.sha256));
    }
}
