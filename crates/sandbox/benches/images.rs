//! `cargo bench -p pressroom-sandbox --bench images`: publishing a document that shows
//! 20 images of about 2 MB each to the sandbox's content API — Pressroom (each image
//! read from the workspace and PUT to `/v1/assets/{sha256}`, then the document, its
//! publish record and webhook) against the same 20 uploads made by a bare reqwest loop
//! in the same run, rounds alternating (goal: at most 1.2x). Then a re-publish with the
//! images unchanged (nothing uploaded again) against a publish of a text-only document
//! (goal: under 100 ms more).

mod common;

use std::time::{Duration, Instant};

use pressroom_core::publish::{LiveWait, TOKEN_REF};
use pressroom_core::store::lock;
use pressroom_core::{assets, Store};
use pressroom_sandbox::Mode;

const IMAGES: usize = 20;
const ROUNDS: usize = 5;
/// A side of the noise picture: 820² pixels of RGB noise is about 2 MB as PNG.
const SIDE: u32 = 820;

/// A picture of noise (it does not compress: about 2 MB), different for each `seed`.
fn noise_png(seed: u64) -> Vec<u8> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let img = image::RgbImage::from_fn(SIDE, SIDE, |_, _| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let b = (state >> 33).to_le_bytes();
        image::Rgb([b[0], b[1], b[2]])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let bench = rt.block_on(common::Bench::start(Mode::ExpireNow));
    let api = bench.sandbox.api_url.trim_end_matches('/').to_owned();
    let token = bench.secrets.get(TOKEN_REF).unwrap().unwrap().current;
    let http = reqwest::Client::new();
    let (mut ours, mut theirs, mut again, mut text_only) = (vec![], vec![], vec![], vec![]);
    let mut bytes_sent = 0;
    for round in 0..ROUNDS {
        // Fresh pictures each round, for each side: nothing was uploaded before.
        let mine: Vec<Vec<u8>> = (0..IMAGES)
            .map(|i| noise_png((round * 100 + i) as u64))
            .collect();
        let bare: Vec<Vec<u8>> = (0..IMAGES)
            .map(|i| noise_png((round * 100 + 50 + i) as u64))
            .collect();
        bytes_sent = mine.iter().map(Vec::len).sum::<usize>();
        let refs: Vec<String> = {
            let mut store = lock(&bench.store);
            mine.iter()
                .enumerate()
                .map(|(i, bytes)| {
                    assets::add(&mut store, bytes, &format!("photo-{i}.png"), false)
                        .unwrap()
                        .markdown(&format!("Photo {i}"))
                })
                .collect()
        };
        let save = |store: &mut Store, text: &str| {
            let source = format!(
                "---\ntitle: Pictures {round}\n---\n{text}\n\n{}\n",
                refs.join("\n\n")
            );
            store.save("welcome", &source).unwrap();
        };
        save(&mut lock(&bench.store), "The first text.");
        let publish = |slug: &'static str| {
            let start = Instant::now();
            rt.block_on(bench.publisher.publish(&bench.targets, slug, LiveWait::No))
                .unwrap();
            start.elapsed()
        };
        let upload_bare = || {
            let start = Instant::now();
            rt.block_on(async {
                for bytes in &bare {
                    let sha = assets::sha256_hex(bytes);
                    let r = http
                        .put(format!("{api}/v1/assets/{sha}"))
                        .bearer_auth(&token)
                        .header("content-type", "image/png")
                        .body(bytes.clone())
                        .send()
                        .await
                        .unwrap();
                    assert!(r.status().is_success(), "{}", r.status());
                }
            });
            start.elapsed()
        };
        if round % 2 == 0 {
            ours.push(ms(publish("welcome")));
            theirs.push(ms(upload_bare()));
        } else {
            theirs.push(ms(upload_bare()));
            ours.push(ms(publish("welcome")));
        }
        // The same images, the text changed: nothing to upload.
        save(&mut lock(&bench.store), "The second text.");
        {
            let mut store = lock(&bench.store);
            let notes = store.get("release-notes").unwrap().source;
            store
                .save("release-notes", &format!("{notes}\nRound {round}.\n"))
                .unwrap();
        }
        if round % 2 == 0 {
            again.push(ms(publish("welcome")));
            text_only.push(ms(publish("release-notes")));
        } else {
            text_only.push(ms(publish("release-notes")));
            again.push(ms(publish("welcome")));
        }
    }
    let o = common::report("publish with 20 new images (pressroom)", ours);
    let t = common::report("the same 20 uploads (bare reqwest loop)", theirs);
    let a = common::report("re-publish, images unchanged", again);
    let x = common::report("publish of a text-only document", text_only);
    println!(
        "20 images, {:.1} MB in all: ratio {:.2}x (goal <= 1.2x); re-publish {:+.1} ms over \
         a text-only publish (goal < 100 ms)",
        bytes_sent as f64 / 1e6,
        o / t,
        a - x
    );
    // A camera's photo (4000×3000 JPEG) to a destination that takes 2560 px: the
    // downscaled copy is made at its first publish, once.
    let mut copies = Vec::new();
    for round in 0..3u8 {
        let photo = image::RgbImage::from_fn(4000, 3000, |x, y| {
            image::Rgb([
                (x / 16) as u8 ^ round,
                (y / 12) as u8,
                ((x + y) % 256) as u8,
            ])
        });
        let mut jpeg = std::io::Cursor::new(Vec::new());
        photo.write_to(&mut jpeg, image::ImageFormat::Jpeg).unwrap();
        let asset =
            assets::add(&mut lock(&bench.store), jpeg.get_ref(), "camera.jpg", false).unwrap();
        let start = Instant::now();
        let copy = rt
            .block_on(assets::scaled(&bench.store, &asset.sha256, 2560))
            .unwrap();
        copies.push(ms(start.elapsed()));
        assert_eq!(copy.width, 2560);
    }
    common::report("downscaled copy of a 4000x3000 photo, made once", copies);
    rt.block_on(bench.sandbox.stop());
}
