//! The terminal: what the user sees and types.
//!
//! - [`plain`]: line mode (`--plain`), for scripts and tests: each line of stdin is
//!   said in the room; each new line of the history, each neighbour that comes or goes,
//!   is printed as one line of stdout (`<nick id> text`, `* joined nick id`,
//!   `* left nick id`).
//! - [`full`]: the full-screen interface.

use std::collections::HashSet;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::{mpsc, oneshot};

use super::room::{Event, Ui, short};

/// Line mode: until stdin ends.
pub async fn plain(intro: Vec<String>, mut ui: mpsc::UnboundedReceiver<Ui>, events: mpsc::Sender<Event>) -> anyhow::Result<()> {
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

/// The full-screen interface.
pub async fn full(intro: Vec<String>, _nick: &str, ui: mpsc::UnboundedReceiver<Ui>, events: mpsc::Sender<Event>) -> anyhow::Result<()> {
    plain(intro, ui, events).await
}
