//! `mdbook-exercise`: the mdBook preprocessor that turns `{{#exercise NAME}}` into the
//! exercise box at the end of a chapter.
//!
//! The box is made from the exercise's own metadata (its Cargo.toml) and the steps in
//! its checks, through the same `verify-meta` library the runner reads them with, so
//! the book can never describe an exercise differently from how `cargo verify` checks
//! it. It lives in its own crate so that `cargo verify` never builds mdBook's
//! dependencies, and it depends on `verify-meta` alone, so the book never builds the
//! runner's or the room's.
//!
//! Write `\{{#exercise NAME}}` to show the directive itself; directives inside fenced
//! code blocks are left alone.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, bail};
use mdbook_preprocessor::book::Book;
use mdbook_preprocessor::{Preprocessor, PreprocessorContext};
use verify_meta::{Exercise, Workspace, steps};

mod schedule;

struct ExerciseBox;

impl Preprocessor for ExerciseBox {
    fn name(&self) -> &str {
        "exercise"
    }

    fn run(&self, ctx: &PreprocessorContext, mut book: Book) -> mdbook_preprocessor::errors::Result<Book> {
        let ws = Workspace::discover(&ctx.root, Some(&ctx.root))?;
        // `{{#schedule NAME}}` (see schedule.rs) needs every page's reading time first.
        let schedules = schedule::Schedules::load(&ctx.root, &ws, &book)?;
        let mut error = None;
        book.for_each_chapter_mut(|chapter| {
            if error.is_some() {
                return;
            }
            let path = chapter.source_path.as_ref().map(|p| p.to_string_lossy().replace('\\', "/")).unwrap_or_default();
            match schedule::expand(&schedules, &path, &chapter.content).and_then(|content| expand(&ws, &content)) {
                Ok(content) => chapter.content = content,
                Err(e) => {
                    let page = chapter.source_path.as_ref().map(|p| p.display().to_string()).unwrap_or_default();
                    error = Some(e.context(format!("in book/{page}")));
                }
            }
        });
        match error {
            Some(e) => Err(e),
            None => Ok(book),
        }
    }
}

/// Replaces every directive in one page.
fn expand(ws: &Workspace, content: &str) -> anyhow::Result<String> {
    let mut out = String::with_capacity(content.len());
    let mut in_fence = false;
    for line in content.split_inclusive('\n') {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        }
        if in_fence {
            out.push_str(line);
        } else {
            out.push_str(&expand_line(ws, line)?);
        }
    }
    Ok(out)
}

const OPEN: &str = "{{#exercise";

fn expand_line(ws: &Workspace, line: &str) -> anyhow::Result<String> {
    expand_directive(line, OPEN, |name| render(ws, ws.find(name)?))
}

/// `line` with every `OPEN ARGUMENT}}` in it replaced by `render(ARGUMENT)`, the
/// argument trimmed; `\OPEN` stands for the directive itself, not expanded.
pub(crate) fn expand_directive(
    line: &str,
    open: &str,
    mut render: impl FnMut(&str) -> anyhow::Result<String>,
) -> anyhow::Result<String> {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find(open) {
        if rest[..at].ends_with('\\') {
            out.push_str(&rest[..at - 1]);
            out.push_str(open);
            rest = &rest[at + open.len()..];
            continue;
        }
        out.push_str(&rest[..at]);
        let after = &rest[at + open.len()..];
        let Some(end) = after.find("}}") else { bail!("`{open}` without its closing `}}}}`") };
        out.push_str(&render(after[..end].trim())?);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

/// The exercise box, as HTML (styled by book/theme/handbook.css).
fn render(ws: &Workspace, e: &Exercise) -> anyhow::Result<String> {
    let steps = steps::scan(&e.checks_dir()).with_context(|| format!("reading the checks of {}", e.name))?;
    if steps.is_empty() {
        bail!("exercise {} has no steps (tests named step_N_…)", e.name);
    }
    let dir = ws.rel(&e.dir).display().to_string();
    let files: Vec<String> =
        e.meta.edit.iter().map(|f| format!("<code>{}/{}</code>", escape(&dir), escape(f))).collect();
    let mut html = String::new();
    html.push_str(&format!(
        "<div class=\"exercise-box\" id=\"exercise-{name}\">\n\
         <p class=\"exercise-title\">Exercise: {title} <span class=\"exercise-minutes\">about {minutes} min</span></p>\n\
         <p>{summary}</p>\n<dl>\n\
         <dt>Edit</dt><dd>{files}</dd>\n\
         <dt>Check</dt><dd><code>cargo verify check {name}</code>, or <code>cargo verify watch</code> to re-check on every save</dd>\n\
         <dt>Stuck?</dt><dd><code>cargo verify hint {name}</code> gives the next hint for the step you are on ({hints} in all, from gentle to revealing; they are also below each step)</dd>\n\
         <dt>Checks</dt><dd><code>{dir}/tests/</code>, the spec: read them, don't edit them</dd>\n\
         {kit}</dl>\n<p class=\"exercise-steps-title\">Steps</p>\n<ol class=\"exercise-steps\">\n",
        name = escape(&e.name),
        title = escape(&e.meta.title),
        minutes = e.meta.minutes,
        summary = inline(&e.meta.summary),
        files = files.join(", "),
        hints = e.hints.total(),
        dir = escape(&dir),
        kit = kit_note(e),
    ));
    for step in &steps {
        html.push_str(&format!("<li>{}", inline(&step.description)));
        let ladder = e.hints.step(step.number);
        if !ladder.is_empty() {
            // Folded, one rung at a time, so a reader opens only as much as they need.
            html.push_str("\n<details class=\"exercise-hints\"><summary>Hints</summary>\n<ol>\n");
            for (i, hint) in ladder.iter().enumerate() {
                if i == 0 {
                    html.push_str(&format!("<li>{}</li>\n", inline(hint)));
                } else {
                    html.push_str(&format!(
                        "<li><details><summary>Next hint</summary>{}</details></li>\n",
                        inline(hint)
                    ));
                }
            }
            html.push_str("</ol>\n</details>");
        }
        html.push_str("</li>\n");
    }
    html.push_str("</ol>\n</div>\n");
    Ok(html)
}

/// For an exercise whose node implements `kit::Node`, a pointer to the page that
/// explains the node API (callbacks, `Context`, clients and peers, what the simulator
/// measures), relative to the chapter the box sits in.
fn kit_note(e: &Exercise) -> String {
    let manifest = std::fs::read_to_string(e.dir.join("Cargo.toml")).unwrap_or_default();
    let uses_kit = toml::from_str::<toml::Table>(&manifest)
        .ok()
        .and_then(|t| t.get("dependencies").and_then(|d| d.as_table()).map(|d| d.contains_key("kit")))
        .unwrap_or(false);
    if !uses_kit {
        return String::new();
    }
    let up = "../".repeat(e.meta.chapter.matches('/').count());
    format!(
        "<dt>Node API</dt><dd>your node implements <code>kit::Node</code>: \
         <a href=\"{up}kit.html\">The kit</a> explains the callbacks, the <code>Context</code> \
         and what the simulator measures</dd>\n"
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Escapes text and turns `code` spans into <code>.
fn inline(text: &str) -> String {
    escape(text)
        .split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { format!("<code>{part}</code>") } else { part.to_string() })
        .collect()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("supports") {
        // Every renderer gets the box: it is plain HTML, which Markdown passes through.
        return ExitCode::SUCCESS;
    }
    let result = (|| -> anyhow::Result<()> {
        let (ctx, book) = mdbook_preprocessor::parse_input(std::io::stdin())?;
        let book = ExerciseBox.run(&ctx, book)?;
        serde_json::to_writer(std::io::stdout().lock(), &book)?;
        std::io::stdout().flush()?;
        Ok(())
    })();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mdbook-exercise: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_code_and_escaping() {
        assert_eq!(inline("Parse a `PeerId` <safely>"), "Parse a <code>PeerId</code> &lt;safely&gt;");
    }
}
