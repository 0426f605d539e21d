//! The terminal: what the user sees and types.
//!
//! - [`plain`]: line mode (`--plain`), for scripts and tests: each line of stdin is
//!   said in the room; each new line of the history, each neighbour that comes or goes,
//!   is printed as one line of stdout (`<nick id> text`, `* joined nick id`,
//!   `* left nick id`); a libp2p peer's gossipsub line as `<id> text` (or
//!   `<nick id> text` when its identify claims a nick).
//! - [`full`]: the full-screen interface (ratatui): the history, scrolling, on the
//!   left; under it the input line; on the right the members, a filled dot for each
//!   one connected to us, and the room's comings and goings.

use std::collections::HashSet;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::{mpsc, oneshot};

use super::room::{Event, Ui, short};

/// Line mode: until stdin ends.
pub async fn plain(
    intro: Vec<String>,
    mut ui: mpsc::UnboundedReceiver<Ui>,
    events: mpsc::Sender<Event>,
) -> anyhow::Result<()> {
    for line in intro {
        println!("{line}");
    }
    println!("type a line and press enter; end of input (Ctrl-D) to leave");
    let printer = tokio::spawn(async move {
        let mut printed = HashSet::new();
        while let Some(update) = ui.recv().await {
            match update {
                Ui::History(lines) => {
                    for line in lines {
                        if printed.insert((line.author, line.seq)) {
                            let who = identity_solution::PublicKey::from_bytes(line.author)
                                .map(|k| short(&k.peer_id().to_string()).to_string())
                                .unwrap_or_default();
                            println!("<{} {who}> {}", line.nick, line.text);
                        }
                    }
                }
                Ui::Neighbour { peer, nick, joined } => {
                    let verb = if joined { "joined" } else { "left" };
                    println!("* {verb} {} {}", nick.as_deref().unwrap_or("?"), short(&peer));
                }
                Ui::Members(_) => {}
                Ui::Notice(text) => println!("! {text}"),
                Ui::Live { peer, nick, text } => println!("{}", live(&peer, nick.as_deref(), &text)),
            }
        }
    });
    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(text)) = stdin.next_line().await {
        if text.trim().is_empty() {
            continue;
        }
        let (reply, answer) = oneshot::channel();
        if events.send(Event::Say { text, reply }).await.is_err() {
            break;
        }
        if let Ok(Err(why)) = answer.await {
            println!("! not said: {why}");
        }
    }
    printer.abort();
    Ok(())
}

/// How many libp2p peers' lines the full-screen interface keeps.
const LIVE_KEPT: usize = 500;

/// How many comings and goings the side panel keeps.
const EVENTS_KEPT: usize = 50;

/// What the full-screen interface shows.
#[derive(Default)]
struct Screen {
    intro: Vec<String>,
    history: Vec<String>,
    /// libp2p peers' lines (in no log), each after the history line it came after.
    live: Vec<(usize, String)>,
    members: Vec<super::room::Member>,
    events: std::collections::VecDeque<String>,
    input: String,
    /// Lines scrolled up from the bottom of the history.
    scroll: usize,
    status: String,
}

/// The full-screen interface, until Esc or Ctrl-C.
pub async fn full(
    intro: Vec<String>,
    nick: &str,
    mut ui: mpsc::UnboundedReceiver<Ui>,
    events: mpsc::Sender<Event>,
) -> anyhow::Result<()> {
    use ratatui::crossterm::event::{self, Event as Term, KeyCode, KeyEventKind, KeyModifiers};

    // Keys come from a thread: crossterm's reads block. A key wakes it at once; the
    // poll's timeout only bounds how long it outlives the interface (nothing waits for
    // it), so it is long enough to leave an idle peer asleep.
    let (keys_tx, mut keys) = mpsc::unbounded_channel();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stopping = stop.clone();
    std::thread::spawn(move || {
        while !stopping.load(std::sync::atomic::Ordering::Relaxed) {
            if event::poll(std::time::Duration::from_secs(1)).unwrap_or(false) {
                match event::read() {
                    Ok(e) => {
                        if keys_tx.send(e).is_err() {
                            return;
                        }
                    }
                    Err(_) => return,
                }
            }
        }
    });
    let mut terminal = ratatui::init();
    let mut screen = Screen {
        intro,
        status: format!("you are {nick} · Enter says · PgUp/PgDn scroll · Esc leaves"),
        ..Screen::default()
    };
    let result = loop {
        if let Err(e) = terminal.draw(|frame| draw(frame, &screen)) {
            break Err(e.into());
        }
        tokio::select! {
            update = ui.recv() => match update {
                None => break Ok(()),
                Some(update) => apply(&mut screen, update),
            },
            key = keys.recv() => match key {
                None => break Ok(()),
                Some(Term::Key(k)) if k.kind != KeyEventKind::Release => match k.code {
                    KeyCode::Esc => break Ok(()),
                    KeyCode::Char('c' | 'd') if k.modifiers.contains(KeyModifiers::CONTROL) => break Ok(()),
                    KeyCode::Char(c) => screen.input.push(c),
                    KeyCode::Backspace => {
                        screen.input.pop();
                    }
                    KeyCode::PageUp | KeyCode::Up => screen.scroll = (screen.scroll + if k.code == KeyCode::Up { 1 } else { 10 }).min(screen.history.len()),
                    KeyCode::PageDown | KeyCode::Down => screen.scroll = screen.scroll.saturating_sub(if k.code == KeyCode::Down { 1 } else { 10 }),
                    KeyCode::Enter => {
                        let text = std::mem::take(&mut screen.input);
                        if !text.trim().is_empty() {
                            let (reply, answer) = oneshot::channel();
                            if events.send(Event::Say { text, reply }).await.is_err() {
                                break Ok(());
                            }
                            if let Ok(Err(why)) = answer.await {
                                screen.status = format!("not said: {why}");
                            }
                            screen.scroll = 0;
                        }
                    }
                    _ => {}
                },
                Some(_) => {}
            },
        }
    };
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    ratatui::restore();
    result
}

fn who(author: [u8; 32]) -> String {
    identity_solution::PublicKey::from_bytes(author)
        .map(|k| short(&k.peer_id().to_string()).to_string())
        .unwrap_or_default()
}

fn apply(screen: &mut Screen, update: Ui) {
    match update {
        Ui::History(lines) => {
            screen.history = lines.iter().map(|l| format!("<{} {}> {}", l.nick, who(l.author), l.text)).collect()
        }
        Ui::Members(members) => screen.members = members,
        Ui::Neighbour { peer, nick, joined } => {
            let verb = if joined { "joined" } else { "left" };
            screen.events.push_back(format!("{} {} {verb}", nick.as_deref().unwrap_or("?"), short(&peer)));
            if screen.events.len() > EVENTS_KEPT {
                screen.events.pop_front();
            }
        }
        Ui::Notice(text) => screen.status = text,
        Ui::Live { peer, nick, text } => {
            screen.live.push((screen.history.len(), live(&peer, nick.as_deref(), &text)));
            if screen.live.len() > LIVE_KEPT {
                screen.live.remove(0);
            }
        }
    }
}

/// A libp2p peer's line: `<nick short-id> text` when its identify claims a nick, else
/// `<short-id> text`.
fn live(peer: &str, nick: Option<&str>, text: &str) -> String {
    match nick {
        Some(nick) => format!("<{nick} {}> {text}", short(peer)),
        None => format!("<{}> {text}", short(peer)),
    }
}

fn draw(frame: &mut ratatui::Frame, screen: &Screen) {
    use ratatui::layout::{Constraint, Layout};
    use ratatui::text::Line;
    use ratatui::widgets::{Block, Paragraph};

    let [main, side] = Layout::horizontal([Constraint::Min(30), Constraint::Length(30)]).areas(frame.area());
    let [history, input, status] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(3), Constraint::Length(1)]).areas(main);
    let [members, events] = Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(side);

    // The history: the intro, then every line; the newest at the bottom unless scrolled.
    let mut all: Vec<&String> = screen.intro.iter().collect();
    let mut live = screen.live.iter().peekable();
    for (i, line) in screen.history.iter().enumerate() {
        while let Some((_, l)) = live.next_if(|(at, _)| *at <= i) {
            all.push(l);
        }
        all.push(line);
    }
    all.extend(live.map(|(_, l)| l));
    let rows = history.height.saturating_sub(2) as usize;
    let end = all.len().saturating_sub(screen.scroll);
    let start = end.saturating_sub(rows);
    let title =
        if screen.scroll > 0 { format!(" history (scrolled up {}) ", screen.scroll) } else { " history ".to_string() };
    let lines: Vec<Line> = all[start..end].iter().map(|l| Line::raw(l.as_str())).collect();
    frame.render_widget(Paragraph::new(lines).block(Block::bordered().title(title)), history);

    frame.render_widget(Paragraph::new(format!("> {}", screen.input)).block(Block::bordered().title(" say ")), input);
    frame.set_cursor_position((input.x + 3 + screen.input.chars().count() as u16, input.y + 1));
    frame.render_widget(Paragraph::new(screen.status.as_str()), status);

    let connected = screen.members.iter().filter(|m| m.connected).count();
    let member_lines: Vec<Line> = screen
        .members
        .iter()
        .map(|m| {
            Line::raw(format!(
                "{} {} {}",
                if m.connected { "●" } else { "○" },
                m.nick.as_deref().unwrap_or("?"),
                short(&m.peer)
            ))
        })
        .collect();
    let title = format!(" members {connected}/{} ", screen.members.len());
    frame.render_widget(Paragraph::new(member_lines).block(Block::bordered().title(title)), members);
    let rows = events.height.saturating_sub(2) as usize;
    let event_lines: Vec<Line> = screen.events.iter().rev().take(rows).rev().map(|e| Line::raw(e.as_str())).collect();
    frame.render_widget(Paragraph::new(event_lines).block(Block::bordered().title(" comings and goings ")), events);
}
