//! The board drawn twice from the same data: a terminal table for the instructor's
//! screen and an HTML page for the projector. The page is one self-contained file
//! (inline CSS and a few lines of inline script, nothing fetched from anywhere but
//! the room itself) because a workshop room may have no internet at all.

use std::fmt::Write as _;

use super::board::{Board, Cell, Learner, QUIET_SECS, STUCK_MARK_SECS};

/// Whole minutes since `since`, never negative.
fn minutes(now: u64, since: u64) -> u64 {
    now.saturating_sub(since) / 60
}

/// What one cell says in the table: `done`, `3/5`, or `-` when never checked.
fn cell_text(cell: Option<&Cell>) -> String {
    match cell {
        None => "-".into(),
        Some(c) if c.done() => "done".into(),
        Some(c) => format!("{}/{}", c.passed, c.total),
    }
}

/// The "stuck for N min on step K" marker of a learner's current exercise, if the
/// step has been failing first for at least [`STUCK_MARK_SECS`].
pub fn stuck_marker(learner: &Learner, now: u64) -> Option<String> {
    let (exercise, cell) = learner.current()?;
    let step = cell.stuck?;
    (now.saturating_sub(cell.stuck_since) >= STUCK_MARK_SECS)
        .then(|| format!("stuck for {} min on {exercise} step {step}", minutes(now, cell.stuck_since)))
}

/// The summary line under the table and above the page's grid.
pub fn summary(board: &Board) -> String {
    let c = &board.counts;
    let mut line =
        format!("{} learners · {} reports taken · {} refused", board.learners.len(), c.accepted, c.refused());
    if c.refused() > 0 {
        let kinds = [
            ("forged", c.forged),
            ("malformed", c.malformed),
            ("oversized", c.oversized),
            ("other room", c.other_room),
            ("replayed", c.replayed),
            ("name taken", c.name_taken),
            ("room full", c.full),
            ("too many from one address", c.crowded),
        ];
        let parts: Vec<String> = kinds.iter().filter(|(_, n)| *n > 0).map(|(k, n)| format!("{n} {k}")).collect();
        let _ = write!(line, " ({})", parts.join(", "));
    }
    line
}

/// The most common stuck step, as a sentence.
pub fn common_line(board: &Board) -> String {
    match board.most_common_stuck() {
        Some(c) => format!(
            "most common stuck step: {} step {} ({} learner{})",
            c.exercise,
            c.step,
            c.learners,
            if c.learners == 1 { "" } else { "s" }
        ),
        None => "most common stuck step: none yet".into(),
    }
}

/// The doctor's mark of a learner whose laptop has a problem (`cargo verify doctor`
/// found a failing or warning line): `doctor: fail: mdns-loopback`. Nothing when
/// all is well or the learner never ran it.
pub fn doctor_marker(learner: &Learner) -> Option<String> {
    learner.doctor.as_deref().filter(|d| *d != "ok").map(|d| format!("doctor: {d}"))
}

/// The audit mark of a learner whose runner's audit found something in a crate:
/// `⚠ audit: unsafe, link_section`.
pub fn audit_marker(learner: &Learner) -> Option<String> {
    let audit = learner.audit();
    (!audit.is_empty()).then(|| format!("⚠ audit: {}", audit.join(", ")))
}

/// The terminal table: one line per learner (the name, then its key's short form),
/// one column per exercise (headed by its number in book order, the legend below the
/// table), then what the learner is on.
pub fn table(board: &Board, now: u64) -> String {
    const NAME: usize = 16;
    const KEY: usize = 8;
    const COL: usize = 5;
    let mut out = String::new();
    let _ = write!(out, "{:<NAME$} {:<KEY$}", "learner", "key");
    for (i, _) in board.exercises.iter().enumerate() {
        let _ = write!(out, " {:>COL$}", format!("{i:02}"));
    }
    out.push_str("  now\n");
    for learner in board.learners.values() {
        let name: String = learner.name.chars().take(NAME).collect();
        let _ = write!(out, "{name:<NAME$} {}", learner.short_key());
        for (exercise, _) in &board.exercises {
            let _ = write!(out, " {:>COL$}", cell_text(learner.cells.get(exercise)));
        }
        let quiet = minutes(now, learner.last_seen);
        let now_text = match (stuck_marker(learner, now), learner.current()) {
            (Some(marker), _) => marker,
            (None, Some((exercise, cell))) => {
                format!("on {exercise} ({}/{})", cell.passed, cell.total)
            }
            (None, None) => "".into(),
        };
        let _ = write!(out, "  {now_text}");
        if now.saturating_sub(learner.last_seen) >= QUIET_SECS {
            let _ = write!(out, " (quiet for {quiet} min)");
        }
        if let Some(marker) = audit_marker(learner) {
            let _ = write!(out, "  {marker}");
        }
        if let Some(doctor) = doctor_marker(learner) {
            let _ = write!(out, "  {doctor}");
        }
        out.push('\n');
    }
    let legend: Vec<String> = board.exercises.iter().enumerate().map(|(i, (n, _))| format!("{i:02} {n}")).collect();
    let _ = writeln!(out, "{}", legend.join(" · "));
    let _ = writeln!(out, "{}", summary(board));
    let _ = writeln!(out, "{}", common_line(board));
    for notice in &board.notices {
        let _ = writeln!(out, "note: {notice}");
    }
    out
}

/// HTML-escapes text.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// The cell's colour: grey when never checked, red to green by the share of steps
/// passed (a hue from 0 to 120 degrees).
fn colour(cell: Option<&Cell>) -> String {
    match cell {
        None => "hsl(0, 0%, 85%)".into(),
        Some(c) => {
            let share = if c.total == 0 { 0 } else { u32::from(c.passed) * 120 / u32::from(c.total) };
            format!("hsl({share}, 70%, {}%)", if c.done() { 55 } else { 75 })
        }
    }
}

/// The part of the page that refreshes: summary, common step, notices and the grid.
pub fn board_html(board: &Board, now: u64) -> String {
    let mut html = String::new();
    let _ = writeln!(html, "<p id=\"summary\">{}</p>", escape(&summary(board)));
    let _ = writeln!(html, "<p id=\"common\"><strong>{}</strong></p>", escape(&common_line(board)));
    if !board.notices.is_empty() {
        html.push_str("<ul id=\"notices\">");
        for n in &board.notices {
            let _ = write!(html, "<li>{}</li>", escape(n));
        }
        html.push_str("</ul>\n");
    }
    html.push_str("<table id=\"grid\">\n<thead><tr><th>learner</th>");
    for (i, (name, steps)) in board.exercises.iter().enumerate() {
        let _ = write!(html, "<th title=\"{steps} steps\">{i:02}<br>{}</th>", escape(name));
    }
    html.push_str("<th>now</th></tr></thead>\n<tbody>\n");
    for learner in board.learners.values() {
        let quiet = now.saturating_sub(learner.last_seen) >= QUIET_SECS;
        let audit = audit_marker(learner);
        let _ = write!(
            html,
            "<tr class=\"learner{}{}\" data-name=\"{}\" data-key=\"{}\"><th>{} <span class=\"key\">{}</span></th>",
            if quiet { " quiet" } else { "" },
            if audit.is_some() { " audited" } else { "" },
            escape(&learner.name),
            learner.short_key(),
            escape(&learner.name),
            learner.short_key()
        );
        for (exercise, _) in &board.exercises {
            let cell = learner.cells.get(exercise);
            let (passed, total) = cell.map_or((0, 0), |c| (c.passed, c.total));
            let _ = write!(
                html,
                "<td data-exercise=\"{}\" data-passed=\"{passed}\" data-total=\"{total}\" style=\"background: {}\">{}</td>",
                escape(exercise),
                colour(cell),
                cell_text(cell)
            );
        }
        let marker = stuck_marker(learner, now).unwrap_or_default();
        let _ = write!(html, "<td class=\"stuck\">{}", escape(&marker));
        if let Some(audit) = audit {
            let _ = write!(html, " <span class=\"audit\">{}</span>", escape(&audit));
        }
        if let Some(doctor) = doctor_marker(learner) {
            let _ = write!(html, " <span class=\"doctor\">{}</span>", escape(&doctor));
        }
        let _ = writeln!(html, "</td></tr>");
    }
    html.push_str("</tbody>\n</table>\n");
    html
}

/// The page around the board (styles, and a script that fetches `/board` every few
/// seconds and swaps it in), kept as HTML: `{title}` and `{board}` mark what is filled in.
const PAGE: &str = include_str!("page.html");

/// The whole page: the board, styles, and a script that fetches `/board` every few
/// seconds and swaps it in (no reload, so the page keeps its scroll position).
pub fn page(board: &Board, now: u64, title: &str) -> String {
    // Split at the board first, so that nothing a learner's name brings is read as a mark.
    let (before, after) = PAGE.split_once("{board}").expect("page.html marks where the board goes");
    let title = escape(title);
    format!("{}{}{}", before.replace("{title}", &title), board_html(board, now), after.replace("{title}", &title))
}
