//! `{{#schedule NAME}}`: a workshop schedule computed from the book itself.
//!
//! The plan (which pages are taught in which order, and the pauses) lives in
//! `book.toml` under `[preprocessor.exercise.schedule.NAME]`. Every duration comes from
//! one source: a page's talk is its reading time (the `<p class="chapter-minutes">About
//! N minutes of reading …` line at its top, or `[preprocessor.exercise.reading]` for a
//! page without one), its exercise is the exercise's `minutes` in its Cargo.toml. So
//! the clock times and the sums are right by construction: raise an exercise's
//! minutes and every schedule moves, and a day that no longer ends by its `ends_by`
//! fails the build with the figures, instead of silently running late.
//!
//! `{{#schedule exercises}}` is the table of every exercise with its reading and
//! exercise minutes and the totals.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, bail};
use mdbook_preprocessor::book::Book;
use serde::Deserialize;
use verify_meta::Workspace;

pub const OPEN: &str = "{{#schedule";

/// `[preprocessor.exercise]` in book.toml, the parts this module reads.
#[derive(Debug, Default, Deserialize)]
struct Config {
    /// Reading minutes of pages that have no `chapter-minutes` line.
    #[serde(default)]
    reading: BTreeMap<String, u32>,
    #[serde(default)]
    schedule: BTreeMap<String, Plan>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Plan {
    title: String,
    days: Vec<Day>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Day {
    /// "09:00".
    start: String,
    /// The day must end by this time, or the build fails.
    ends_by: String,
    items: Vec<Item>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Item {
    /// A page under book/: its talk, then its exercise (if it has one).
    page: Option<String>,
    /// `false`: the talk only; the exercise is left for later.
    #[serde(default = "yes")]
    exercise: bool,
    /// A pause: its name ("lunch", "break", …) and length.
    pause: Option<String>,
    minutes: Option<u32>,
    /// What happens, for a pause.
    note: Option<String>,
}

fn yes() -> bool {
    true
}

/// What the schedules know about a page.
#[derive(Clone, Debug)]
struct Page {
    title: String,
    reading: u32,
    /// The exercise on this page: short name and minutes.
    exercise: Option<(String, u32)>,
}

/// Everything needed to expand the directives: pages by path under book/.
pub struct Schedules {
    config: Config,
    pages: BTreeMap<String, Page>,
    /// Exercises in book order: name, page.
    exercises: Vec<(String, String)>,
}

/// The reading minutes a page states in its `chapter-minutes` line, and the exercise
/// minutes if it states them too.
fn stated_minutes(content: &str) -> anyhow::Result<Option<(u32, Option<u32>)>> {
    const MARK: &str = "<p class=\"chapter-minutes\">";
    let Some(at) = content.find(MARK) else {
        return Ok(None);
    };
    let line = content[at + MARK.len()..].lines().next().unwrap_or("");
    let number = |text: &str| -> Option<u32> { text.split_whitespace().next()?.parse().ok() };
    let reading = line
        .strip_prefix("About ")
        .and_then(|rest| rest.find(" minutes of reading").and_then(|end| number(&rest[..end])))
        .with_context(|| format!("the chapter-minutes line must start \"About N minutes of reading\": {line:?}"))?;
    let exercise = line.find(" minutes of exercise").and_then(|end| line[..end].rsplit(' ').next()?.parse().ok());
    Ok(Some((reading, exercise)))
}

impl Schedules {
    pub fn load(root: &Path, ws: &Workspace, book: &Book) -> anyhow::Result<Schedules> {
        let toml_text = std::fs::read_to_string(root.join("book.toml")).context("reading book.toml")?;
        let table: toml::Table = toml::from_str(&toml_text).context("parsing book.toml")?;
        let config: Config = match table.get("preprocessor").and_then(|p| p.get("exercise")) {
            Some(section) => section.clone().try_into().context("book.toml [preprocessor.exercise]")?,
            None => Config::default(),
        };
        let mut pages = BTreeMap::new();
        for chapter in book.chapters() {
            let Some(path) = &chapter.source_path else {
                continue;
            };
            let path = path.to_string_lossy().replace('\\', "/");
            let exercise =
                ws.exercises.iter().find(|e| e.meta.chapter == path).map(|e| (e.name.clone(), e.meta.minutes));
            let stated = stated_minutes(&chapter.content).with_context(|| format!("in book/{path}"))?;
            let reading = match (stated, config.reading.get(&path)) {
                (Some(_), Some(_)) => bail!(
                    "book/{path} states its reading time and book.toml's [preprocessor.exercise.reading] does too; keep one"
                ),
                (Some((reading, said)), None) => {
                    if let (Some(said), Some((name, minutes))) = (said, &exercise)
                        && said != *minutes
                    {
                        bail!(
                            "book/{path} says {said} minutes of exercise, but exercise {name} says minutes = {minutes}"
                        );
                    }
                    Some(reading)
                }
                (None, Some(r)) => Some(*r),
                (None, None) => None,
            };
            if let Some(reading) = reading {
                pages.insert(path, Page { title: chapter.name.clone(), reading, exercise });
            }
        }
        for name in config.reading.keys() {
            if !pages.contains_key(name) {
                bail!("book.toml [preprocessor.exercise.reading] names {name}, which is not a page of the book");
            }
        }
        let exercises = ws.exercises.iter().map(|e| (e.name.clone(), e.meta.chapter.clone())).collect();
        Ok(Schedules { config, pages, exercises })
    }

    /// The HTML for `{{#schedule NAME}}` on the page at `page` (for relative links).
    pub fn render(&self, name: &str, page: &str) -> anyhow::Result<String> {
        let up = "../".repeat(page.matches('/').count());
        if name == "exercises" {
            return Ok(self.exercise_table(&up));
        }
        let Some(plan) = self.config.schedule.get(name) else {
            let known: Vec<&str> = self.config.schedule.keys().map(String::as_str).collect();
            bail!("no schedule called {name:?} in book.toml (known: exercises, {})", known.join(", "));
        };
        let mut html = String::new();
        let mut taught = Vec::new();
        let (mut talk_total, mut exercise_total, mut pause_total) = (0, 0, 0);
        for (d, day) in plan.days.iter().enumerate() {
            let mut clock = parse_time(&day.start)?;
            if plan.days.len() > 1 {
                let _ = writeln!(html, "<p class=\"schedule-day\"><strong>Day {}</strong></p>", d + 1);
            }
            html.push_str("<table class=\"schedule\">\n<thead><tr><th>time</th><th>what</th><th>talk</th><th>exercise</th></tr></thead>\n<tbody>\n");
            for item in &day.items {
                match (&item.page, &item.pause) {
                    (Some(path), None) => {
                        let page = self.pages.get(path).with_context(|| {
                            format!("schedule {name}: book/{path} is not a page with a reading time (a chapter-minutes line, or an entry in [preprocessor.exercise.reading])")
                        })?;
                        let exercise = if item.exercise { page.exercise.clone() } else { None };
                        if let Some((e, _)) = &exercise {
                            taught.push(e.clone());
                        }
                        let link =
                            format!("<a href=\"{up}{}\">{}</a>", path.replace(".md", ".html"), escape(&page.title));
                        let exercise_cell = match (&exercise, &page.exercise) {
                            (Some((e, m)), _) => {
                                format!("{m} min: <code>cargo verify check {e}</code>")
                            }
                            (None, Some(_)) => "later (talk only today)".to_string(),
                            (None, None) => String::new(),
                        };
                        let _ = writeln!(
                            html,
                            "<tr><td>{}</td><td>{link}</td><td>{} min</td><td>{exercise_cell}</td></tr>",
                            show_time(clock),
                            page.reading
                        );
                        talk_total += page.reading;
                        let exercise_minutes = exercise.map_or(0, |(_, m)| m);
                        exercise_total += exercise_minutes;
                        clock += page.reading + exercise_minutes;
                    }
                    (None, Some(pause)) => {
                        let minutes = item
                            .minutes
                            .with_context(|| format!("schedule {name}: the pause {pause:?} needs minutes"))?;
                        let note = item.note.as_deref().map(escape).unwrap_or_default();
                        let _ = writeln!(
                            html,
                            "<tr class=\"schedule-pause\"><td>{}</td><td><em>{}</em> ({minutes} min)</td><td colspan=\"2\">{note}</td></tr>",
                            show_time(clock),
                            escape(pause)
                        );
                        pause_total += minutes;
                        clock += minutes;
                    }
                    _ => bail!("schedule {name}: each item is either a page or a pause"),
                }
            }
            let _ = writeln!(
                html,
                "<tr class=\"schedule-end\"><td>{}</td><td><em>end of the day</em></td><td colspan=\"2\"></td></tr>",
                show_time(clock)
            );
            html.push_str("</tbody>\n</table>\n");
            let ends_by = parse_time(&day.ends_by)?;
            if clock > ends_by {
                bail!(
                    "schedule {name}, day {}: the plan ends at {}, after its ends_by {} (the exercises' minutes or the pages' reading times grew); move something to another day or to `exercise = false`",
                    d + 1,
                    show_time(clock),
                    day.ends_by
                );
            }
        }
        let _ = writeln!(
            html,
            "<p class=\"schedule-totals\">{}: {} of talk, {} of exercises and {} of pauses, in {} day{}.</p>",
            escape(&plan.title),
            hours(talk_total),
            hours(exercise_total),
            hours(pause_total),
            plan.days.len(),
            if plan.days.len() == 1 { "" } else { "s" }
        );
        let left: Vec<String> = self
            .exercises
            .iter()
            .filter(|(e, _)| !taught.contains(e))
            .map(|(e, page)| {
                let minutes = self.pages.get(page).and_then(|p| p.exercise.as_ref()).map_or(0, |(_, m)| *m);
                format!("<a href=\"{up}{}\">{}</a> ({minutes} min)", page.replace(".md", ".html"), escape(e))
            })
            .collect();
        if !left.is_empty() {
            let _ = writeln!(
                html,
                "<p class=\"schedule-left\">Exercises not in this schedule (homework, or another day): {}.</p>",
                left.join(", ")
            );
        }
        Ok(html)
    }

    fn exercise_table(&self, up: &str) -> String {
        let mut html = String::from(
            "<table class=\"schedule\">\n<thead><tr><th>exercise</th><th>chapter</th><th>reading</th><th>exercise</th><th>together</th></tr></thead>\n<tbody>\n",
        );
        let (mut reading, mut exercise) = (0, 0);
        for (name, page) in &self.exercises {
            let Some(p) = self.pages.get(page) else {
                continue;
            };
            let minutes = p.exercise.as_ref().map_or(0, |(_, m)| *m);
            let _ = writeln!(
                html,
                "<tr><td><code>{}</code></td><td><a href=\"{up}{}\">{}</a></td><td>{} min</td><td>{minutes} min</td><td>{}</td></tr>",
                escape(name),
                page.replace(".md", ".html"),
                escape(&p.title),
                p.reading,
                hours(p.reading + minutes)
            );
            reading += p.reading;
            exercise += minutes;
        }
        let _ = writeln!(
            html,
            "<tr class=\"schedule-end\"><td colspan=\"2\"><strong>all {} exercises</strong></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            self.exercises.len(),
            hours(reading),
            hours(exercise),
            hours(reading + exercise)
        );
        html.push_str("</tbody>\n</table>\n");
        html
    }
}

/// Minutes since midnight.
fn parse_time(text: &str) -> anyhow::Result<u32> {
    let (h, m) = text.split_once(':').with_context(|| format!("{text:?} is not a time like 09:00"))?;
    let (h, m): (u32, u32) = (h.parse()?, m.parse()?);
    if h > 23 || m > 59 {
        bail!("{text:?} is not a time of day");
    }
    Ok(h * 60 + m)
}

fn show_time(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

fn hours(minutes: u32) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m:02} min"),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Replaces every `{{#schedule NAME}}` of one page (outside code fences; `\{{#schedule`
/// shows the directive itself).
pub fn expand(schedules: &Schedules, page: &str, content: &str) -> anyhow::Result<String> {
    if !content.contains(OPEN) {
        return Ok(content.to_string());
    }
    let mut out = String::with_capacity(content.len());
    let mut in_fence = false;
    for line in content.split_inclusive('\n') {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
        }
        if in_fence || !line.contains(OPEN) {
            out.push_str(line);
            continue;
        }
        out.push_str(&crate::expand_directive(line, OPEN, |name| schedules.render(name, page))?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minutes_lines_and_clock_times() {
        assert_eq!(
            stated_minutes(
                "# T\n\n<p class=\"chapter-minutes\">About 20 minutes of reading and 60 minutes of exercise.</p>\n"
            )
            .unwrap(),
            Some((20, Some(60)))
        );
        assert_eq!(
            stated_minutes("<p class=\"chapter-minutes\">About 25 minutes of reading.</p>").unwrap(),
            Some((25, None))
        );
        assert!(stated_minutes("<p class=\"chapter-minutes\">Twenty minutes</p>").is_err());
        assert_eq!(stated_minutes("no line").unwrap(), None);
        assert_eq!(show_time(parse_time("09:05").unwrap() + 70), "10:15");
        assert_eq!(hours(135), "2 h 15 min");
    }

    /// The instructor pages hold no minute figures of their own: every one comes from
    /// the preprocessor, so none can disagree with the exercises.
    #[test]
    fn instructor_pages_hold_no_minute_figures() {
        let book = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../book");
        for page in ["instructors.md", "instructors/schedule.md", "instructors/room.md"] {
            let text = std::fs::read_to_string(book.join(page)).unwrap();
            let words: Vec<&str> = text.split_whitespace().collect();
            for pair in words.windows(2) {
                let number =
                    pair[0].trim_start_matches(['(', '~']).chars().all(|c| c.is_ascii_digit() || c == '–' || c == '-')
                        && pair[0].chars().any(|c| c.is_ascii_digit());
                let unit = pair[1].trim_end_matches([',', '.', ')', ';', ':']);
                assert!(
                    !(number && ["min", "mins", "minute", "minutes", "h", "hour", "hours"].contains(&unit)),
                    "book/{page} says {:?} {:?}: take durations from {{{{#schedule …}}}} instead",
                    pair[0],
                    pair[1]
                );
            }
        }
    }
}
