//! The window only ever shows the app itself. A link clicked anywhere in it (the
//! preview, a message) must not navigate the main window away — that would leave the
//! editor, and with it any unsaved text, for a page that could reach the app's
//! commands. Web links open in the system browser instead; everything else is refused.

use tauri::plugin::TauriPlugin;
use tauri::{Manager, Runtime, Url};
use tauri_plugin_opener::OpenerExt;

pub fn guard<R: Runtime>() -> TauriPlugin<R> {
    tauri::plugin::Builder::new("navigation-guard")
        .on_navigation(|webview, url| {
            if is_the_app(url) {
                return true;
            }
            if matches!(url.scheme(), "http" | "https" | "mailto") {
                tracing::info!(%url, "opening a link in the browser");
                if let Err(e) = webview
                    .app_handle()
                    .opener()
                    .open_url(url.as_str(), None::<&str>)
                {
                    tracing::warn!(%url, error = %e, "could not open the browser");
                }
            } else {
                tracing::warn!(%url, "navigation refused");
            }
            false
        })
        .build()
}

/// The app's own pages: `tauri://localhost` (Linux, macOS), `http(s)://tauri.localhost`
/// (Windows), and the blank and `srcdoc` documents of its frames.
fn is_the_app(url: &Url) -> bool {
    match url.scheme() {
        "tauri" => url.host_str() == Some("localhost"),
        "http" | "https" => url.host_str() == Some("tauri.localhost"),
        "about" => matches!(url.path(), "blank" | "srcdoc"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_apps_own_pages_are_navigated_to() {
        for ok in [
            "tauri://localhost/",
            "tauri://localhost/index.html#x",
            "http://tauri.localhost/",
            "about:blank",
            "about:srcdoc",
        ] {
            assert!(is_the_app(&Url::parse(ok).unwrap()), "{ok}");
        }
        for no in [
            "https://example.com/",
            "http://127.0.0.1:3000/posts/hello",
            "tauri://evil/",
            "file:///etc/passwd",
            "javascript:alert(1)",
            "data:text/html,hi",
            "http://tauri.localhost.evil.com/",
        ] {
            assert!(!is_the_app(&Url::parse(no).unwrap()), "{no}");
        }
    }
}
