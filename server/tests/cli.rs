//! The `kosodate` binary as an operator uses it: migrate, import (dry run and real), export, and
//! two servers side by side on their own data directories.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn kosodate(data_dir: &std::path::Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kosodate"))
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("DATABASE_URL")
        .env("KOSODATE_LOAD_EXAMPLES", "false")
        .output()
        .expect("kosodate runs")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

const CSV: &str = "実施主体コード,制度名,分類,概要,申請期間,申請方法_窓口,状態\n\
022012,一時預かり事業,保育・教育,保育所などで一時的にお子さんを預かります,随時,○,公開\n\
022021,子ども医療費給付,医療,医療費の自己負担分を給付します,随時,,下書き\n";

#[test]
fn import_then_export_from_the_command_line() {
    let data_dir = tempfile::tempdir().unwrap();
    stdout(&kosodate(data_dir.path(), &["migrate"]));
    assert!(
        data_dir.path().join("kosodate.sqlite").exists(),
        "the database lives in the data directory"
    );

    let file = data_dir.path().join("programs.csv");
    std::fs::write(&file, CSV).unwrap();
    let dry = stdout(&kosodate(
        data_dir.path(),
        &["import", file.to_str().unwrap(), "--dry-run"],
    ));
    assert!(dry.contains("新規 2 件"), "{dry}");
    let empty = stdout(&kosodate(data_dir.path(), &["export", "--format", "json"]));
    assert_eq!(
        serde_json::from_str::<Vec<serde_json::Value>>(&empty)
            .unwrap()
            .len(),
        0,
        "dry run kept nothing"
    );

    let done = stdout(&kosodate(data_dir.path(), &["import", file.to_str().unwrap()]));
    assert!(done.contains("取り込みました: 新規 2 件"), "{done}");
    let exported = data_dir.path().join("export.csv");
    stdout(&kosodate(
        data_dir.path(),
        &[
            "export",
            "--format",
            "csv",
            "--output",
            exported.to_str().unwrap(),
        ],
    ));
    let again = stdout(&kosodate(
        data_dir.path(),
        &["import", exported.to_str().unwrap(), "--dry-run"],
    ));
    assert!(again.contains("変更なし 2 件"), "{again}");

    std::fs::write(&file, "制度名\nだめな行\n").unwrap();
    let refused = kosodate(data_dir.path(), &["import", file.to_str().unwrap()]);
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(
        message.contains("必須の列「実施主体コード」がありません"),
        "{message}"
    );
}

/// Two different free ports: both listeners are held until both are known, or the kernel may
/// hand out the same port twice (seen: one server then answered for both).
fn two_free_ports() -> [u16; 2] {
    let listeners = [
        TcpListener::bind("127.0.0.1:0").unwrap(),
        TcpListener::bind("127.0.0.1:0").unwrap(),
    ];
    listeners.map(|listener| listener.local_addr().unwrap().port())
}

fn wait_ready(port: u16) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        let ready = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok_and(|mut stream| {
            use std::io::{Read, Write};
            let _ = stream.write_all(b"GET /readyz HTTP/1.0\r\n\r\n");
            let mut answer = String::new();
            let _ = stream.read_to_string(&mut answer);
            answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200")
        });
        if ready {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[test]
fn two_servers_run_side_by_side_on_their_own_data() {
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let ports = two_free_ports();
    let mut servers: Vec<_> = dirs
        .iter()
        .zip(ports)
        .map(|(dir, port)| {
            Command::new(env!("CARGO_BIN_EXE_kosodate"))
                .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
                .arg(dir.path())
                .env_remove("DATABASE_URL")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let ready: Vec<bool> = ports.iter().map(|port| wait_ready(*port)).collect();
    for server in &mut servers {
        let _ = server.kill();
        let _ = server.wait();
    }
    assert_eq!(ready, [true, true]);
    for dir in &dirs {
        assert!(dir.path().join("kosodate.sqlite").exists());
        assert!(dir.path().join("mailbox").is_dir());
    }
}

#[test]
fn match_runs_on_synthetic_households_and_prints_what_changed() {
    let data_dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_kosodate"))
            .arg("--data-dir")
            .arg(data_dir.path())
            .args(args)
            .env_remove("DATABASE_URL")
            .env("KOSODATE_LOAD_EXAMPLES", "true")
            .output()
            .expect("kosodate runs");
        stdout(&output)
    };
    let first = run(&[
        "match",
        "--synthetic",
        "200",
        "--seed",
        "7",
        "--today",
        "2026-11-21",
    ]);
    assert!(first.contains("合成世帯 200 件を作成しました"), "{first}");
    assert!(first.contains("世帯 200 件"), "{first}");
    assert!(first.contains("初回の判定結果（first_match）: "), "{first}");
    assert!(
        first.contains("児童手当"),
        "the example programs are matched: {first}"
    );

    let again = run(&["match", "--today", "2026-11-21"]);
    assert!(
        again.contains("世帯 0 件"),
        "nothing changed, nothing evaluated: {again}"
    );
    assert!(again.contains("変化のない世帯 200"), "{again}");
    assert!(again.contains("新しい変化はありません"), "{again}");
    let tick = run(&["match", "--tick", "--today", "2026-11-22"]);
    assert!(tick.contains("基準日 2026-11-22"), "{tick}");
}
