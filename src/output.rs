//! Output files (`--json`, `--junit`, `--record`, `proxy --out`): what a command-line path
//! names, checked before a command does any work, and written without harming what is there.
//!
//! A [`Destination`] is one of:
//! - `-`: the process's standard output (`./-` is a file named `-`);
//! - **written through**: an existing file that is not a regular file — a character or block
//!   device, a FIFO, a socket — or a process's open file reached through `/proc` (`/dev/stdout`,
//!   `/dev/fd/N`), behind any number of symlinks: opened for writing, never created, truncated
//!   or renamed (a socket is connected to, as `open` cannot open one);
//! - **written atomically**: a regular file, or a path where nothing is yet: written to a
//!   temporary file beside it, synced, and renamed over it, so a reader never sees half a file.
//!   Behind symlinks this happens at the path they lead to, so the symlinks stay.
//!
//! Nothing is ever renamed over a device, a FIFO, a socket or a symlink: before this module,
//! `--json /dev/stdout` run as root replaced the system's `/dev/stdout` with a regular file.
//!
//! [`preflight`] checks every output of a command before it starts, so a bad path costs nothing
//! and leaves nothing behind; [`write()`] writes a whole report; [`Destination::open`] gives a
//! streaming writer (the HAR recorder) either the temporary file or the stream itself.

use std::fs::{File, OpenOptions};
use std::io::{self, ErrorKind, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

mod listing;

pub use listing::Listing;

/// Symlinks followed before giving up (Linux's own limit).
const MAX_SYMLINKS: usize = 40;

/// Whether a command-line path means standard output.
pub fn names_stdout(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// How a command-line output path is named in messages (`-` is standard output).
pub fn shown(path: &Path) -> String {
    if names_stdout(path) {
        "standard output".to_owned()
    } else {
        path.display().to_string()
    }
}

/// Where an output goes: what a command-line path names, as found when it was looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// `-`: the process's standard output.
    Stdout,
    /// An existing device, FIFO or a process's open file (through `/proc`): opened for
    /// appending, nothing created, truncated or renamed. The path is the one given.
    InPlace(PathBuf),
    /// A Unix socket: connected to, and written as a stream. The path is the one given.
    Socket(PathBuf),
    /// A regular file or a new one, written atomically; the path has its symlinks resolved.
    Atomic(PathBuf),
}

/// An output opened for writing.
#[derive(Debug)]
pub enum Opened {
    /// The temporary file of an atomic destination, to be renamed over it once complete.
    Temporary(Temporary),
    /// The destination itself, written in order; it may not be seekable.
    Stream(File),
}

impl Destination {
    /// What `given` names now. Fails on a directory, an empty path, or a path that cannot be
    /// looked at (no permission on a directory on the way, a symlink loop).
    pub fn of(given: &Path) -> io::Result<Self> {
        if names_stdout(given) {
            return Ok(Self::Stdout);
        }
        if given.as_os_str().is_empty() {
            return Err(io::Error::new(ErrorKind::InvalidInput, "an empty path"));
        }
        let resolved = resolve(given)?;
        match std::fs::metadata(given) {
            Ok(meta) if meta.is_dir() => {
                Err(io::Error::new(ErrorKind::IsADirectory, "is a directory"))
            }
            Ok(meta) if meta.file_type().is_socket() => Ok(Self::Socket(given.to_owned())),
            // `/dev/stdout` redirected to a file is that file, but renaming over it would take
            // the file away from the shell that opened it: it is written where it is.
            Ok(meta) if !meta.is_file() || resolved.through_proc => {
                Ok(Self::InPlace(given.to_owned()))
            }
            Ok(_) => Ok(Self::Atomic(resolved.path)),
            // A new file, or a dangling symlink: the file is created where the symlink points
            // ([`preflight`] says what is wrong with a directory on the way).
            Err(e) if nothing_there(&e) => Ok(Self::Atomic(resolved.path)),
            Err(e) => Err(e),
        }
    }

    /// Opens the output: the stream itself, or a fresh temporary file beside an atomic
    /// destination. Opening a FIFO waits for a reader, as a shell's `>` does.
    pub fn open(&self) -> io::Result<Opened> {
        let opened = match self {
            Self::Stdout => {
                // Written through a duplicate of the descriptor, unbuffered, so a failed write
                // is known at once; what `print!` buffered goes first.
                let stdout = io::stdout();
                stdout.lock().flush()?;
                Opened::Stream(File::from(stdout.as_fd().try_clone_to_owned()?))
            }
            // Appending: through `/dev/stdout` onto a file, the output then follows what the
            // process already wrote there instead of overwriting it from the start (and on a
            // block device it cannot overwrite the start of a disk: it finds no room).
            Self::InPlace(path) => Opened::Stream(OpenOptions::new().append(true).open(path)?),
            Self::Socket(path) => {
                Opened::Stream(File::from(OwnedFd::from(UnixStream::connect(path)?)))
            }
            Self::Atomic(path) => Opened::Temporary(Temporary::create(path)?),
        };
        Ok(opened)
    }

    /// Writes `contents` as the whole output: atomically (synced, then renamed into place), or
    /// straight into the stream.
    pub fn write(&self, contents: &[u8]) -> io::Result<()> {
        match self.open()? {
            Opened::Stream(mut stream) => stream.write_all(contents),
            Opened::Temporary(mut temporary) => {
                let written = temporary
                    .file
                    .write_all(contents)
                    .and_then(|()| temporary.file.sync_all())
                    .and_then(|()| temporary.rename_over_target());
                if written.is_err() {
                    temporary.discard();
                }
                written
            }
        }
    }

    /// Checks that the output can be written, changing nothing: an atomic destination's
    /// directory exists and takes a new file (a probe file is created and removed: permission
    /// bits do not tell, root ignores them and a read-only file system overrides them); a
    /// device or a process's open file can be opened. A FIFO is not opened (that waits for a
    /// reader), nor is a socket connected to (its server would see a client).
    fn check(&self) -> Result<(), String> {
        match self {
            Self::Stdout | Self::Socket(_) => Ok(()),
            Self::InPlace(path) => {
                let fifo = std::fs::metadata(path).is_ok_and(|m| m.file_type().is_fifo());
                if fifo {
                    return Ok(());
                }
                OpenOptions::new()
                    .append(true)
                    .open(path)
                    .map(drop)
                    .map_err(|e| format!("cannot open it for writing: {e}"))
            }
            Self::Atomic(path) => {
                let dir = directory_of(path);
                match std::fs::metadata(dir) {
                    Ok(meta) if meta.is_dir() => {}
                    Ok(_) => return Err(format!("{} is not a directory", dir.display())),
                    Err(e) if e.kind() == ErrorKind::NotFound => {
                        return Err(format!("the directory {} does not exist", dir.display()));
                    }
                    Err(e) => return Err(format!("cannot look at {}: {e}", dir.display())),
                }
                Temporary::create(path)
                    .map(Temporary::discard)
                    .map_err(|e| format!("cannot create a file in {}: {e}", dir.display()))
            }
        }
    }

    /// What the output is, to tell two outputs that would write the same file apart.
    fn identity(&self) -> Identity {
        let inode = |path: &Path| {
            std::fs::metadata(path)
                .ok()
                .map(|m| Identity::Inode(m.dev(), m.ino()))
        };
        match self {
            Self::Stdout => Identity::Stdout,
            Self::InPlace(path) | Self::Socket(path) => {
                inode(path).unwrap_or_else(|| Identity::Path(path.clone()))
            }
            Self::Atomic(path) => inode(path).unwrap_or_else(|| {
                let dir = directory_of(path);
                let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_owned());
                Identity::Path(dir.join(path.file_name().unwrap_or_default()))
            }),
        }
    }
}

/// Which file an output writes, for [`preflight`]'s check that no two outputs share one.
#[derive(Debug, PartialEq, Eq)]
enum Identity {
    Stdout,
    /// An existing file: device and inode, whatever path led to it.
    Inode(u64, u64),
    /// A file yet to be created: its path, its directory canonical.
    Path(PathBuf),
}

/// Writes `contents` as the whole output at `path` (`-`, a device, a FIFO, a socket, a regular
/// file or a new one), as [`Destination::write`] does.
pub fn write(path: &Path, contents: &[u8]) -> io::Result<()> {
    Destination::of(path)?.write(contents)
}

/// An output a command cannot write, found before it started.
#[derive(Debug, thiserror::Error)]
#[error("{flag} {path}: {problem}")]
pub struct BadOutput {
    /// The option naming it (`--json`).
    pub flag: String,
    /// The path as given.
    pub path: String,
    /// What is wrong.
    pub problem: String,
}

/// Checks every output a command will write — `(flag, path)`, `None` for an option not given —
/// before it does any work: each can be written (see [`Destination`]), and no two write the
/// same file. Leaves nothing behind.
pub fn preflight(outputs: &[(&str, Option<&Path>)]) -> Result<(), BadOutput> {
    let mut seen: Vec<(&str, Identity)> = Vec::new();
    for &(flag, path) in outputs {
        let Some(path) = path else { continue };
        let bad = |problem: String| BadOutput {
            flag: flag.to_owned(),
            path: path.display().to_string(),
            problem,
        };
        let destination = Destination::of(path).map_err(|e| bad(e.to_string()))?;
        let identity = destination.identity();
        if let Some((other, _)) = seen.iter().find(|(_, seen)| *seen == identity) {
            return Err(bad(format!("{other} writes there too")));
        }
        destination.check().map_err(bad)?;
        seen.push((flag, identity));
    }
    Ok(())
}

/// A path with the symlinks of its last component followed.
struct Resolved {
    /// Where they lead (which may not exist yet).
    path: PathBuf,
    /// Whether the way went through `/proc`, where a process's open files are (`/dev/stdout`
    /// is a symlink to `/proc/self/fd/1`).
    through_proc: bool,
}

/// Follows the symlinks of `given`'s last component, one at a time, so a dangling one still
/// says where its file would be (`canonicalize` fails on it).
fn resolve(given: &Path) -> io::Result<Resolved> {
    let mut path = given.to_owned();
    let mut through_proc = false;
    for _ in 0..MAX_SYMLINKS {
        through_proc |=
            std::fs::canonicalize(directory_of(&path)).is_ok_and(|dir| dir.starts_with("/proc"));
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                // A relative target is relative to the symlink's directory (`join` keeps an
                // absolute one as it is).
                path = directory_of(&path).join(std::fs::read_link(&path)?);
            }
            Ok(_) => return Ok(Resolved { path, through_proc }),
            Err(e) if nothing_there(&e) => return Ok(Resolved { path, through_proc }),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        ErrorKind::InvalidInput,
        "too many levels of symbolic links",
    ))
}

/// Whether looking at a path failed because there is nothing there: no such file, or a
/// component on the way that is not a directory.
fn nothing_there(error: &io::Error) -> bool {
    matches!(error.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory)
}

/// The directory a file at `path` is in (`.` for a bare name).
fn directory_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// A temporary file beside an atomic destination, named `.{name}.{pid}.{n}.tmp` (unique within
/// the process, in the destination's directory so that renaming it over the destination is
/// atomic). It stays on disk until renamed or [discarded](Self::discard): a writer that fails
/// to rename it may leave it for the user.
#[derive(Debug)]
pub struct Temporary {
    /// The open file.
    pub file: File,
    path: PathBuf,
    target: PathBuf,
}

impl Temporary {
    /// Creates the temporary file for `target`, never over an existing file (nor through a
    /// symlink planted at its name). A file replaced keeps its permission bits.
    pub fn create(target: &Path) -> io::Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path = directory_of(target).join(format!(".{name}.{}.{n}.tmp", std::process::id()));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        let temporary = Self {
            file,
            path,
            target: target.to_owned(),
        };
        if let Ok(meta) = std::fs::metadata(target)
            && let Err(e) = temporary.file.set_permissions(meta.permissions())
        {
            temporary.discard();
            return Err(e);
        }
        Ok(temporary)
    }

    /// The temporary file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the temporary file over its destination (sync it first). On failure it stays
    /// where it is.
    pub fn rename_over_target(&self) -> io::Result<()> {
        std::fs::rename(&self.path, &self.target)
    }

    /// Closes and removes the temporary file.
    pub fn discard(self) {
        drop(self.file);
        // Already gone is fine: nothing is left behind either way.
        let _ = std::fs::remove_file(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::{PermissionsExt, symlink};
    use std::process::Command;

    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("gws-conform-output-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn mkfifo(path: &Path) {
        let made = Command::new("mkfifo").arg(path).status().unwrap();
        assert!(made.success(), "mkfifo {}", path.display());
    }

    #[test]
    fn paths_are_classified_by_what_they_name() {
        let dir = scratch("classify");
        let file = dir.join("report.json");
        std::fs::write(&file, "old").unwrap();
        let fifo = dir.join("fifo");
        mkfifo(&fifo);
        symlink("report.json", dir.join("to-file")).unwrap();
        symlink(&fifo, dir.join("to-fifo")).unwrap();
        symlink("to-fifo", dir.join("to-to-fifo")).unwrap();
        symlink("nowhere.json", dir.join("dangling")).unwrap();
        symlink("loop", dir.join("loop")).unwrap();

        let of = |name: &str| Destination::of(&dir.join(name));
        assert_eq!(
            Destination::of(Path::new("-")).unwrap(),
            Destination::Stdout
        );
        assert_eq!(
            of("report.json").unwrap(),
            Destination::Atomic(file.clone())
        );
        assert_eq!(
            of("new.json").unwrap(),
            Destination::Atomic(dir.join("new.json"))
        );
        assert_eq!(of("to-file").unwrap(), Destination::Atomic(file));
        assert_eq!(
            of("dangling").unwrap(),
            Destination::Atomic(dir.join("nowhere.json"))
        );
        assert_eq!(of("fifo").unwrap(), Destination::InPlace(fifo));
        assert_eq!(
            of("to-to-fifo").unwrap(),
            Destination::InPlace(dir.join("to-to-fifo"))
        );
        assert_eq!(
            Destination::of(&dir).unwrap_err().kind(),
            ErrorKind::IsADirectory
        );
        assert!(Destination::of(Path::new("")).is_err());
        assert!(of("loop").is_err());
    }

    #[test]
    fn a_process_open_file_reached_through_proc_is_appended_to_in_place() {
        let dir = scratch("proc");
        let file = dir.join("stdout.txt");
        std::fs::write(&file, "progress\n").unwrap();
        // What `/dev/stdout` is when a shell redirected it to a file: this process's open file.
        let open = OpenOptions::new().append(true).open(&file).unwrap();
        let through_proc = PathBuf::from(format!("/proc/self/fd/{}", open.as_raw_fd()));
        assert_eq!(
            Destination::of(&through_proc).unwrap(),
            Destination::InPlace(through_proc.clone())
        );
        write(&through_proc, b"report\n").unwrap();
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            "progress\nreport\n"
        );
        assert_eq!(
            entries(&dir),
            ["stdout.txt"],
            "nothing renamed, no temporary file"
        );
    }

    #[test]
    fn an_atomic_write_replaces_a_file_and_keeps_a_symlink_to_it() {
        let dir = scratch("atomic");
        let file = dir.join("report.json");
        std::fs::write(&file, "old").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let link = dir.join("link.json");
        symlink("report.json", &link).unwrap();
        write(&link, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "new");
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600,
            "the replaced file's permissions stay"
        );
        write(&dir.join("fresh.json"), b"made").unwrap();
        assert_eq!(entries(&dir), ["fresh.json", "link.json", "report.json"]);
    }

    #[test]
    fn a_fifo_and_a_socket_are_written_through() {
        let dir = scratch("through");
        let fifo = dir.join("fifo");
        mkfifo(&fifo);
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
        };
        write(&fifo, b"through the fifo").unwrap();
        assert_eq!(reader.join().unwrap(), "through the fifo");
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());

        let socket = dir.join("socket");
        let listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        let server = std::thread::spawn(move || {
            let mut text = String::new();
            listener
                .accept()
                .unwrap()
                .0
                .read_to_string(&mut text)
                .unwrap();
            text
        });
        write(&socket, b"through the socket").unwrap();
        assert_eq!(server.join().unwrap(), "through the socket");
        assert_eq!(entries(&dir), ["fifo", "socket"], "no temporary file");
    }

    #[test]
    fn preflight_names_the_flag_and_leaves_nothing_behind() {
        let dir = scratch("preflight");
        std::fs::write(dir.join("plain"), "").unwrap();
        let fifo = dir.join("fifo");
        mkfifo(&fifo);
        let problem =
            |outputs: &[(&str, Option<&Path>)]| preflight(outputs).unwrap_err().to_string();
        let missing = dir.join("missing/out.json");
        assert_eq!(
            problem(&[("--json", Some(&missing))]),
            format!(
                "--json {}: the directory {} does not exist",
                missing.display(),
                dir.join("missing").display()
            )
        );
        let under_file = dir.join("plain/out.json");
        assert!(problem(&[("--junit", Some(&under_file))]).ends_with("plain is not a directory"));
        assert!(problem(&[("--record", Some(&dir))]).ends_with(": is a directory"));
        let report = dir.join("report.json");
        assert_eq!(
            problem(&[("--json", Some(&report)), ("--junit", Some(&report))]),
            format!("--junit {}: --json writes there too", report.display())
        );
        let stdout = Path::new("-");
        assert!(
            problem(&[("--json", Some(stdout)), ("--record", Some(stdout))])
                .contains("--json writes there too")
        );
        // Through a symlink, the same file is still the same file.
        symlink(&fifo, dir.join("to-fifo")).unwrap();
        assert!(
            problem(&[
                ("--json", Some(&fifo)),
                ("--record", Some(&dir.join("to-fifo")))
            ])
            .contains("--json writes there too")
        );
        // Fine outputs pass without opening the FIFO (that would wait for a reader).
        preflight(&[
            ("--json", Some(&report)),
            ("--junit", None),
            ("--record", Some(&fifo)),
            ("--out", Some(stdout)),
        ])
        .unwrap();
        assert_eq!(entries(&dir), ["fifo", "plain", "to-fifo"]);
    }
}
