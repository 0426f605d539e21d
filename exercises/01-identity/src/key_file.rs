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

/// Writes `keypair`'s secret key to a new file at `path`, readable by its owner only:
/// the 64 hex digits and a newline, on disk before this returns.
///
/// Fails with [`KeyFileError::Exists`] if the file exists, leaving it untouched; any
/// other failure is [`KeyFileError::Io`]. The check for an existing file and the
/// creation must be one step, or another process could create the file in between.
/// On Unix the permissions are `0600` from the moment the file exists, not set by a
/// `chmod` afterwards, which would leave a moment when others can read it.
pub fn save_key(path: &Path, keypair: &Keypair) -> Result<(), KeyFileError> {
    // TODO (step 8)
    todo!()
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
    // TODO (step 8): load what save_key wrote
    // TODO (step 9): and refuse the exposed and the corrupt, each with its variant
    todo!()
}
