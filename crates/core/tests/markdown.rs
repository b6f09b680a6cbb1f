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
        // Markdown syntax alone, no raw HTML: the renderer's own pass must catch these.
        "[x](javascript:alert(1))",
        "[x](java\tscript:alert(1))",
        "[x](<java script:alert(1)>)",
        "[x](javascript&#58;alert(1))",
        "[x](&#106;avascript:alert(1))",
        "<javascript:alert(1)>",
        "[x][r]\n\n[r]: javascript:alert(1)",
        "![x](javascript:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        "# H {onclick=alert(1)}",
        "# H {.x style=background:url(javascript:alert(1))}",
        "[x](https://e.example \"\\\" onmouseover=\\\"alert(1)\")",
        "```x\" onmouseover=\"alert(1)\nbody\n```",
    ];
    for attack in attacks {
        let html = render(attack);
        for (tag, attrs) in tags(&html) {
            assert!(
                !matches!(
                    tag.as_str(),
                    "script"
                        | "iframe"
                        | "svg"
                        | "form"
                        | "object"
                        | "embed"
                        | "meta"
                        | "base"
                        | "style"
                        | "button"
                ),
                "{attack:?} rendered <{tag}> in {html:?}"
            );
            for (name, value) in attrs {
                let v: String = value
                    .to_ascii_lowercase()
                    .chars()
                    .filter(|c| !c.is_ascii_whitespace())
                    .collect();
                let bad = name.starts_with("on")
                    || (name == "style" && !v.starts_with("text-align:"))
                    || ["javascript:", "vbscript:", "data:"]
                        .iter()
                        .any(|s| v.starts_with(s));
                assert!(!bad, "{attack:?} rendered {name}={value:?} in {html:?}");
            }
        }
    }
}

/// Every start tag of the output with its attributes. The renderer always quotes
/// attribute values with `"` and escapes `"` inside them, so this simple reading is exact.
fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        if rest.starts_with('/') {
            continue;
        }
        let name_end = rest
            .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
            .unwrap_or(rest.len());
        let name = rest[..name_end].to_ascii_lowercase();
        rest = &rest[name_end..];
        let mut attrs = Vec::new();
        loop {
            rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '/');
            if rest.is_empty() || rest.starts_with('>') {
                break;
            }
            let attr_end = rest
                .find(|c: char| c.is_whitespace() || c == '=' || c == '>')
                .unwrap_or(rest.len());
            let attr = rest[..attr_end].to_ascii_lowercase();
            rest = &rest[attr_end..];
            let value = if let Some(after) = rest.strip_prefix("=\"") {
                let close = after.find('"').expect("quoted attribute value");
                rest = &after[close + 1..];
                after[..close].replace("&quot;", "\"").replace("&amp;", "&")
            } else {
                String::new()
            };
            attrs.push((attr, value));
        }
        out.push((name, attrs));
    }
    out
}

#[test]
fn hundred_kilobyte_document_renders_everything() {
    let section = "## Section\n\nSome *text* with a [link](https://example.com) and `code`.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n";
    let doc = section.repeat(100 * 1024 / section.len() + 1);
    assert!(doc.len() >= 100 * 1024);
    let html = render(&doc);
    assert_eq!(
        html.matches("<h2 id=").count(),
        doc.matches("## Section").count()
    );
    assert!(html.contains(r#"id="section-10""#));
}

#[test]
fn the_tag_reader_sees_what_it_must() {
    let found = tags(
        r#"<p>x</p><a href="javascript:y" title="a &quot;b&quot;"><img src="" alt="z" /><input disabled=""/>"#,
    );
    assert_eq!(found[0], ("p".into(), vec![]));
    assert_eq!(
        found[1],
        (
            "a".into(),
            vec![
                ("href".into(), "javascript:y".into()),
                ("title".into(), "a \"b\"".into())
            ]
        )
    );
    assert_eq!(found[2].1[0], ("src".into(), "".into()));
    assert_eq!(
        found[3],
        ("input".into(), vec![("disabled".into(), "".into())])
    );
}
