//! Reading a Markdown document: front matter, headed sections and the plain text of a passage.

use super::{Document, KnowledgeError, Origin};

/// The largest document accepted, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 1 << 20;

/// One headed section of a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// The heading text without its `#` marks; `None` for the text before the first heading.
    pub heading: Option<String>,
    /// The heading level, 1 to 6; 0 for the text before the first heading.
    pub level: u8,
    /// The section's Markdown, without its heading line.
    pub text: String,
}

impl Document {
    /// The document's sections in order: the text before the first heading (when there is
    /// any), then one section per ATX heading (`#` to `######`) outside code fences.
    pub fn sections(&self) -> Vec<Section> {
        split_sections(&self.body)
    }
}

/// Parses one document; see [`super::parse_document`] for the rules.
pub fn parse_document(path: &str, text: &str, origin: Origin) -> Result<Document, KnowledgeError> {
    let bad = |reason: String| KnowledgeError::BadDocument {
        path: path.to_owned(),
        reason,
    };
    let path = normalize_path(path).map_err(bad)?;
    let bad = |reason: String| KnowledgeError::BadDocument {
        path: path.clone(),
        reason,
    };
    if text.len() > MAX_DOCUMENT_BYTES {
        return Err(bad(format!("document is larger than {MAX_DOCUMENT_BYTES} bytes")));
    }
    let text = text
        .strip_prefix('\u{feff}')
        .unwrap_or(text)
        .replace("\r\n", "\n");
    let (front, body) = split_front_matter(&text).map_err(bad)?;
    let body = body.trim_start_matches(['\n', ' ', '\t']).trim_end().to_owned();
    if origin == Origin::Builtin && front.as_ref().is_none_or(|f| f.title.is_none()) {
        return Err(bad("built-in documents need front matter with a title".to_owned()));
    }
    if body.is_empty() {
        return Err(bad("document has no content".to_owned()));
    }
    let (title, tags) = match front {
        Some(front) => (front.title, front.tags),
        None => (None, Vec::new()),
    };
    let title = title
        .or_else(|| first_h1(&body))
        .unwrap_or_else(|| title_from_path(&path));
    Ok(Document {
        path,
        title,
        tags,
        body,
        origin,
    })
}

/// Normalises a relative document path: `\` becomes `/`, empty and `.` components go; an
/// absolute path, a drive letter or a `..` component is refused.
pub(crate) fn normalize_path(path: &str) -> Result<String, String> {
    let path = path.trim().replace('\\', "/");
    if path.is_empty() {
        return Err("path is empty".to_owned());
    }
    if path.starts_with('/') {
        return Err("path must be relative".to_owned());
    }
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err("path must not contain `..`".to_owned()),
            p if p.contains(':') => return Err("path must be relative".to_owned()),
            p => parts.push(p),
        }
    }
    if parts.is_empty() {
        return Err("path is empty".to_owned());
    }
    Ok(parts.join("/"))
}

/// What the front matter says.
struct FrontMatter {
    title: Option<String>,
    tags: Vec<String>,
}

/// Splits `---`-fenced front matter from the body. Text without a leading `---` line has no
/// front matter.
fn split_front_matter(text: &str) -> Result<(Option<FrontMatter>, &str), String> {
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| (text.trim_end() == "---").then_some(""))
    else {
        return Ok((None, text));
    };
    let mut front = FrontMatter {
        title: None,
        tags: Vec::new(),
    };
    let mut in_tag_list = false;
    let mut offset = 0;
    for (number, line) in rest.split_inclusive('\n').enumerate() {
        offset += line.len();
        let line = line.trim_end();
        if line == "---" || line == "..." {
            let body = rest.get(offset..).unwrap_or("");
            return Ok((Some(front), body));
        }
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if in_tag_list && let Some(item) = trimmed.strip_prefix('-') {
            push_tag(&mut front.tags, item);
            continue;
        }
        in_tag_list = false;
        let Some((key, value)) = trimmed.split_once(':') else {
            return Err(format!("front matter line {} is not `key: value`", number + 2));
        };
        let value = value.trim();
        match key.trim().to_lowercase().as_str() {
            "title" => {
                let title = unquote(value);
                front.title = (!title.is_empty()).then(|| title.to_owned());
            }
            "tags" => {
                front.tags.clear();
                let list = value
                    .strip_prefix('[')
                    .and_then(|v| v.strip_suffix(']'))
                    .unwrap_or(value);
                for item in list.split(',') {
                    push_tag(&mut front.tags, item);
                }
                in_tag_list = value.is_empty();
            }
            _ => {}
        }
    }
    Err("front matter is not closed by a `---` line".to_owned())
}

fn unquote(value: &str) -> &str {
    let value = value.trim();
    for quote in ['"', '\''] {
        if let Some(inner) = value.strip_prefix(quote).and_then(|v| v.strip_suffix(quote)) {
            return inner.trim();
        }
    }
    value
}

fn push_tag(tags: &mut Vec<String>, item: &str) {
    let tag = unquote(item).to_lowercase();
    if !tag.is_empty() && !tags.contains(&tag) {
        tags.push(tag);
    }
}

/// The text of the first level-1 heading, if any.
fn first_h1(body: &str) -> Option<String> {
    split_sections(body)
        .into_iter()
        .find(|s| s.level == 1)
        .and_then(|s| s.heading)
}

/// A title made from the file name: `my-notes.md` gives "My notes".
fn title_from_path(path: &str) -> String {
    let file = path.rsplit('/').next().unwrap_or(path);
    let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
    let words = stem.replace(['-', '_'], " ");
    let words = words.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => "Untitled".to_owned(),
    }
}

/// Whether a line opens or closes a code fence; gives the fence character.
fn fence_char(line: &str) -> Option<char> {
    let t = line.trim_start();
    if t.starts_with("```") {
        Some('`')
    } else if t.starts_with("~~~") {
        Some('~')
    } else {
        None
    }
}

/// Reads an ATX heading line: its level and text.
fn heading(line: &str) -> Option<(u8, String)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let t = line.trim_start_matches(' ');
    let hashes = t.len() - t.trim_start_matches('#').len();
    if hashes == 0 || hashes > 6 {
        return None;
    }
    let rest = t.get(hashes..).unwrap_or("");
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let mut text = rest.trim();
    let closed = text.trim_end_matches('#');
    if closed.is_empty() || closed.ends_with([' ', '\t']) {
        text = closed.trim_end();
    }
    Some((u8::try_from(hashes).unwrap_or(6), inline_plain(text)))
}

/// Splits a Markdown body into sections at ATX headings outside code fences.
pub(crate) fn split_sections(body: &str) -> Vec<Section> {
    let mut sections = Vec::new();
    let mut current = Section {
        heading: None,
        level: 0,
        text: String::new(),
    };
    let mut fence: Option<char> = None;
    for line in body.lines() {
        if let Some(c) = fence_char(line) {
            match fence {
                None => fence = Some(c),
                Some(open) if open == c => fence = None,
                Some(_) => {}
            }
        } else if fence.is_none()
            && let Some((level, text)) = heading(line)
        {
            let done = std::mem::replace(
                &mut current,
                Section {
                    heading: (!text.is_empty()).then_some(text),
                    level,
                    text: String::new(),
                },
            );
            if done.level > 0 || !done.text.trim().is_empty() {
                sections.push(done);
            }
            continue;
        }
        current.text.push_str(line);
        current.text.push('\n');
    }
    if current.level > 0 || !current.text.trim().is_empty() {
        sections.push(current);
    }
    for section in &mut sections {
        let trimmed = section.text.trim_matches('\n').trim_end();
        section.text = trimmed.to_owned();
    }
    sections
}

/// Turns a section's Markdown into plain text on one line: fences, table rules, list and quote
/// markers, emphasis, code ticks and link targets go; table cells are joined with "; ".
pub(crate) fn plain_text(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for line in markdown.lines() {
        if fence_char(line).is_some() {
            continue;
        }
        let mut t = line.trim();
        if t.is_empty() {
            continue;
        }
        if t.starts_with('|') || t.ends_with('|') {
            if t.chars().all(|c| matches!(c, '|' | '-' | ':' | ' ')) {
                continue;
            }
            let cells: Vec<String> = t
                .trim_matches('|')
                .split('|')
                .map(|c| inline_plain(c.trim()))
                .collect();
            push_line(&mut out, &cells.join("; "));
            continue;
        }
        while let Some(rest) = t.strip_prefix('>') {
            t = rest.trim_start();
        }
        for marker in ["- ", "* ", "+ "] {
            if let Some(rest) = t.strip_prefix(marker) {
                t = rest;
                break;
            }
        }
        let digits = t.len() - t.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0
            && let Some(rest) = t
                .get(digits..)
                .and_then(|r| r.strip_prefix(". ").or_else(|| r.strip_prefix(") ")))
        {
            t = rest;
        }
        push_line(&mut out, &inline_plain(t));
    }
    out
}

fn push_line(out: &mut String, line: &str) {
    let line = line.trim();
    if line.is_empty() {
        return;
    }
    if !out.is_empty() {
        out.push(' ');
    }
    out.push_str(line);
}

/// Removes inline Markdown: `*`, `` ` ``, and `[text](target)` becomes `text`; runs of
/// whitespace become one space.
fn inline_plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let len = c.len_utf8();
        if c == '[' || (c == '!' && rest.get(1..).is_some_and(|r| r.starts_with('['))) {
            let open = if c == '!' { 2 } else { 1 };
            if let Some(close) = rest.find("](")
                && let Some(end) = rest.get(close..).and_then(|r| r.find(')'))
                && close >= open
            {
                out.push_str(rest.get(open..close).unwrap_or(""));
                rest = rest.get(close + end + 1..).unwrap_or("");
                continue;
            }
        }
        match c {
            '*' | '`' => {}
            c if c.is_whitespace() => {
                if !out.ends_with(' ') && !out.is_empty() {
                    out.push(' ');
                }
            }
            c => out.push(c),
        }
        rest = rest.get(len..).unwrap_or("");
    }
    out.trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_front_matter() {
        let text = "---\ntitle: Cash-secured put\ntags: [Strategy, csp, puts]\nauthor: me\n---\n\n## What it is\nSell a put.\n";
        let doc = parse_document("strategies/cash-secured-put.md", text, Origin::Builtin).unwrap();
        assert_eq!(doc.title, "Cash-secured put");
        assert_eq!(doc.tags, ["strategy", "csp", "puts"]);
        assert_eq!(doc.body, "## What it is\nSell a put.");
        assert_eq!(doc.origin, Origin::Builtin);
    }

    #[test]
    fn reads_block_tag_lists_and_quotes() {
        let text = "---\ntitle: \"My notes\"\ntags:\n  - wheel\n  - 'income'\n---\nbody\n";
        let doc = parse_document("notes.md", text, Origin::User).unwrap();
        assert_eq!(doc.title, "My notes");
        assert_eq!(doc.tags, ["wheel", "income"]);
    }

    #[test]
    fn crlf_and_bom_are_accepted() {
        let text = "\u{feff}---\r\ntitle: T\r\ntags: [a]\r\n---\r\n## One\r\ntext\r\n";
        let doc = parse_document("a.md", text, Origin::Builtin).unwrap();
        assert_eq!(doc.title, "T");
        assert_eq!(doc.body, "## One\ntext");
    }

    #[test]
    fn user_titles_fall_back_to_heading_then_file_name() {
        let doc = parse_document("notes/x.md", "intro\n# My wheel log\ntext", Origin::User).unwrap();
        assert_eq!(doc.title, "My wheel log");
        let doc = parse_document("notes/earnings_plays-2024.md", "## A\ntext", Origin::User).unwrap();
        assert_eq!(doc.title, "Earnings plays 2024");
    }

    #[test]
    fn bad_documents_are_refused_with_a_reason() {
        let cases = [
            ("../x.md", "text", Origin::User, "path must not contain `..`"),
            ("/etc/x.md", "text", Origin::User, "path must be relative"),
            ("C:/x.md", "text", Origin::User, "path must be relative"),
            ("  ", "text", Origin::User, "path is empty"),
            ("x.md", "   \n", Origin::User, "document has no content"),
            (
                "x.md",
                "---\ntitle: x\n",
                Origin::User,
                "front matter is not closed by a `---` line",
            ),
            (
                "x.md",
                "---\nnonsense\n---\ntext",
                Origin::User,
                "front matter line 2 is not `key: value`",
            ),
            (
                "x.md",
                "## no front matter",
                Origin::Builtin,
                "built-in documents need front matter with a title",
            ),
        ];
        for (path, text, origin, reason) in cases {
            match parse_document(path, text, origin) {
                Err(KnowledgeError::BadDocument { reason: r, .. }) => assert_eq!(r, reason, "{path}"),
                other => panic!("{path}: expected a bad document, got {other:?}"),
            }
        }
        let big = "x".repeat(MAX_DOCUMENT_BYTES + 1);
        assert!(parse_document("big.md", &big, Origin::User).is_err());
    }

    #[test]
    fn paths_are_normalised() {
        assert_eq!(normalize_path("./notes\\a.md").unwrap(), "notes/a.md");
        assert_eq!(normalize_path("notes//a.md").unwrap(), "notes/a.md");
    }

    #[test]
    fn sections_split_at_headings_outside_fences() {
        let body = "intro\n## First ##\none\n```\n## not a heading\n```\n### Sub\ntwo\n#nospace\n## Empty\n";
        let sections = split_sections(body);
        let headings: Vec<_> = sections.iter().map(|s| (s.level, s.heading.clone())).collect();
        assert_eq!(
            headings,
            [
                (0, None),
                (2, Some("First".to_owned())),
                (3, Some("Sub".to_owned())),
                (2, Some("Empty".to_owned()))
            ]
        );
        assert_eq!(sections[1].text, "one\n```\n## not a heading\n```");
        assert_eq!(sections[2].text, "two\n#nospace");
        assert_eq!(sections[3].text, "");
    }

    #[test]
    fn plain_text_strips_markdown() {
        let md = "Some **bold** and `code`, a [link](https://x.y).\n\n| Leg | Price |\n|---|---:|\n| Short put | 1.20 |\n\n- item one\n1. item two\n> quoted";
        assert_eq!(
            plain_text(md),
            "Some bold and code, a link. Leg; Price Short put; 1.20 item one item two quoted"
        );
    }

    proptest! {
        #[test]
        fn parsing_never_panics(path in "\\PC{0,40}", text in "\\PC{0,400}") {
            let _ = parse_document(&path, &text, Origin::User);
            let _ = parse_document(&path, &text, Origin::Builtin);
            let _ = plain_text(&text);
        }

        #[test]
        fn parsing_never_panics_on_markdownish_text(text in "(---\n|## |# |```\n|\\[a\\]\\(b\\)|\\| |[a-z ]{1,8}|\n|\\*\\*|:){0,40}") {
            if let Ok(doc) = parse_document("x.md", &text, Origin::User) {
                for section in doc.sections() {
                    let _ = plain_text(&section.text);
                }
            }
        }
    }
}
