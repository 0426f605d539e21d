//! The runner's state folder (`.verify/`, or `VERIFY_STATE_DIR`): how its JSON files
//! are written, by the runner and by the instructor's tools alike.

use std::path::Path;

use serde::Serialize;

/// Writes a JSON file atomically: a temporary file in the same folder, flushed to
/// disk, then renamed over the old file.
pub fn save_json<T: Serialize>(path: &Path, value: &T) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp =
        dir.join(format!(".{}.{}.tmp", path.file_name().unwrap_or_default().to_string_lossy(), std::process::id()));
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(&serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)
}
