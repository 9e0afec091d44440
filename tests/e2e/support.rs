//! Spawning the binary and talking JSON-RPC to it over stdio.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub const BIN: &str = env!("CARGO_BIN_EXE_ttai");

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A running `ttai` with its stdout lines parsed as JSON-RPC.
pub struct Ttai {
    pub child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    pub stdout_log: Arc<Mutex<Vec<String>>>,
    pub stderr: Arc<Mutex<String>>,
    next_id: i64,
    pub data_dir: tempfile::TempDir,
    pending: Vec<Value>,
}

impl Ttai {
    /// `ttai ARGS` with a fresh data dir and no credentials in the environment.
    pub fn spawn(args: &[&str]) -> Ttai {
        Ttai::spawn_with(args, &[])
    }

    pub fn spawn_with(args: &[&str], env: &[(&str, &str)]) -> Ttai {
        let data_dir = tempfile::tempdir().unwrap();
        Ttai::spawn_in(data_dir, args, env)
    }

    pub fn spawn_in(data_dir: tempfile::TempDir, args: &[&str], env: &[(&str, &str)]) -> Ttai {
        let mut command = command(data_dir.path(), args, &[("TTAI_LOG_LEVEL", "debug")]);
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("the ttai binary starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        let stdout_log = Arc::new(Mutex::new(Vec::new()));
        let log = stdout_log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                log.lock().unwrap().push(line.clone());
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let err_sink = stderr.clone();
        let mut child_stderr = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(&mut child_stderr);
            let mut line = String::new();
            while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                err_sink.lock().unwrap().push_str(&line);
                line.clear();
            }
        });
        let stdin = child.stdin.take();
        Ttai {
            child,
            stdin,
            lines: rx,
            stdout_log,
            stderr,
            next_id: 1,
            data_dir,
            pending: Vec::new(),
        }
    }

    /// Writes one raw line.
    pub fn send_raw(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(text.as_bytes()).unwrap();
        stdin.write_all(b"\n").unwrap();
        stdin.flush().unwrap();
    }

    /// The next message, within `timeout`.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Option<Value> {
        if !self.pending.is_empty() {
            return Some(self.pending.remove(0));
        }
        match self.lines.recv_timeout(timeout) {
            Ok(line) => Some(
                serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}")),
            ),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => None,
        }
    }

    pub fn recv(&mut self) -> Value {
        self.recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|| panic!("no message from ttai; stderr:\n{}", self.stderr()))
    }

    /// Messages until the answer with `id`; notifications seen on the way are returned too.
    pub fn wait_for_id(&mut self, id: &Value) -> (Value, Vec<Value>) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut others = Vec::new();
        // An answer read earlier while waiting for another id.
        if let Some(at) = self
            .pending
            .iter()
            .position(|m| m.get("id") == Some(id) && m.get("method").is_none())
        {
            return (self.pending.remove(at), others);
        }
        let mut kept = Vec::new();
        while Instant::now() < deadline {
            let message = match self.lines.recv_timeout(Duration::from_millis(200)) {
                Ok(line) => serde_json::from_str::<Value>(&line)
                    .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}")),
                Err(_) => continue,
            };
            if message.get("id") == Some(id) && message.get("method").is_none() {
                self.pending.extend(kept);
                return (message, others);
            }
            if message.get("method").is_some() {
                others.push(message);
            } else {
                kept.push(message);
            }
        }
        panic!("no answer to id {id}; stderr:\n{}", self.stderr());
    }

    /// A request; returns the whole answer.
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        self.request_with_notes(method, params).0
    }

    pub fn request_with_notes(&mut self, method: &str, params: Value) -> (Value, Vec<Value>) {
        let id = json!(self.next_id);
        self.next_id += 1;
        self.send_raw(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string());
        self.wait_for_id(&id)
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send_raw(&json!({"jsonrpc": "2.0", "method": method, "params": params}).to_string());
    }

    pub fn initialize(&mut self, version: &str) -> Value {
        let answer = self.request(
            "initialize",
            json!({"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "e2e", "version": "1"}}),
        );
        self.notify("notifications/initialized", json!({}));
        answer
    }

    /// `tools/call`; returns the result object (panics on a protocol error).
    pub fn call(&mut self, tool: &str, args: Value) -> Value {
        let answer = self.request("tools/call", json!({"name": tool, "arguments": args}));
        assert!(answer.get("error").is_none(), "{tool}: {answer}");
        answer["result"].clone()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Closes stdin and waits for the exit.
    pub fn finish(mut self) -> (ExitStatus, Ttai) {
        drop(self.stdin.take());
        let status = wait(&mut self.child, Duration::from_secs(30));
        (status, self)
    }

    pub fn data_path(&self) -> &Path {
        self.data_dir.path()
    }

    /// Hands the data dir over (to start another `ttai` on it) after this one ended.
    pub fn data_dir_handle(mut self) -> tempfile::TempDir {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::mem::replace(&mut self.data_dir, tempfile::tempdir().unwrap())
    }
}

impl Drop for Ttai {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn wait(child: &mut Child, timeout: Duration) -> ExitStatus {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("ttai did not exit within {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// `ttai ARGS` on `data_dir` with piped stdio, no credentials and no broker or transport from the
/// test's environment, then `env`.
pub fn command(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_remove("TASTYTRADE_CLIENT_SECRET")
        .env_remove("TASTYTRADE_REFRESH_TOKEN")
        .env_remove("TTAI_BROKER")
        .env_remove("TTAI_TRANSPORT")
        .env("TTAI_DATA_DIR", data_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        command.env(k, v);
    }
    command
}

/// Runs `ttai ARGS` to completion: (exit code, stdout, stderr).
pub fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let data_dir = tempfile::tempdir().unwrap();
    let output = command(data_dir.path(), args, env)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// The arguments of a prompt from `prompts/list`: each required one set to `value`.
pub fn required_prompt_arguments(prompt: &Value, value: &str) -> Value {
    let mut args = serde_json::Map::new();
    for arg in prompt["arguments"].as_array().unwrap() {
        if arg["required"] == true {
            args.insert(arg["name"].as_str().unwrap().to_owned(), json!(value));
        }
    }
    Value::Object(args)
}

/// The output schema of a tool from `tools/list`.
pub fn output_schema(tools: &Value, name: &str) -> Value {
    tools["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap()["outputSchema"]
        .clone()
}
