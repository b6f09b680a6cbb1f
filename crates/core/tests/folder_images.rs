//! Folders carry their images: an import takes in what a file shows by a relative
//! path or Obsidian's `![[…]]`, refuses what is outside the folder, a link or missing
//! (reporting each, the text kept), and an export writes the images beside the
//! markdown so that importing it again gives the same images.

use std::io::Cursor;

use pressroom_core::{assets, folder, Store};

fn png(r: u8) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(12, 8, image::Rgb([r, 80, 40]));
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

#[test]
fn images_come_in_with_their_files_and_go_out_beside_them() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    std::fs::create_dir_all(site.join("posts/img")).unwrap();
    std::fs::write(site.join("posts/img/roof.png"), png(200)).unwrap();
    std::fs::write(site.join("dot.png"), png(10)).unwrap();
    std::fs::write(tmp.path().join("outside.png"), png(99)).unwrap();
    std::os::unix::fs::symlink("/etc/hostname", site.join("posts/img/link.png")).unwrap();
    std::fs::write(
        site.join("posts/trip.md"),
        "---\ntitle: Trip\n---\n![Roof](img/roof.png)\n\n![[dot.png|A dot]]\n\n\
         ![Out](../../outside.png) ![Gone](img/missing.png) ![Link](img/link.png)\n",
    )
    .unwrap();

    let mut store = Store::open(tmp.path().join("ws/workspace.db")).unwrap();
    let report = folder::import(&mut store, &site).unwrap();
    assert_eq!(report.created, ["trip"]);
    assert_eq!(report.images, 2, "{report:?}");
    let missing: Vec<&str> = report
        .missing_images
        .iter()
        .map(|m| m.message.as_str())
        .collect();
    assert_eq!(missing.len(), 3, "{missing:?}");
    assert!(missing.iter().any(|m| m.contains("outside")), "{missing:?}");
    let source = store.get("trip").unwrap().source;
    let shas = assets::references(&source);
    assert_eq!(shas.len(), 2, "{source}");
    assert!(source.contains("![A dot](asset:"), "{source}");
    assert!(
        source.contains("![Gone](img/missing.png)"),
        "kept as it was: {source}"
    );

    // Exported beside the markdown, referred to by name; imported again: the same.
    let out = tmp.path().join("export");
    folder::export(&store, &out).unwrap();
    let exported = std::fs::read_to_string(out.join("trip.md")).unwrap();
    for sha in &shas {
        let asset = store.asset(sha).unwrap();
        let name = pressroom_core::cms::upload_name(&asset);
        assert!(out.join(&name).is_file(), "{name}");
        assert!(exported.contains(&format!("]({name})")), "{exported}");
    }
    assert!(!exported.contains("asset:"), "{exported}");
    let mut again = Store::open(tmp.path().join("ws2/workspace.db")).unwrap();
    let second = folder::import(&mut again, &out).unwrap();
    assert_eq!(second.images, 2, "{second:?}");
    assert_eq!(assets::references(&again.get("trip").unwrap().source), shas);
}

#[test]
fn the_path_is_found_where_the_markdown_names_it_and_a_lone_file_imports() {
    let tmp = tempfile::tempdir().unwrap();
    let site = tmp.path().join("site");
    std::fs::create_dir_all(&site).unwrap();
    std::fs::write(site.join("a.png"), png(30)).unwrap();
    // The alt text and the title both spell the path: only the destination changes;
    // an image inside a footnote comes in too.
    std::fs::write(
        site.join("note.md"),
        "---\ntitle: Note\n---\n![a.png](a.png \"a.png\")\n\nText[^1].\n\n[^1]: ![a.png](  a.png  )\n",
    )
    .unwrap();
    let mut store = Store::open(tmp.path().join("ws/workspace.db")).unwrap();
    // A file named alone (its parent is the current folder) imports with its images.
    let cwd = std::env::current_dir().unwrap();
    std::env::set_current_dir(&site).unwrap();
    let report = folder::import(&mut store, std::path::Path::new("note.md"));
    std::env::set_current_dir(cwd).unwrap();
    let report = report.unwrap();
    assert_eq!(report.images, 2, "{report:?}");
    let source = store.get("note").unwrap().source;
    let sha = assets::references(&source);
    assert_eq!(sha.len(), 1, "{source}");
    assert!(
        source.contains(&format!("![a.png](asset:{} \"a.png\")", sha[0])),
        "{source}"
    );
    assert!(
        source.contains(&format!("[^1]: ![a.png](  asset:{}  )", sha[0])),
        "{source}"
    );
}
