//! Running a child process that may hang, crash or be interrupted.
//!
//! A learner's code can loop forever, and a test may itself start processes. So each
//! child runs in a process group of its own: on a time-out, or when the learner
//! presses Ctrl-C, the runner kills the whole group, and nothing is left running.
//!
//! A process group is not enough on its own: code that calls `setsid` (or starts a
//! daemon) leaves the group, and such a grandchild can keep the output pipes open for
//! ever. So on Linux the runner also makes itself a *child subreaper*
//! (`PR_SET_CHILD_SUBREAPER`): every orphaned descendant is re-parented to the runner
//! instead of to init, where the runner can find it (through `/proc`) and kill it.
//! And the runner stops reading a child's pipes shortly after the child itself has
//! ended, whoever still holds them.

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Process ids of the running children (each leads its own process group), so the
/// Ctrl-C handler can stop them.
static RUNNING: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// How a child ended.
#[derive(Debug)]
pub enum Ending {
    /// It exited (or was killed by a signal it raised itself, such as an abort).
    Exited(ExitStatus),
    /// It ran past the time limit and was killed with its whole process group.
    TimedOut(Duration),
}

/// What a child printed, and how it ended.
#[derive(Debug)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub ending: Ending,
}

/// Makes Ctrl-C (and SIGTERM, SIGHUP) stop every child group before the runner exits,
/// so an interrupted check leaves no test process behind.
pub fn install_interrupt_handler() {
    let _ = ctrlc::set_handler(|| {
        kill_all();
        eprintln!("\nInterrupted: stopped the running checks. Your files are untouched.");
        std::process::exit(130);
    });
}

/// Stops every running child group and exits at once: for a user who asked to quit
/// while a build or a check is still running.
pub fn quit(code: i32) -> ! {
    kill_all();
    std::process::exit(code);
}

fn kill_all() {
    let pids: Vec<u32> = RUNNING.lock().map(|r| r.clone()).unwrap_or_default();
    for pid in pids {
        kill_group(pid);
    }
    kill_descendants();
}

/// How long the runner keeps reading a child's output after the child has ended:
/// enough for the last bytes in the pipe, not enough for a grandchild that holds the
/// pipe open to stall the runner.
const READ_GRACE: Duration = Duration::from_millis(500);

/// Makes the runner the reaper of its orphaned descendants (Linux), once.
#[cfg(target_os = "linux")]
fn become_subreaper() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    });
}

#[cfg(not(target_os = "linux"))]
fn become_subreaper() {}

/// Kills every process descended from the runner (children, and orphans re-parented
/// to it as subreaper), then reaps them. Called only when no child of the runner is
/// meant to be running any more.
#[cfg(target_os = "linux")]
pub fn kill_descendants() {
    let me = std::process::id();
    // Repeat: a process may fork while we look, so look again until a round finds
    // nobody (each round kills all it found; a bound keeps a fork bomb from holding
    // the runner here for ever).
    for _ in 0..100 {
        let parents = process_parents();
        let mut found = Vec::new();
        let mut frontier = vec![me];
        while let Some(parent) = frontier.pop() {
            for (&pid, &ppid) in &parents {
                if ppid == parent && pid != me && !found.contains(&pid) {
                    found.push(pid);
                    frontier.push(pid);
                }
            }
        }
        if found.is_empty() {
            return;
        }
        for &pid in &found {
            unsafe {
                libc::kill(pid as libc::pid_t, libc::SIGKILL);
            }
        }
        for &pid in &found {
            // Only our own children can be reaped; for the others this is a no-op.
            unsafe {
                libc::waitpid(pid as libc::pid_t, std::ptr::null_mut(), 0);
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
pub fn kill_descendants() {}

/// Every process's parent, from `/proc/PID/stat` (field 4, after the command name in
/// parentheses, which may itself contain spaces and parentheses).
#[cfg(target_os = "linux")]
fn process_parents() -> std::collections::BTreeMap<u32, u32> {
    let mut parents = std::collections::BTreeMap::new();
    let Ok(entries) = std::fs::read_dir("/proc") else { return parents };
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        let Some((_, after)) = stat.rsplit_once(')') else { continue };
        if let Some(ppid) = after.split_whitespace().nth(1).and_then(|p| p.parse().ok()) {
            parents.insert(pid, ppid);
        }
    }
    parents
}

#[cfg(unix)]
fn kill_group(pid: u32) {
    // The child is the leader of its own group, so -pid names the whole group.
    unsafe {
        libc::kill(-(pid as libc::pid_t), libc::SIGKILL);
    }
}

#[cfg(not(unix))]
fn kill_group(_pid: u32) {}

/// Runs `command` to the end or until `limit` passes, capturing its output.
///
/// Standard input is closed: a check that waits for input fails instead of hanging.
pub fn run(mut command: Command, limit: Option<Duration>) -> std::io::Result<Output> {
    become_subreaper();
    command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
    }
    let mut child = command.spawn()?;
    let pid = child.id();
    if let Ok(mut running) = RUNNING.lock() {
        running.push(pid);
    }
    let stdout = reader(child.stdout.take());
    let stderr = reader(child.stderr.take());
    let ending = wait(&mut child, limit);
    if let Ok(mut running) = RUNNING.lock() {
        running.retain(|p| *p != pid);
    }
    // The child is gone; so must be everything it started, in its group or not.
    kill_descendants();
    let finished = Instant::now() + READ_GRACE;
    Ok(Output { stdout: stdout.take(finished), stderr: stderr.take(finished), ending: ending? })
}

fn wait(child: &mut Child, limit: Option<Duration>) -> std::io::Result<Ending> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            // Grandchildren may still hold the pipes open; they belong to the same
            // group and must not outlive the check either.
            kill_group(child.id());
            return Ok(Ending::Exited(status));
        }
        if let Some(limit) = limit
            && start.elapsed() >= limit
        {
            kill_group(child.id());
            let _ = child.kill();
            child.wait()?;
            return Ok(Ending::TimedOut(limit));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A pipe being read on a thread of its own, into a buffer that can be taken at
/// any time: what was read so far is all there is once the deadline passes.
struct Reader {
    bytes: Arc<Mutex<Vec<u8>>>,
    done: std::sync::mpsc::Receiver<()>,
}

impl Reader {
    /// What the pipe gave, waiting for its end until `deadline` at most.
    fn take(self, deadline: Instant) -> String {
        let _ = self.done.recv_timeout(deadline.saturating_duration_since(Instant::now()));
        let bytes = self.bytes.lock().map(|b| b.clone()).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

fn reader<R: Read + Send + 'static>(pipe: Option<R>) -> Reader {
    let bytes = Arc::new(Mutex::new(Vec::new()));
    let (tx, done) = std::sync::mpsc::channel();
    let sink = Arc::clone(&bytes);
    std::thread::spawn(move || {
        if let Some(mut pipe) = pipe {
            let mut chunk = [0u8; 8192];
            while let Ok(n) = pipe.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                if let Ok(mut all) = sink.lock() {
                    all.extend_from_slice(&chunk[..n]);
                }
            }
        }
        let _ = tx.send(());
    });
    Reader { bytes, done }
}
