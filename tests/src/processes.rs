//! Real `kosodate` processes for the suites that start and kill them (notice delivery, shared
//! matching runs, several servers and workers): where the binary is, a child killed when dropped
//! so that a failing test leaves none behind, and the command line every such child starts with.

use std::fs::OpenOptions;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use sea_orm::DatabaseConnection;

/// A fresh, migrated PostgreSQL database that several processes share.
#[derive(Debug)]
pub struct TestDatabase {
    pub url: String,
    pub connection: DatabaseConnection,
}

/// A new PostgreSQL database, migrated. Left in place for scripts/test to drop: a failing
/// test's data can then be inspected.
pub async fn fresh_database() -> TestDatabase {
    let url = crate::fresh_postgres_database()
        .await
        .expect("the test PostgreSQL server is reachable");
    let connection = kosodate_database::connect(&url, 5)
        .await
        .expect("the new database accepts connections");
    kosodate_server::startup::migrate(&connection)
        .await
        .expect("the new database migrates");
    TestDatabase { url, connection }
}

/// The `kosodate` binary of this build: the test executable is `target/<profile>/deps/…`.
pub fn kosodate_binary() -> PathBuf {
    let test_executable = std::env::current_exe().expect("the test executable has a path");
    let binary = test_executable
        .parent()
        .and_then(Path::parent)
        .map(|profile| profile.join(format!("kosodate{}", std::env::consts::EXE_SUFFIX)));
    match binary {
        Some(binary) if binary.is_file() => binary,
        _ => panic!(
            "the kosodate binary is not next to {}: run `cargo build -p kosodate-server` first (scripts/test does)",
            test_executable.display()
        ),
    }
}

/// `kosodate ARGS` with nothing inherited but `environment`: a DATABASE_URL or KOSODATE_*
/// variable of the shell running the tests must not point a child elsewhere, nor a
/// kosodate.toml in its working directory. It runs in `directory`, its standard error appended
/// to `log`.
pub fn kosodate_command(
    args: &[&str],
    environment: &[(String, String)],
    directory: &Path,
    log: &Path,
) -> Command {
    let stderr = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("the log file opens");
    let mut command = Command::new(kosodate_binary());
    command
        .args(args)
        .env_clear()
        .envs(environment.iter().map(|(name, value)| (name, value)))
        .current_dir(directory)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr);
    command
}

/// A running `kosodate` process, killed when dropped.
#[derive(Debug)]
pub struct KosodateProcess {
    child: Child,
}

impl KosodateProcess {
    pub fn spawn(mut command: Command) -> Self {
        let child = command.spawn().expect("the kosodate binary starts");
        Self { child }
    }

    /// The operating system's id of the process.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: the process gets no chance to finish or record anything.
    pub fn kill(&mut self) {
        // Fails only if the process is already reaped, which the drop below also tolerates.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether it has exited, and how: `None` while it runs.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }
}

impl Drop for KosodateProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The end of a log file, for a failure message.
pub fn log_tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
