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

/// Writes `keypair`'s secret key to a new file at `path`, readable by its owner only.
///
/// Fails with [`KeyFileError::Exists`] if the file exists.
pub fn save_key(path: &Path, keypair: &Keypair) -> Result<(), KeyFileError> {
    // TODO (step 8):
    // - open with `std::fs::OpenOptions`: write, `create_new` (checks and creates in
    //   one step, so nothing is ever overwritten), and on Unix `.mode(0o600)` from
    //   `std::os::unix::fs::OpenOptionsExt` (set when the file is created, not by a
    //   chmod afterwards, which would leave a moment when others can read it);
    // - an `AlreadyExists` error becomes `KeyFileError::Exists`, others `Io`;
    // - write the 64 hex digits and a newline, then `sync_all` so the key is on disk.
    todo!()
}

/// Reads the keypair saved at `path` by [`save_key`].
///
/// Checks the permissions first (others must have no access), then the content.
pub fn load_key(path: &Path) -> Result<Keypair, KeyFileError> {
    // TODO (steps 8 and 9):
    // - on Unix, read the permission bits (`std::fs::metadata(path)?.permissions()
    //   .mode() & 0o777`, with `std::os::unix::fs::PermissionsExt`); if group or
    //   others have any access (`mode & 0o077 != 0`), return `Permissions`;
    // - read the file; anything that is not (after `trim()`) exactly 64 hex digits
    //   is `Corrupt`, with a reason a person can act on;
    // - a missing or unreadable file is `Io`.
    todo!()
}
