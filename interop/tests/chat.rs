//! A rust-libp2p node and the room chat (`chat-app`, the real program): the
//! libp2p node dials a chat peer over loopback TCP, completes `/noise`, Noise XX and
//! `/yamux/1.0.0` with it, pings it over `/ipfs/ping/1.0.0` and reads its identify.
//!
//! The chat is built in the root workspace (its own target directory, so no lock is
//! shared with this suite's) and run with `--plain --no-mdns`: nothing leaves loopback.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use interop::libp2p_node::{Libp2pNode, Seen};

const WAIT: Duration = Duration::from_secs(20);
const PINGS: usize = 3;

struct Chat(Child);

impl Drop for Chat {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Builds the chat program in the root workspace and returns its path.
fn chat_program() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the repository").to_path_buf();
    let status = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .current_dir(&root)
        .args(["build", "--quiet", "--package", "chat-app", "--bin", "chat-app"])
        .env_remove("CARGO_TARGET_DIR")
        .status()
        .expect("cargo runs");
    assert!(status.success(), "the chat program builds");
    root.join("target/debug/chat-app")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rust_libp2p_pings_a_chat_peer() {
    let keys = tempfile_dir();
    let mut child = Command::new(chat_program())
        .args(["ada", "--plain", "--no-mdns", "--room", &format!("interop-{}", std::process::id()), "--keys"])
        .arg(&keys)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the chat starts");
    let stdout = child.stdout.take().expect("piped");
    let chat = Chat(child);
    // "ada is PEERID, listening on 127.0.0.1:PORT"
    let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
    let (id, addr) = lines
        .by_ref()
        .find_map(|l| {
            let (_, rest) = l.split_once(" is ")?;
            let (id, rest) = rest.split_once(", listening on ")?;
            Some((id.to_string(), rest.split(' ').next()?.to_string()))
        })
        .expect("the chat says who it is and where it listens");
    let addr: std::net::SocketAddr = addr.parse().expect("an address");
    // Keep reading what it prints: a closed pipe would end it.
    std::thread::spawn(move || lines.for_each(drop));

    let mut theirs = Libp2pNode::start(Duration::from_millis(200)).expect("a libp2p node");
    theirs.listening_port().await.expect("it listens");
    theirs.dial(format!("/ip4/127.0.0.1/tcp/{}", addr.port()).parse().expect("a multiaddr"));
    let chat_id: libp2p::PeerId = id.parse().expect("the chat's peer id is a libp2p peer id");
    theirs
        .wait_for(WAIT, |s| match s {
            Seen::Connected(p) if *p == chat_id => Some(()),
            Seen::Failed(why) => panic!("rust-libp2p could not connect to the chat: {why}"),
            _ => None,
        })
        .await
        .unwrap_or_else(|skipped| panic!("no connection: {skipped:?}"));
    let info = theirs
        .wait_for(WAIT, |s| match s {
            Seen::Identified(p, info) if *p == chat_id => Some(info.clone()),
            _ => None,
        })
        .await
        .unwrap_or_else(|skipped| panic!("rust-libp2p identified nothing: {skipped:?}"));
    assert_eq!(info.public_key.to_peer_id(), chat_id, "identify names the key the handshake proved");
    let protocols: Vec<String> = info.protocols.iter().map(|p| p.to_string()).collect();
    for p in ["/ipfs/ping/1.0.0", "/ipfs/id/1.0.0", "/p2p-handbook/chat/push/1.0.0"] {
        assert!(protocols.iter().any(|q| q == p), "the chat does not list {p}: {protocols:?}");
    }
    for i in 0..PINGS {
        let rtt = theirs
            .wait_for(WAIT, |s| match s {
                Seen::Pinged(p, result) if *p == chat_id => Some(result.clone()),
                Seen::Closed(p, why) if *p == chat_id => Some(Err(format!("connection closed: {why}"))),
                _ => None,
            })
            .await
            .unwrap_or_else(|skipped| panic!("ping {i}: none reported: {skipped:?}"));
        rtt.unwrap_or_else(|e| panic!("ping {i}: rust-libp2p's ping of the chat failed: {e}"));
    }
    drop(chat);
    let _ = std::fs::remove_dir_all(&keys);
}

/// A fresh key directory under the system's temporary folder.
fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("interop-chat-{}-{}", std::process::id(), rand::random::<u32>()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}
