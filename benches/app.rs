//! `scripts/bench-app.sh` (which builds both apps in release first): the Pressroom
//! window against a minimal Tauri "hello" app (`crates/hello-app`) built the same way,
//! on the same virtual display, rounds alternating between them.
//!
//! - launch to interactive: from spawning the process to its "interactive" line (the
//!   page is up and its first call into Rust came back; for Pressroom, the first
//!   document and its preview are on screen);
//! - idle memory: PSS summed over the app and every process it started (WebKit's web
//!   and network processes), read 3 s after interactive;
//! - keystroke to preview on a 100 KB document: from a character typed into the
//!   editor to the preview's DOM showing it, through tauri-driver.
//!
//! - large workspaces: launch to interactive and idle memory with 10 000 article-length
//!   documents against one document, rounds alternating (PRESSROOM_BENCH_LARGE_ONLY=1
//!   runs only this part).
//!
//! PRESSROOM_APP_BIN names another build of the app (the installed package's), and
//! PRESSROOM_BENCH_LAUNCH_ONLY=1 stops after the launches (scripts/bench-package.sh).
//!
//! Goals: at most 1.5x the hello app's memory, under 1 s to interactive (release,
//! #16), under 16 ms keystroke to preview (medians); 10 000 documents at most 1.2x the
//! launch time and memory of one (issue #18).

#[path = "../tests/support/mod.rs"]
mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use fantoccini::{ClientBuilder, Locator};
use serde_json::json;
use support::{Display, Driver, Guard};

const ROUNDS: usize = 5;
const KEYSTROKES: usize = 40;

struct Launch {
    interactive: Duration,
    pss_kb: u64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Median launch-to-interactive time (ms) and idle memory (MB) of `launches`.
fn median_ms(launches: &[Launch]) -> f64 {
    median(
        launches
            .iter()
            .map(|l| l.interactive.as_secs_f64() * 1e3)
            .collect(),
    )
}
fn median_mb(launches: &[Launch]) -> f64 {
    median(launches.iter().map(|l| l.pss_kb as f64 / 1024.0).collect())
}

/// `ROUNDS` launches of each of `a` and `b` (an app and its workspace), alternating
/// which goes first; each round printed with the two names.
fn alternate(
    display: &Display,
    (a_name, a_exe, a_dir): (&str, &Path, &Path),
    (b_name, b_exe, b_dir): (&str, &Path, &Path),
) -> (Vec<Launch>, Vec<Launch>) {
    let (mut a_runs, mut b_runs) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let (a, b) = if round % 2 == 0 {
            let a = launch(display, a_exe, a_dir);
            (a, launch(display, b_exe, b_dir))
        } else {
            let b = launch(display, b_exe, b_dir);
            (launch(display, a_exe, a_dir), b)
        };
        println!(
            "round {}: {a_name} {:>5} ms {:>7} kB PSS   {b_name} {:>5} ms {:>7} kB PSS",
            round + 1,
            a.interactive.as_millis(),
            a.pss_kb,
            b.interactive.as_millis(),
            b.pss_kb
        );
        a_runs.push(a);
        b_runs.push(b);
    }
    (a_runs, b_runs)
}

/// Every process whose parent chain leads to `root`, and `root` itself.
fn descendants(root: u32) -> Vec<u32> {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // The command name is in parentheses and may hold spaces: fields follow the ')'.
        let Some(after) = stat.rsplit_once(')').map(|(_, rest)| rest) else {
            continue;
        };
        if let Some(ppid) = after.split_whitespace().nth(1).and_then(|p| p.parse().ok()) {
            parents.push((pid, ppid));
        }
    }
    let mut found = vec![root];
    let mut i = 0;
    while i < found.len() {
        let parent = found[i];
        found.extend(
            parents
                .iter()
                .filter(|(_, pp)| *pp == parent)
                .map(|(p, _)| *p),
        );
        i += 1;
    }
    found
}

fn pss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Pss:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The pid of the process running `exe` among `root`'s descendants.
fn find_exe(root: u32, exe: &Path) -> Option<u32> {
    let want = std::fs::canonicalize(exe).ok()?;
    descendants(root)
        .into_iter()
        .find(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).ok().as_ref() == Some(&want))
}

/// Starts `exe` on `display` in a private D-Bus session (as the GUI tests do), waits
/// for its "interactive" line, lets it idle, and measures it.
fn launch(display: &Display, exe: &Path, data_dir: &Path) -> Launch {
    let mut cmd = Command::new("dbus-run-session");
    cmd.arg("--")
        .arg(exe)
        .env("DISPLAY", &display.name)
        .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
        .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
        .env("NO_AT_BRIDGE", "1")
        .env("PRESSROOM_DATA_DIR", data_dir)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let start = Instant::now();
    let mut guard = Guard::spawn("app under benchmark", &mut cmd);
    let stdout = guard.take_stdout();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("interactive") {
                let _ = tx.send(start.elapsed());
            }
        }
    });
    let interactive = rx
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("{} never became interactive", exe.display()));
    std::thread::sleep(Duration::from_secs(3));
    let app = find_exe(guard.pid(), exe).expect("the app process");
    let pss_kb = descendants(app).into_iter().map(pss_kb).sum();
    drop(guard);
    Launch {
        interactive,
        pss_kb,
    }
}

/// About 100 KB of varied markdown.
fn big_document() -> String {
    let mut s = String::from("---\ntitle: A hundred kilobytes\ntags: [bench]\n---\n");
    let mut i = 0;
    while s.len() < 100 * 1024 {
        i += 1;
        s.push_str(&format!(
            "## Section {i}\n\nParagraph {i} with *emphasis*, **strong text**, `code` and a \
             [link](https://example.com/{i}). Lorem ipsum dolor sit amet, consectetur \
             adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore.\n\n\
             - item one of {i}\n- item two of {i}\n\n> A quote in section {i}.\n\n"
        ));
    }
    s.push_str("The last paragraph, where the typing happens.");
    s
}

/// Types `KEYSTROKES` times into the 100 KB document (at the end of the last line the
/// editor has on screen — it renders only what is visible); per keystroke, the time
/// until the preview's DOM shows what was typed.
async fn keystrokes(driver: &Driver, exe: &Path) -> Vec<f64> {
    let mut caps = serde_json::Map::new();
    caps.insert("browserName".into(), json!("wry"));
    caps.insert("tauri:options".into(), json!({ "application": exe }));
    let client = ClientBuilder::rustls()
        .expect("TLS roots")
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("WebDriver session with the app");
    let deadline = Instant::now() + Duration::from_secs(60);
    while client.find(Locator::Css(".preview h2")).await.is_err() {
        assert!(Instant::now() < deadline, "the document never rendered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let times = client
        .execute_async(
            "const [n, done] = [arguments[0], arguments[arguments.length - 1]];
             const c = document.querySelector('.cm-content'); c.focus();
             const r = document.createRange(); r.selectNodeContents(c.lastElementChild);
             r.collapse(false); const s = getSelection(); s.removeAllRanges(); s.addRange(r);
             const preview = document.querySelector('.preview');
             const times = [];
             let i = 0;
             function one() {
               if (i >= n) return done(times);
               const token = 'k' + i + 'q';
               const t0 = performance.now();
               const seen = new MutationObserver((records) => {
                 const shows = records.some((m) => m.type === 'characterData'
                   ? (m.target.textContent || '').includes(token)
                   : Array.from(m.addedNodes).some((n) => (n.textContent || '').includes(token)));
                 if (shows) {
                   seen.disconnect();
                   times.push(performance.now() - t0);
                   i++;
                   setTimeout(one, 80);
                 }
               });
               seen.observe(preview, { childList: true, subtree: true, characterData: true });
               document.execCommand('insertText', false, ' ' + token);
             }
             setTimeout(one, 300);",
            vec![json!(KEYSTROKES)],
        )
        .await
        .expect("keystroke timings");
    let _ = client.close().await;
    serde_json::from_value(times).expect("a list of milliseconds")
}

/// Launch time and memory with 10 000 documents against one, rounds alternating.
fn large_workspaces(display: &Display, app: &Path) {
    let one = pressroom_testkit::workspace_of_articles(1);
    let many = pressroom_testkit::workspace_of_articles(10_000);
    // First starts: the app settles each workspace (sandbox settings, caches).
    let _ = launch(display, app, one.path());
    let _ = launch(display, app, many.path());
    let (small, large) = alternate(
        display,
        ("1 document", app, one.path()),
        ("10 000 documents", app, many.path()),
    );
    let (ms, mb) = (median_ms, median_mb);
    println!(
        "large workspace, launch to interactive: 10 000 documents median {:.0} ms, 1 document median {:.0} ms, ratio {:.2}x (goal <= 1.2x)",
        ms(&large),
        ms(&small),
        ms(&large) / ms(&small)
    );
    println!(
        "large workspace, idle memory (PSS): 10 000 documents median {:.1} MB, 1 document median {:.1} MB, ratio {:.2}x (goal <= 1.2x)",
        mb(&large),
        mb(&small),
        mb(&large) / mb(&small)
    );
}

fn main() {
    // PRESSROOM_APP_BIN: another build of the app (the installed package's:
    // scripts/bench-package.sh).
    let app = std::env::var_os("PRESSROOM_APP_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_pressroom-app")));
    if std::env::var_os("PRESSROOM_BENCH_LARGE_ONLY").is_some() {
        large_workspaces(&Display::start(), &app);
        return;
    }
    let hello = std::env::var_os("PRESSROOM_HELLO_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_BIN_EXE_pressroom-app")).with_file_name("pressroom-hello")
        });
    assert!(
        hello.is_file(),
        "{} is missing: run scripts/bench-app.sh",
        hello.display()
    );
    let display = Display::start();
    let data = tempfile::tempdir().unwrap();
    // PRESSROOM_BENCH_KEYSTROKES_ONLY=1: only the keystroke benchmark.
    if std::env::var_os("PRESSROOM_BENCH_KEYSTROKES_ONLY").is_none() {
        // One launch each first: the app creates its sandbox workspace, caches warm up.
        let first = launch(&display, &app, data.path());
        let _ = launch(&display, &hello, data.path());
        println!(
            "first start (sandbox created): {} ms to interactive",
            first.interactive.as_millis()
        );

        let (ours, theirs) = alternate(
            &display,
            ("pressroom", &app, data.path()),
            ("hello", &hello, data.path()),
        );
        let (ms, mb) = (median_ms, median_mb);
        println!(
        "launch to interactive: pressroom median {:.0} ms, hello median {:.0} ms (goal < 1000 ms)",
        ms(&ours),
        ms(&theirs)
    );
        println!(
        "idle memory (PSS, all processes): pressroom median {:.1} MB, hello median {:.1} MB, ratio {:.2}x (goal <= 1.5x)",
        mb(&ours),
        mb(&theirs),
        mb(&ours) / mb(&theirs)
    );
    }

    // PRESSROOM_BENCH_LAUNCH_ONLY=1: only the launches above.
    if std::env::var_os("PRESSROOM_BENCH_LAUNCH_ONLY").is_some() {
        return;
    }
    large_workspaces(&display, &app);

    // Keystroke to preview, on a workspace holding one 100 KB document.
    let big = tempfile::tempdir().unwrap();
    {
        let mut store =
            pressroom_core::Store::open(pressroom_core::workspace::database_path(big.path()))
                .unwrap();
        store.create("big", &big_document()).unwrap();
    }
    let driver = Driver::start(&display, &[("PRESSROOM_DATA_DIR", big.path())]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let times = rt.block_on(keystrokes(&driver, &app));
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "keystroke to preview on a {} KB document: median {:.1} ms, p95 {:.1} ms over {} keystrokes (goal < 16 ms median)",
        big_document().len() / 1024,
        median(times),
        sorted[sorted.len() * 95 / 100],
        sorted.len()
    );
}
