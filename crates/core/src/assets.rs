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
/// The widest image a destination gets unless set otherwise: a wider photo goes out as
/// a downscaled copy (`scaled`).
pub const DEFAULT_MAX_WIDTH: u32 = 2560;
/// Most frames × pixels an animation may have: a small file must not make a reader's
/// browser (or the app's preview) decode gigabytes.
const MAX_ANIMATION_PIXELS: u64 = 1 << 30;

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

/// Where an image was uploaded: its public address, and the id the destination gave
/// it (a CMS's media id; empty for the content API, where its SHA-256 names it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub url: String,
    pub id: String,
}

/// How the workspace takes images in and sends them out (Settings ▸ Images).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, Serialize, ts_rs::TS)]
pub struct ImageSettings {
    /// Keep EXIF (GPS positions, camera serials), XMP and the rest in images added
    /// from now on. Off unless the editor turns it on.
    pub keep_metadata: bool,
    /// The widest image the content API takes (0: as they are).
    pub api_max_width: u32,
}

const KEEP_METADATA_KEY: &str = "images.keep_metadata";

/// Why `width` cannot be a destination's widest image, if it cannot: past any image
/// Pressroom takes.
pub fn check_max_width(width: u32) -> std::result::Result<(), String> {
    if width > MAX_SIDE {
        return Err(format!(
            "a widest image of {width} pixels is more than any image Pressroom takes \
             ({MAX_SIDE}); use 0 to send images as they are"
        ));
    }
    Ok(())
}

/// The workspace's `ImageSettings`.
pub fn settings(store: &crate::Store) -> Result<ImageSettings> {
    Ok(ImageSettings {
        keep_metadata: store.setting(KEEP_METADATA_KEY)?.as_deref() == Some("1"),
        api_max_width: crate::publish::api_image_max_width(store)?,
    })
}

/// Saves the workspace's `ImageSettings`.
pub fn set_settings(store: &mut crate::Store, settings: &ImageSettings) -> Result<ImageSettings> {
    check_max_width(settings.api_max_width)
        .map_err(|reason| Error::InvalidImageSettings { reason })?;
    store.set_setting(
        KEEP_METADATA_KEY,
        if settings.keep_metadata { "1" } else { "" },
    )?;
    crate::publish::set_api_image_max_width(store, settings.api_max_width)?;
    self::settings(store)
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
    check_animation(bytes, format).map_err(invalid)?;
    let decoded =
        decode(bytes, format).map_err(|e| invalid(format!("the image cannot be read: {e}")))?;
    let orientation = orientation(bytes, format);
    let kept = if keep_metadata {
        bytes.to_vec()
    } else {
        without_metadata(bytes, format, orientation)
            .map_err(|e| invalid(format!("its metadata: {e}")))?
    };
    // The size it shows at: a photo taken upright says so in its orientation.
    let (width, height) = match orientation {
        Some(
            image::metadata::Orientation::Rotate90
            | image::metadata::Orientation::Rotate270
            | image::metadata::Orientation::Rotate90FlipH
            | image::metadata::Orientation::Rotate270FlipH,
        ) => (decoded.height(), decoded.width()),
        _ => (decoded.width(), decoded.height()),
    };
    Ok(Prepared {
        asset: Asset {
            sha256: sha256_hex(&kept),
            name,
            mime: mime.to_owned(),
            bytes: kept.len() as u64,
            width,
            height,
        },
        bytes: kept,
    })
}

/// `bytes` decoded (the first frame of an animation), within the limits.
fn decode(bytes: &[u8], format: image::ImageFormat) -> image::ImageResult<image::DynamicImage> {
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    reader.decode()
}

/// How many frames an animated GIF or WebP has (1 for a still image), counted without
/// decoding them; an animation past `MAX_ANIMATION_PIXELS` is refused.
fn frames(bytes: &[u8], format: image::ImageFormat) -> std::result::Result<u64, String> {
    let (frames, pixels) = match format {
        image::ImageFormat::Gif => {
            let mut options = gif::DecodeOptions::new();
            options.skip_frame_decoding(true);
            let mut decoder = options
                .read_info(Cursor::new(bytes))
                .map_err(|e| e.to_string())?;
            // A browser draws every frame onto the whole canvas, however small the frame.
            let canvas = u64::from(decoder.width()) * u64::from(decoder.height());
            let (mut frames, mut pixels) = (0u64, 0u64);
            while let Some(frame) = decoder.next_frame_info().map_err(|e| e.to_string())? {
                frames += 1;
                pixels += canvas.max(u64::from(frame.width) * u64::from(frame.height));
                if pixels > MAX_ANIMATION_PIXELS {
                    break;
                }
            }
            (frames, pixels)
        }
        image::ImageFormat::WebP => {
            let decoder =
                image_webp::WebPDecoder::new(Cursor::new(bytes)).map_err(|e| e.to_string())?;
            let (w, h) = decoder.dimensions();
            let frames = u64::from(decoder.num_frames().max(1));
            (frames, frames * u64::from(w) * u64::from(h))
        }
        _ => (1, 0),
    };
    if pixels > MAX_ANIMATION_PIXELS {
        return Err(format!(
            "an animation of {frames}+ frames is too much to show (at most {MAX_ANIMATION_PIXELS} \
             pixels in all)"
        ));
    }
    Ok(frames)
}

fn check_animation(bytes: &[u8], format: image::ImageFormat) -> std::result::Result<(), String> {
    frames(bytes, format).map(|_| ())
}

/// The EXIF block and the colour profile `bytes` carry (each when there), read in one
/// parse.
fn exif_and_icc(
    bytes: &[u8],
    format: image::ImageFormat,
) -> (Option<img_parts::Bytes>, Option<img_parts::Bytes>) {
    use img_parts::{Bytes, ImageEXIF, ImageICC};
    fn both<T: ImageEXIF + ImageICC>(
        image: Option<T>,
    ) -> (Option<img_parts::Bytes>, Option<img_parts::Bytes>) {
        image.map_or((None, None), |i| (i.exif(), i.icc_profile()))
    }
    let owned = Bytes::copy_from_slice(bytes);
    match format {
        image::ImageFormat::Jpeg => both(img_parts::jpeg::Jpeg::from_bytes(owned).ok()),
        image::ImageFormat::Png => both(img_parts::png::Png::from_bytes(owned).ok()),
        image::ImageFormat::WebP => both(img_parts::webp::WebP::from_bytes(owned).ok()),
        _ => (None, None),
    }
}

/// The orientation an EXIF block says, when it says one.
fn orientation_in(exif: Option<&img_parts::Bytes>) -> Option<image::metadata::Orientation> {
    image::metadata::Orientation::from_exif_chunk(exif?)
}

/// The EXIF orientation `bytes` carry, when they carry one.
fn orientation(bytes: &[u8], format: image::ImageFormat) -> Option<image::metadata::Orientation> {
    orientation_in(exif_and_icc(bytes, format).0.as_ref())
}

/// An EXIF block that says only `orientation` (little-endian TIFF, one IFD entry:
/// tag 0x0112, SHORT, count 1).
fn orientation_only(orientation: image::metadata::Orientation) -> Vec<u8> {
    let mut exif = b"II*\0\x08\0\0\0".to_vec();
    exif.extend_from_slice(&1u16.to_le_bytes());
    exif.extend_from_slice(&0x0112u16.to_le_bytes());
    exif.extend_from_slice(&3u16.to_le_bytes());
    exif.extend_from_slice(&1u32.to_le_bytes());
    exif.extend_from_slice(&u16::from(orientation.to_exif()).to_le_bytes());
    exif.extend_from_slice(&[0, 0]);
    exif.extend_from_slice(&0u32.to_le_bytes());
    exif
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

/// The bytes without EXIF, XMP, IPTC, comments, text chunks or anything after a
/// JPEG's end (a second picture, a gain map — with EXIF of their own), re-assembled as
/// they were otherwise (no re-encoding: not a pixel changes). The colour profile stays,
/// and so does the orientation (alone in an EXIF block of its own), so that a photo
/// taken upright still shows upright.
fn without_metadata(
    bytes: &[u8],
    format: image::ImageFormat,
    orientation: Option<image::metadata::Orientation>,
) -> std::result::Result<Vec<u8>, String> {
    use img_parts::{Bytes, ImageEXIF};
    let owned = Bytes::copy_from_slice(bytes);
    let orientation = orientation
        .filter(|o| *o != image::metadata::Orientation::NoTransforms)
        .map(|o| Bytes::from(orientation_only(o)));
    let stripped = match format {
        image::ImageFormat::Jpeg => {
            use img_parts::jpeg::{markers, Jpeg};
            let mut jpeg = Jpeg::from_bytes(owned).map_err(|e| e.to_string())?;
            // APP1: EXIF and XMP; APP13: IPTC (Photoshop); COM: comments; APP2 of a
            // multi-picture file (MPF) points at pictures that are cut off below.
            jpeg.segments_mut().retain(|s| match s.marker() {
                markers::APP1 | markers::APP13 | markers::COM => false,
                markers::APP2 => !s.contents().starts_with(b"MPF\0"),
                _ => true,
            });
            jpeg.set_exif(orientation);
            let mut out = jpeg.encoder().bytes().to_vec();
            // A file cut short has no end to find: kept as it is (it decoded).
            if let Some(end) = jpeg_end(&out) {
                out.truncate(end);
            }
            return Ok(out);
        }
        image::ImageFormat::Png => {
            let mut png = img_parts::png::Png::from_bytes(owned).map_err(|e| e.to_string())?;
            png.chunks_mut()
                .retain(|c| !matches!(&c.kind(), b"eXIf" | b"tEXt" | b"iTXt" | b"zTXt" | b"tIME"));
            png.set_exif(orientation);
            png.encoder().bytes()
        }
        image::ImageFormat::WebP => {
            let mut webp = img_parts::webp::WebP::from_bytes(owned).map_err(|e| e.to_string())?;
            webp.set_exif(orientation);
            webp.remove_chunks_by_id(*b"XMP ");
            webp.encoder().bytes()
        }
        // GIF has no EXIF; its comment extensions are left.
        _ => return Ok(bytes.to_vec()),
    };
    Ok(stripped.to_vec())
}

/// Where a JPEG's first picture ends: just past its End Of Image marker, found by
/// walking its segments and the entropy-coded data between them (where a 0xFF is
/// followed by 0x00 or a restart marker, never by EOI).
fn jpeg_end(jpeg: &[u8]) -> Option<usize> {
    let mut at = 2; // past SOI
    loop {
        // A marker: 0xFF (fill bytes allowed), then its code.
        while *jpeg.get(at)? != 0xFF {
            at += 1;
        }
        while *jpeg.get(at)? == 0xFF {
            at += 1;
        }
        let code = *jpeg.get(at)?;
        at += 1;
        match code {
            0xD9 => return Some(at),
            // Restart markers and stuffed zeros: inside entropy-coded data.
            0x00 | 0xD0..=0xD7 | 0x01 => continue,
            _ => {
                let len = u16::from_be_bytes([*jpeg.get(at)?, *jpeg.get(at + 1)?]) as usize;
                at += len;
                if code != 0xDA {
                    // Not a scan: the next byte is the next marker.
                    if *jpeg.get(at)? != 0xFF {
                        return None;
                    }
                }
            }
        }
    }
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
/// then kept (`keep`). The same image again answers the asset it already is. A caller
/// that shares its store prepares first, then locks it only to `keep`.
pub fn add(
    store: &mut crate::Store,
    bytes: &[u8],
    name: &str,
    keep_metadata: bool,
) -> Result<Asset> {
    let prepared = prepare(bytes, name, keep_metadata)?;
    keep(store, &prepared)
}

/// Keeps a prepared image in the workspace of `store`: its file written once, then
/// its row.
pub fn keep(store: &mut crate::Store, prepared: &Prepared) -> Result<Asset> {
    write(&folder(store.path()), prepared)?;
    store.add_asset(&prepared.asset)
}

/// The bytes of asset `sha256` of the workspace of `store`, and what it is.
pub fn open(store: &crate::Store, sha256: &str) -> Result<(Asset, Vec<u8>)> {
    let asset = store.asset(sha256)?;
    let bytes = read(&folder(store.path()), sha256)?;
    Ok((asset, bytes))
}

/// The copy of image `sha256` that goes where images are at most `max_width` pixels
/// wide (0: any width): the image itself when it is no wider, or is an animation; else
/// a downscaled copy (upright, its colour profile kept, no other metadata), made once
/// and kept in the workspace as an asset of its own.
pub async fn scaled(
    store: &std::sync::Mutex<crate::Store>,
    sha256: &str,
    max_width: u32,
) -> Result<Asset> {
    let (asset, made, dir) = {
        let store = crate::store::lock(store);
        let asset = store.asset(sha256)?;
        if max_width == 0 || asset.width <= max_width {
            return Ok(asset);
        }
        let made = store.asset_copy(sha256, max_width)?;
        (asset, made, folder(store.path()))
    };
    if let Some(variant) = made {
        if read(&dir, &variant).is_ok() {
            return crate::store::lock(store).asset(&variant);
        }
    }
    // Made outside the lock and off the async threads: decoding and scaling a photo
    // takes a while.
    let made = asset.clone();
    let copy = tokio::task::spawn_blocking(move || {
        let bytes = read(&dir, &made.sha256)?;
        downscale(&made, &bytes, max_width)
    })
    .await
    .map_err(|e| Error::InvalidImage {
        name: asset.name.clone(),
        reason: format!("a smaller copy could not be made: {e}"),
    })??;
    let mut store = crate::store::lock(store);
    let chosen = match copy {
        Some(copy) => keep(&mut store, &copy)?,
        None => asset,
    };
    store.set_asset_copy(sha256, max_width, &chosen.sha256)?;
    Ok(chosen)
}

/// `asset` (its stored `bytes`) at most `max_width` wide; `None` when no smaller copy
/// can be made (an animation, or a copy no smaller in bytes).
fn downscale(asset: &Asset, bytes: &[u8], max_width: u32) -> Result<Option<Prepared>> {
    use image::ImageEncoder;
    let invalid = |reason: String| Error::InvalidImage {
        name: asset.name.clone(),
        reason,
    };
    let (format, _) = sniff(bytes).ok_or_else(|| invalid("not an image".into()))?;
    if frames(bytes, format).map_err(invalid)? > 1 {
        return Ok(None);
    }
    let mut picture = decode(bytes, format).map_err(|e| invalid(e.to_string()))?;
    let (exif, profile) = exif_and_icc(bytes, format);
    if let Some(orientation) = orientation_in(exif.as_ref()) {
        picture.apply_orientation(orientation);
    }
    let height = (u64::from(picture.height()) * u64::from(max_width)
        / u64::from(picture.width().max(1)))
    .max(1);
    let picture = picture.resize(
        max_width,
        height as u32,
        image::imageops::FilterType::CatmullRom,
    );
    let profile = profile.map(|p| p.to_vec());
    let mut out = Vec::new();
    // A photo stays a JPEG; anything with transparency, or drawn (PNG, GIF), a PNG.
    let (mime, result) = if format == image::ImageFormat::Jpeg
        || (format == image::ImageFormat::WebP && !picture.color().has_alpha())
    {
        let picture = image::DynamicImage::ImageRgb8(picture.to_rgb8());
        let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85);
        if let Some(profile) = profile {
            let _ = encoder.set_icc_profile(profile);
        }
        ("image/jpeg", picture.write_with_encoder(encoder))
    } else {
        let mut encoder = image::codecs::png::PngEncoder::new(&mut out);
        if let Some(profile) = profile {
            let _ = encoder.set_icc_profile(profile);
        }
        ("image/png", picture.write_with_encoder(encoder))
    };
    result.map_err(|e| invalid(format!("a smaller copy cannot be made: {e}")))?;
    if out.len() as u64 >= asset.bytes {
        return Ok(None);
    }
    Ok(Some(Prepared {
        asset: Asset {
            sha256: sha256_hex(&out),
            name: asset.name.clone(),
            mime: mime.to_owned(),
            bytes: out.len() as u64,
            width: picture.width(),
            height: picture.height(),
        },
        bytes: out,
    }))
}

/// Most requests to a destination at once about images (asking whether it has them).
const AT_ONCE: usize = 32;

/// Uploads every image `content` shows (and its cover) to the content API `api` — each at most
/// `max_width` wide (`scaled`) — once: one uploaded there before (`asset_uploads`) is
/// only asked for, and sent again if the API no longer has it. Answers the images sent
/// as a downscaled copy: SHA-256 → the copy's (`PutDocument::images`). An image missing
/// from the workspace is an error before anything is published.
pub async fn upload_to_api(
    store: &std::sync::Mutex<crate::Store>,
    api: &crate::client::ContentApi,
    content: &crate::revision::Content,
    max_width: u32,
) -> Result<std::collections::BTreeMap<String, String>> {
    use futures_util::stream::{self, StreamExt, TryStreamExt};
    let target = format!("api {}", api.base_url());
    let mut copies = std::collections::BTreeMap::new();
    let mut sent_shas = Vec::new();
    for sha in published(content) {
        let copy = scaled(store, &sha, max_width).await?;
        if copy.sha256 != sha {
            copies.insert(sha, copy.sha256.clone());
        }
        let recorded = crate::store::lock(store)
            .uploaded(&target, &copy.sha256)?
            .is_some();
        sent_shas.push((copy.sha256, recorded));
    }
    // Recorded as there: asked, a few at a time (no bytes come back), since the API
    // may have lost them (a fresh database at the same address).
    let missing: Vec<String> = stream::iter(sent_shas)
        .map(|(sha, recorded)| async move {
            let there = recorded && api.has_asset(&sha).await?;
            Ok::<_, Error>((!there).then_some(sha))
        })
        .buffered(AT_ONCE)
        .try_filter_map(|sha| async move { Ok(sha) })
        .try_collect()
        .await?;
    for sha256 in missing {
        let (asset, bytes) = open(&crate::store::lock(store), &sha256)?;
        let url = api.put_asset(&sha256, &asset.mime, &bytes).await?;
        let upload = Upload {
            url,
            id: String::new(),
        };
        crate::store::lock(store).set_uploaded(&target, &sha256, &upload)?;
    }
    Ok(copies)
}

/// Every asset a publish of `content` sends: the images its markdown shows, then its
/// cover (front matter `cover:`), each once.
pub fn published(content: &crate::revision::Content) -> Vec<String> {
    let mut wanted = references(&content.markdown);
    if let Some(cover) = crate::cms::cover_of(&content.front_matter) {
        if !wanted.iter().any(|w| w == cover) {
            wanted.push(cover.to_owned());
        }
    }
    wanted
}

/// Whether `text` is an asset's name: 64 lowercase hex digits.
pub fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Every asset `markdown` shows as an image, in order, each once (footnotes and raw
/// `<img>` included: `markdown::asset_refs`).
pub fn references(markdown: &str) -> Vec<String> {
    crate::markdown::asset_refs(markdown)
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
    use std::os::unix::fs::OpenOptionsExt;
    // Opened without waiting (a FIFO would block until someone writes), then checked.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(io)?;
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

    /// A JPEG `w`×`h` whose EXIF says `orientation`, with a GPS tag beside it.
    fn jpeg_turned(w: u32, h: u32, orientation: u16) -> Vec<u8> {
        use img_parts::{Bytes, ImageEXIF};
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([90, 90, 90]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
        let mut jpeg = img_parts::jpeg::Jpeg::from_bytes(Bytes::from(out.into_inner())).unwrap();
        // II*, IFD at 8: two entries (Orientation; a GPS pointer), then the GPS text.
        let mut exif = b"II*\0\x08\0\0\0\x02\0".to_vec();
        exif.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0]);
        exif.extend_from_slice(&orientation.to_le_bytes());
        exif.extend_from_slice(&[0, 0]);
        exif.extend_from_slice(&[0x25, 0x88, 4, 0, 1, 0, 0, 0, 38, 0, 0, 0]);
        exif.extend_from_slice(&[0, 0, 0, 0]);
        exif.extend_from_slice(b"GPSLatitude 48.8584 N");
        jpeg.set_exif(Some(Bytes::from(exif)));
        jpeg.encoder().bytes().to_vec()
    }

    #[test]
    fn a_photo_taken_upright_stays_upright_without_its_gps() {
        let turned = jpeg_turned(40, 20, 6);
        assert_eq!(
            orientation(&turned, image::ImageFormat::Jpeg),
            Some(image::metadata::Orientation::Rotate90)
        );
        let p = prepare(&turned, "portrait.jpg", false).unwrap();
        assert!(!p.bytes.windows(11).any(|w| w == b"GPSLatitude"));
        assert_eq!(
            orientation(&p.bytes, image::ImageFormat::Jpeg),
            Some(image::metadata::Orientation::Rotate90),
            "the orientation alone is kept"
        );
        assert_eq!((p.asset.width, p.asset.height), (20, 40), "as it shows");
        // An upright photo needs no EXIF at all.
        let plain = prepare(&jpeg_turned(8, 8, 1), "plain.jpg", false).unwrap();
        assert!(!plain.bytes.windows(4).any(|w| w == b"Exif"));
    }

    #[test]
    fn what_follows_a_jpeg_end_is_cut_with_its_metadata() {
        // A second picture after the first (as in MPO files and gain maps), with its
        // own EXIF and GPS, and an MPF index in the first.
        let first = jpeg_turned(16, 16, 1);
        let mut mpo = first.clone();
        mpo.extend_from_slice(&jpeg_with_gps());
        let p = prepare(&mpo, "mpo.jpg", false).unwrap();
        assert!(
            !p.bytes.windows(11).any(|w| w == b"GPSLatitude"),
            "second picture's GPS gone"
        );
        assert_eq!(&p.bytes[p.bytes.len() - 2..], &[0xFF, 0xD9]);
        assert_eq!(jpeg_end(&p.bytes), Some(p.bytes.len()));
        let again = image::load_from_memory(&p.bytes).unwrap();
        assert_eq!(again.width(), 16);
    }

    #[test]
    fn an_animation_too_big_to_show_is_refused() {
        // A GIF of 100 frames, each 4000×4000 and all but empty: a few kilobytes that
        // ask a browser for 1.6 G pixels.
        let mut gif = b"GIF89a".to_vec();
        gif.extend_from_slice(&4000u16.to_le_bytes());
        gif.extend_from_slice(&4000u16.to_le_bytes());
        gif.extend_from_slice(&[0x80, 0, 0, 0, 0, 0, 255, 255, 255]);
        for _ in 0..100 {
            gif.push(0x2C);
            gif.extend_from_slice(&[0, 0, 0, 0]);
            gif.extend_from_slice(&4000u16.to_le_bytes());
            gif.extend_from_slice(&4000u16.to_le_bytes());
            // No local palette; LZW minimum code size 2; one block: clear, end.
            gif.extend_from_slice(&[0, 2, 1, 0x2C, 0]);
        }
        gif.push(0x3B);
        assert!(gif.len() < 2000);
        let refused = prepare(&gif, "loop.gif", false).unwrap_err();
        assert!(refused.to_string().contains("animation"), "{refused}");
        assert!(frames(&gif, image::ImageFormat::Gif).is_err());
        // Tiny frames on a huge canvas: each is drawn on the whole canvas.
        let mut tiny = b"GIF89a".to_vec();
        tiny.extend_from_slice(&8000u16.to_le_bytes());
        tiny.extend_from_slice(&8000u16.to_le_bytes());
        tiny.extend_from_slice(&[0x80, 0, 0, 0, 0, 0, 255, 255, 255]);
        for _ in 0..20 {
            tiny.extend_from_slice(&[0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 1, 0x2C, 0]);
        }
        tiny.push(0x3B);
        assert!(frames(&tiny, image::ImageFormat::Gif).is_err());
        // One such frame alone is a still image: counted, not refused for it.
        let still = [&gif[..13 + 6 + 14], &[0x3B]].concat();
        assert_eq!(frames(&still, image::ImageFormat::Gif), Ok(1));
    }

    #[test]
    fn a_wide_photo_goes_out_as_a_smaller_upright_copy_made_once() {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let store = crate::Store::open(dir.path().join("workspace.db")).unwrap();
        let store = std::sync::Mutex::new(store);
        // Noise, so that the copy is smaller in bytes too.
        let noisy = image::RgbImage::from_fn(1200, 600, |x, y| {
            image::Rgb([
                (x * 7 % 251) as u8,
                (y * 13 % 241) as u8,
                ((x ^ y) % 239) as u8,
            ])
        });
        let mut bytes = Cursor::new(Vec::new());
        noisy.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
        let wide = add(
            &mut crate::store::lock(&store),
            bytes.get_ref(),
            "wide.png",
            false,
        )
        .unwrap();
        let copy = rt.block_on(scaled(&store, &wide.sha256, 300)).unwrap();
        assert_ne!(copy.sha256, wide.sha256);
        assert_eq!((copy.width, copy.height), (300, 150));
        assert!(copy.bytes < wide.bytes);
        assert_eq!(
            rt.block_on(scaled(&store, &wide.sha256, 300)).unwrap(),
            copy,
            "made once"
        );
        assert_eq!(
            crate::store::lock(&store)
                .asset_copies(&wide.sha256)
                .unwrap(),
            vec![copy.sha256.clone()]
        );
        // No wider than asked, or no limit: the image itself.
        assert_eq!(
            rt.block_on(scaled(&store, &wide.sha256, 2000)).unwrap(),
            wide
        );
        assert_eq!(rt.block_on(scaled(&store, &wide.sha256, 0)).unwrap(), wide);
        // A portrait photo is scaled as it shows.
        let turned = jpeg_turned(800, 400, 6);
        let portrait = add(&mut crate::store::lock(&store), &turned, "p.jpg", false).unwrap();
        assert_eq!((portrait.width, portrait.height), (400, 800));
        let copy = rt.block_on(scaled(&store, &portrait.sha256, 100));
        let copy = copy.unwrap();
        if copy.sha256 != portrait.sha256 {
            assert_eq!((copy.width, copy.height), (100, 200));
        }
    }

    #[test]
    fn a_fifo_is_not_waited_on() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.png");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let refused = read_file(&fifo).unwrap_err();
        assert!(
            refused.to_string().contains("not a regular file"),
            "{refused}"
        );
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
