//! Running a child process that may hang, crash or be interrupted.
//!
//! A learner's code can loop forever, and a test may itself start processes. So each
//! child runs in a process group of its own: on a time-out, or when the learner
//! presses Ctrl-C, the runner kills the whole group, and nothing is left running.

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Mutex;
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
    Ok(Output {
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
        ending: ending?,
    })
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
            && start.elapsed() >= limit {
                kill_group(child.id());
                let _ = child.kill();
                child.wait()?;
                return Ok(Ending::TimedOut(limit));
            }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn reader<R: Read + Send + 'static>(pipe: Option<R>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}
