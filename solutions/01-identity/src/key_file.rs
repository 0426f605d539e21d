//! Keeping an identity across restarts: the secret key in a file only its owner
//! can read.
//!
//! The format is one line: the 32-byte secret key as 64 hex digits (whitespace
//! around it is ignored). Text, so a person can tell the file apart from others;
//! no public key stored beside it, since the public key is derived from the secret.
//!
//! The file is created with permissions `0600` (read and write for the owner, nothing
//! for anyone else), and loading refuses a file that others can read, as OpenSSH
//! does with its "UNPROTECTED PRIVATE KEY FILE" warning: a secret that others could
//! have read must be treated as leaked. Saving never overwrites an existing file,
//! because overwriting a key file destroys an identity for good.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::keys::Keypair;

/// What went wrong reading or writing a key file. Each variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The file could not be opened, read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The key file.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// Saving would overwrite an existing key file (and lose that identity).
    #[error("{} already exists; refusing to overwrite a key file", path.display())]
    Exists {
        /// The key file.
        path: PathBuf,
    },
    /// Others can read or write the file, so the secret may have leaked.
    #[error("{} has permissions {mode:03o}; a key file must be readable by its owner only (chmod 600)", path.display())]
    Permissions {
        /// The key file.
        path: PathBuf,
        /// Its permission bits, e.g. `0o644`.
        mode: u32,
    },
    /// The file is not 64 hex digits.
    #[error("{} is not a key file: {reason}", path.display())]
    Corrupt {
        /// The key file.
        path: PathBuf,
        /// What is wrong with its content.
        reason: String,
    },
}

/// Writes `keypair`'s secret key to a new file at `path`, readable by its owner only:
/// the 64 hex digits and a newline, on disk before this returns.
///
/// Fails with [`KeyFileError::Exists`] if the file exists, leaving it untouched; any
/// other failure is [`KeyFileError::Io`]. The check for an existing file and the
/// creation must be one step, or another process could create the file in between.
/// On Unix the permissions are `0600` from the moment the file exists, not set by a
/// `chmod` afterwards, which would leave a moment when others can read it.
pub fn save_key(path: &Path, keypair: &Keypair) -> Result<(), KeyFileError> {
    let io = |source| KeyFileError::Io { path: path.to_path_buf(), source };
    let mut options = std::fs::OpenOptions::new();
    // `create_new` checks and creates in one step, so two processes saving at once
    // cannot both "win" and overwrite each other.
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        // Set the mode when the file is created, not after: a chmod afterwards
        // leaves a moment in which the secret is readable by others.
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::AlreadyExists => KeyFileError::Exists { path: path.to_path_buf() },
        _ => io(source),
    })?;
    let line = format!("{}\n", hex::encode(keypair.secret_bytes()));
    file.write_all(line.as_bytes()).map_err(io)?;
    // The key is only safe once it is on the disk, not in the page cache.
    file.sync_all().map_err(io)
}

/// Reads the keypair saved at `path` by [`save_key`] (or by the reference's).
///
/// Checks the permissions first, before reading a byte of the secret: on Unix, if
/// group or others have any access at all, it is [`KeyFileError::Permissions`] with
/// the file's permission bits (`0o644`, say). Then the content: anything that is not
/// exactly 64 hex digits once the whitespace around it is removed (a file that is not
/// text at all included) is [`KeyFileError::Corrupt`], with a reason a person can act
/// on. A missing file, or one the system will not let you read, is
/// [`KeyFileError::Io`].
pub fn load_key(path: &Path) -> Result<Keypair, KeyFileError> {
    let io = |source| KeyFileError::Io { path: path.to_path_buf(), source };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_err(io)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(KeyFileError::Permissions { path: path.to_path_buf(), mode });
        }
    }
    let corrupt = |reason: String| KeyFileError::Corrupt { path: path.to_path_buf(), reason };
    let bytes = std::fs::read(path).map_err(io)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| corrupt("it is not text".into()))?;
    let digits = text.trim();
    if digits.len() != 64 {
        return Err(corrupt(format!("expected 64 hex digits, found {} characters", digits.len())));
    }
    let mut secret = [0u8; 32];
    hex::decode_to_slice(digits, &mut secret).map_err(|e| corrupt(format!("not hex: {e}")))?;
    Ok(Keypair::from_secret_bytes(secret))
}
