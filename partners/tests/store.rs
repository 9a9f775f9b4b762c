//! The partner registry against real databases: every test runs on SQLite and on PostgreSQL
//! (a scratch database on the server `KOSODATE_TEST_POSTGRES_URL` names).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use kosodate_database::{ScratchDatabase, connect};
use kosodate_migrations::{Migrator, MigratorTrait};
use kosodate_partners::{
    ACCESS_TOKEN_LIFETIME, PartnerInput, Partners, PartnersError, Registered, SIGNING_ROTATION_OVERLAP, Scope,
};
use uuid::Uuid;

#[derive(Debug, Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

struct Fixture {
    partners: Partners,
    _directory: tempfile::TempDir,
}

async fn open(backend: Backend) -> Fixture {
    let directory = tempfile::tempdir().expect("temporary directory");
    let url = match backend {
        Backend::Sqlite => format!(
            "sqlite://{}?mode=rwc",
            directory.path().join("partners.sqlite").display()
        ),
        Backend::Postgres => {
            let admin = std::env::var("KOSODATE_TEST_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
            let name = format!("kosodate_test_{}", Uuid::now_v7().simple());
            // Left in place for scripts/test to drop, so that a failure's data can be read.
            ScratchDatabase::create(&admin, &name)
                .await
                .expect("scratch database")
                .url
        }
    };
    let db = connect(&url, 4).await.expect("database opens");
    Migrator::up(&db, None).await.expect("migrations run");
    Fixture {
        partners: Partners::new(db),
        _directory: directory,
    }
}

macro_rules! both_backends {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(super::open(super::Backend::Sqlite).await).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(super::open(super::Backend::Postgres).await).await;
            }
        }
    )+};
}

both_backends!(
    registered_credentials_authenticate_until_revoked,
    tokens_carry_no_more_than_the_granted_scopes,
    expired_and_revoked_tokens_grant_nothing,
    the_rate_limit_refuses_past_a_minutes_worth,
    a_rotated_signing_secret_keeps_signing_for_a_day,
);

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 5, 9, 0, 0).unwrap()
}

fn input(scopes: &str, rate: u32) -> PartnerInput {
    PartnerInput {
        name: "母子手帳アプリ".into(),
        contact_email: "dev@example.jp".into(),
        scopes: scopes.into(),
        redirect_uris: vec!["https://app.example.jp/callback".into()],
        notice_webhook_url: None,
        rate_limit_per_minute: rate,
    }
}

async fn register(partners: &Partners, scopes: &str, rate: u32) -> Registered {
    partners.register(&input(scopes, rate), t0()).await.unwrap()
}

async fn registered_credentials_authenticate_until_revoked(fixture: Fixture) {
    let partners = &fixture.partners;
    let Registered {
        partner,
        client_secret,
    } = register(partners, "programs:read", 60).await;
    let found = partners
        .authenticate(&partner.client_id, &client_secret)
        .await
        .unwrap();
    assert_eq!(found, partner);
    assert!(matches!(
        partners.authenticate(&partner.client_id, "kps_wrong").await,
        Err(PartnersError::InvalidClient)
    ));
    assert!(matches!(
        partners.authenticate("kp_unknown", &client_secret).await,
        Err(PartnersError::InvalidClient)
    ));
    let rotated = partners.rotate_client_secret(partner.id).await.unwrap();
    assert!(
        partners
            .authenticate(&partner.client_id, &client_secret)
            .await
            .is_err()
    );
    assert!(partners.authenticate(&partner.client_id, &rotated).await.is_ok());
    let revoked = partners.revoke(partner.id, t0()).await.unwrap();
    assert_eq!(revoked.revoked_at, Some(t0()));
    assert!(matches!(
        partners.authenticate(&partner.client_id, &rotated).await,
        Err(PartnersError::InvalidClient)
    ));
    assert!(matches!(
        partners.rotate_client_secret(partner.id).await,
        Err(PartnersError::NotFound(_))
    ));
    assert_eq!(partners.list().await.unwrap(), vec![revoked]);
}

async fn tokens_carry_no_more_than_the_granted_scopes(fixture: Fixture) {
    let partners = &fixture.partners;
    let Registered { partner, .. } = register(partners, "programs:read webhooks:manage", 60).await;
    let all = partners.issue_token(&partner, None, t0()).await.unwrap();
    assert_eq!(all.scopes, partner.scopes);
    assert_eq!(all.expires_at, t0() + ACCESS_TOKEN_LIFETIME);
    let narrow = partners
        .issue_token(&partner, Some("programs:read"), t0())
        .await
        .unwrap();
    let access = partners
        .access(&narrow.access_token, t0())
        .await
        .unwrap()
        .unwrap();
    assert!(access.scopes.contains(Scope::ProgramsRead));
    assert!(!access.scopes.contains(Scope::WebhooksManage));
    assert_eq!(access.partner.id, partner.id);
    for wider in ["events:read", "programs:read notices:deliver", "programs:write"] {
        assert!(matches!(
            partners.issue_token(&partner, Some(wider), t0()).await,
            Err(PartnersError::InvalidScope)
        ));
    }
}

async fn expired_and_revoked_tokens_grant_nothing(fixture: Fixture) {
    let partners = &fixture.partners;
    let Registered { partner, .. } = register(partners, "programs:read", 60).await;
    let other = register(partners, "programs:read", 60).await.partner;
    let token = partners
        .issue_token(&partner, None, t0())
        .await
        .unwrap()
        .access_token;
    let expiry = t0() + ACCESS_TOKEN_LIFETIME;
    assert!(
        partners
            .access(&token, expiry - chrono::Duration::seconds(1))
            .await
            .unwrap()
            .is_some()
    );
    assert!(partners.access(&token, expiry).await.unwrap().is_none());
    assert!(partners.access("kpt_unknown", t0()).await.unwrap().is_none());
    // Another partner cannot revoke it (RFC 7009 §2.1); its own partner can.
    partners.revoke_token(&other, &token, t0()).await.unwrap();
    assert!(partners.access(&token, t0()).await.unwrap().is_some());
    partners.revoke_token(&partner, &token, t0()).await.unwrap();
    assert!(partners.access(&token, t0()).await.unwrap().is_none());
    // Revoking the partner ends every token it holds.
    let second = partners
        .issue_token(&partner, None, t0())
        .await
        .unwrap()
        .access_token;
    partners.revoke(partner.id, t0()).await.unwrap();
    assert!(partners.access(&second, t0()).await.unwrap().is_none());
}

async fn the_rate_limit_refuses_past_a_minutes_worth(fixture: Fixture) {
    let partners = &fixture.partners;
    // Three a minute: one every 20 seconds, all three at once, and the fourth waits.
    let partner = register(partners, "programs:read", 3).await.partner;
    let other = register(partners, "programs:read", 3).await.partner;
    for _ in 0..3 {
        partners.take_request(&partner).await.unwrap();
    }
    match partners.take_request(&partner).await {
        Err(PartnersError::RateLimited { retry_after }) => {
            assert!(
                retry_after > Duration::ZERO && retry_after <= Duration::from_secs(20),
                "{retry_after:?}"
            );
        }
        other => panic!("the fourth request is refused, not {other:?}"),
    }
    partners.take_request(&other).await.unwrap();
}

async fn a_rotated_signing_secret_keeps_signing_for_a_day(fixture: Fixture) {
    let partners = &fixture.partners;
    let partner = register(partners, "webhooks:manage", 60).await.partner;
    assert_eq!(partner.signing.active(t0()), vec![&partner.signing.current]);
    let rotated = partners.rotate_signing_secret(partner.id, t0()).await.unwrap();
    assert_ne!(rotated.signing.current, partner.signing.current);
    assert_eq!(
        rotated.signing.active(t0()),
        vec![&rotated.signing.current, &partner.signing.current]
    );
    assert_eq!(
        rotated.signing.active(t0() + SIGNING_ROTATION_OVERLAP),
        vec![&rotated.signing.current]
    );
}
