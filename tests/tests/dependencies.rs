//! Every dependency is a crates.io release: no patched copy of a crate lives in the repository
//! (the vendored sqlx-core that set `TCP_NODELAY` went once sqlx-core 0.9.1 did it itself).

use std::path::PathBuf;

fn lock_file() -> toml::Table {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock");
    let text = std::fs::read_to_string(&path).expect("Cargo.lock is readable");
    text.parse().expect("Cargo.lock is TOML")
}

fn workspace_members() -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml");
    let manifest: toml::Table = std::fs::read_to_string(&path)
        .expect("Cargo.toml is readable")
        .parse()
        .expect("Cargo.toml is TOML");
    let patches = manifest.get("patch");
    assert!(patches.is_none(), "the workspace patches crates: {patches:?}");
    manifest["workspace"]["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|member| format!("kosodate-{}", member.as_str().expect("member is a string")))
        .collect()
}

#[test]
fn every_dependency_outside_the_workspace_comes_from_crates_io() {
    let members = workspace_members();
    let lock = lock_file();
    let packages = lock["package"].as_array().expect("packages");
    let not_from_the_registry: Vec<String> = packages
        .iter()
        .filter(|package| package.get("source").is_none())
        .map(|package| package["name"].as_str().expect("name").to_owned())
        .filter(|name| !members.contains(name))
        .collect();
    assert!(
        not_from_the_registry.is_empty(),
        "crates built from a local copy instead of a crates.io release: {not_from_the_registry:?}"
    );
    let sqlx_core_versions: Vec<&str> = packages
        .iter()
        .filter(|package| package["name"].as_str() == Some("sqlx-core"))
        .map(|package| package["version"].as_str().expect("version"))
        .collect();
    // 0.9.1 is the first release that sets TCP_NODELAY (launchbadge/sqlx#4336); without it a
    // multi-segment write to PostgreSQL waits ~40 ms for a delayed ACK.
    assert!(
        sqlx_core_versions.iter().all(|version| *version != "0.9.0"),
        "sqlx-core 0.9.0 leaves Nagle's algorithm on: {sqlx_core_versions:?}"
    );
}
