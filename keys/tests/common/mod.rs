//! Shared helpers for the CLI tests: run the real `chatseal` binary.

#![allow(dead_code, unreachable_pub)]

pub mod http;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_chatseal");

/// A finished run of the binary.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    fn from(o: Output) -> Self {
        Self {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }

    /// Asserts the exit code, showing the output on failure.
    #[track_caller]
    pub fn code(self, want: i32) -> Self {
        assert_eq!(
            self.code, want,
            "exit {} (want {want})\nstdout:\n{}\nstderr:\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }

    /// Asserts success and returns stdout.
    #[track_caller]
    pub fn ok(self) -> String {
        self.code(0).stdout
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// A command with a clean environment for chatseal's variables.
pub fn cmd(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args)
        .env_remove("CHATSEAL_PASSPHRASE")
        .env_remove("CHATSEAL_LOCK_TIMEOUT_MS")
        .stdin(Stdio::null());
    c
}

pub fn run(args: &[&str]) -> Run {
    Run::from(cmd(args).output().expect("run chatseal"))
}

pub fn run_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut c = cmd(args);
    for (k, v) in env {
        c.env(k, v);
    }
    Run::from(c.output().expect("run chatseal"))
}

pub fn run_stdin(args: &[&str], input: &str) -> Run {
    let mut c = cmd(args);
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn chatseal");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    Run::from(child.wait_with_output().unwrap())
}

pub fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}
