//! Golden fixtures for the renderer: every `tests/data/markdown/*.md` must render to
//! the `.html` beside it. Run with `UPDATE_GOLDEN=1` to rewrite the expectations after
//! an intended change, then read the diff.

use std::path::Path;

use pressroom_core::markdown::render;

#[test]
fn golden_fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/markdown");
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut checked = 0;
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .collect();
    entries.sort();
    let mut failures = Vec::new();
    for md in entries {
        let html_path = md.with_extension("html");
        let actual = render(&std::fs::read_to_string(&md).unwrap());
        if update {
            std::fs::write(&html_path, &actual).unwrap();
        }
        let expected = std::fs::read_to_string(&html_path)
            .unwrap_or_else(|_| panic!("missing {}", html_path.display()));
        if actual != expected {
            failures.push(format!(
                "{}:\n--- expected\n{expected}\n--- actual\n{actual}",
                md.display()
            ));
        }
        checked += 1;
    }
    assert!(checked >= 5, "fixtures not found in {}", dir.display());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Independent of the fixtures: no output may carry anything executable.
#[test]
fn xss_attempts_are_neutralised() {
    let attacks = [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "<a href=\"javascript&#58;alert(1)\">x</a>",
        "<svg onload=alert(1)><circle/></svg>",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<div style=\"background:url(javascript:alert(1))\">x</div>",
        "<form action=\"https://evil.example\"><button>go</button></form>",
        "![x](javascript:alert(1))",
        "<input type=\"text\" onfocus=alert(1) autofocus>",
        "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">x</a>",
        "| a |\n|---|\n| <td style=\"x:expression(alert(1))\"> |",
        "```\"><script>alert(1)</script>\nx\n```",
        "<object data=\"x.swf\"></object><embed src=\"x.swf\">",
        "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">",
        "<base href=\"https://evil.example/\">",
        "<style>body{display:none}</style>",
    ];
    for attack in attacks {
        let html = render(attack).to_ascii_lowercase();
        for forbidden in [
            "<script", "onerror", "onload", "onfocus", "javascript:", "<iframe", "<svg",
            "style=\"background", "<form", "data:text", "expression(", "<object", "<embed",
            "<meta", "<base", "<style",
        ] {
            assert!(
                !html.contains(forbidden),
                "{attack:?} rendered {html:?} containing {forbidden:?}"
            );
        }
    }
}

#[test]
fn hundred_kilobyte_document_renders_everything() {
    let section = "## Section\n\nSome *text* with a [link](https://example.com) and `code`.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n";
    let doc = section.repeat(100 * 1024 / section.len() + 1);
    assert!(doc.len() >= 100 * 1024);
    let html = render(&doc);
    assert_eq!(html.matches("<h2 id=").count(), doc.matches("## Section").count());
    assert!(html.contains(r#"id="section-10""#));
}
