//! `pressroom doc image`: a photo taken into the workspace by its bytes (a JPEG named
//! .png is a JPEG), its GPS position gone, stored once however often it is added, the
//! draft given `![alt](asset:…)`; what is not an image, or is cut short, refused with
//! the draft untouched.

mod support;

use std::io::Cursor;

use support::{ok, run};

/// A JPEG whose EXIF block carries a GPS position.
fn photo_with_gps() -> Vec<u8> {
    use img_parts::{Bytes, ImageEXIF};
    let img = image::RgbImage::from_pixel(32, 24, image::Rgb([30, 90, 160]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    let mut jpeg = img_parts::jpeg::Jpeg::from_bytes(Bytes::from(out.into_inner())).unwrap();
    let mut exif = b"II*\0\x08\0\0\0".to_vec();
    exif.extend_from_slice(b"GPSLatitude 48.8584 N GPSLongitude 2.2945 E");
    jpeg.set_exif(Some(Bytes::from(exif)));
    jpeg.encoder().bytes().to_vec()
}

#[test]
fn a_photo_goes_in_once_without_its_gps_and_bad_files_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path();
    ok(ws, &["doc", "new", "trip", "--title", "Trip"]);
    let photo = ws.join("holiday.png");
    std::fs::write(&photo, photo_with_gps()).unwrap();

    let added = ok(
        ws,
        &[
            "doc",
            "image",
            "trip",
            photo.to_str().unwrap(),
            "--alt",
            "The tower",
        ],
    );
    let sha = added
        .trim()
        .strip_prefix("![The tower](asset:")
        .and_then(|s| s.strip_suffix(')'))
        .unwrap_or_else(|| panic!("{added}"))
        .to_owned();
    assert!(ok(ws, &["doc", "show", "trip"]).ends_with(&format!("{}\n", added.trim())));
    let stored = std::fs::read(ws.join("assets").join(&sha)).unwrap();
    assert!(
        stored.starts_with(&[0xFF, 0xD8]),
        "a JPEG, whatever its name"
    );
    assert!(!stored.windows(11).any(|w| w == b"GPSLatitude"), "no GPS");
    assert_eq!(image::load_from_memory(&stored).unwrap().width(), 32);

    // The same photo again: one file.
    ok(ws, &["doc", "image", "trip", photo.to_str().unwrap()]);
    assert_eq!(std::fs::read_dir(ws.join("assets")).unwrap().count(), 1);

    // Not an image, a cut one, a folder: refused, the draft as it was.
    let before = ok(ws, &["doc", "show", "trip"]);
    let text = ws.join("notes.png");
    std::fs::write(&text, "not an image at all").unwrap();
    let mut cut = photo_with_gps();
    cut.truncate(cut.len() / 3);
    let cut_path = ws.join("cut.jpg");
    std::fs::write(&cut_path, cut).unwrap();
    for (file, says) in [
        (text.to_str().unwrap(), "not an image"),
        (cut_path.to_str().unwrap(), "cannot be read"),
        (ws.to_str().unwrap(), "not a regular file"),
    ] {
        let out = run(ws, &["doc", "image", "trip", file]);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{file}: {err}");
    }
    assert_eq!(ok(ws, &["doc", "show", "trip"]), before);
}
