//! The partner registry against real databases: every test runs on SQLite and on PostgreSQL
//! (a scratch database on the server `KOSODATE_TEST_POSTGRES_URL` names).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use kosodate_database::{ScratchDatabase, connect};
use kosodate_migrations::{Migrator, MigratorTrait};
use kosodate_partners::webhooks::{
    AttemptOutcome, DeliveryStatus, EventType, ResourceChange, RetrySchedule, SubscriptionInput,
};
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
    subscriptions_need_the_read_scope_of_their_events,
    a_change_is_delivered_once_per_subscription_with_retries,
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

fn subscription(url: &str, kinds: &[&str]) -> SubscriptionInput {
    SubscriptionInput {
        url: url.into(),
        event_types: kinds.iter().map(|kind| (*kind).to_owned()).collect(),
    }
}

async fn subscriptions_need_the_read_scope_of_their_events(fixture: Fixture) {
    let partners = &fixture.partners;
    let partner = register(partners, "programs:read webhooks:manage", 60)
        .await
        .partner;
    let hook = "https://app.example.jp/hooks";
    let made = partners
        .subscribe(&partner, &subscription(hook, &["program.changed"]), t0())
        .await
        .unwrap();
    assert_eq!(
        made.event_types.iter().copied().collect::<Vec<_>>(),
        [EventType::ProgramChanged]
    );
    for (url, kinds) in [
        (hook, &["place.changed"][..]),
        (hook, &["program.created"][..]),
        (hook, &[][..]),
        ("http://app.example.jp/hooks", &["program.changed"][..]),
    ] {
        assert!(
            matches!(
                partners
                    .subscribe(&partner, &subscription(url, kinds), t0())
                    .await,
                Err(PartnersError::Invalid(_))
            ),
            "{url} {kinds:?}"
        );
    }
    assert_eq!(
        partners.subscriptions(partner.id).await.unwrap(),
        vec![made.clone()]
    );
    let other = register(partners, "programs:read webhooks:manage", 60)
        .await
        .partner;
    assert!(matches!(
        partners.unsubscribe(other.id, made.id).await,
        Err(PartnersError::SubscriptionNotFound(_))
    ));
    partners.unsubscribe(partner.id, made.id).await.unwrap();
    assert!(partners.subscriptions(partner.id).await.unwrap().is_empty());
}

fn change(id: &str, version: i32, at: DateTime<Utc>) -> ResourceChange {
    ResourceChange {
        event_type: EventType::ProgramChanged,
        resource_id: id.into(),
        version,
        status: "published",
        changed_at: at,
        url: format!("https://kosodate.example.jp/api/v1/programs/{id}")
            .parse()
            .unwrap(),
    }
}

async fn a_change_is_delivered_once_per_subscription_with_retries(fixture: Fixture) {
    let partners = &fixture.partners;
    let partner = register(partners, "programs:read webhooks:manage", 60)
        .await
        .partner;
    let revoked = register(partners, "programs:read webhooks:manage", 60)
        .await
        .partner;
    let input = subscription("https://app.example.jp/hooks", &["program.changed"]);
    let later = t0() + chrono::Duration::minutes(1);
    partners.subscribe(&partner, &input, t0()).await.unwrap();
    partners.subscribe(&revoked, &input, t0()).await.unwrap();
    partners.revoke(revoked.id, t0()).await.unwrap();
    let before = change("a", 1, t0() - chrono::Duration::seconds(1));
    assert_eq!(
        partners
            .enqueue_changes(&[before, change("a", 2, later)], later)
            .await
            .unwrap(),
        1
    );
    // Another process reading the same change writes nothing more.
    assert_eq!(
        partners
            .enqueue_changes(&[change("a", 2, later)], later)
            .await
            .unwrap(),
        0
    );

    let lease = later + chrono::Duration::minutes(1);
    let claimed = partners.claim_deliveries(10, later, lease).await.unwrap();
    assert_eq!(claimed.len(), 1);
    let first = claimed[0].clone();
    assert_eq!(first.attempt, 1);
    let body: serde_json::Value = serde_json::from_str(&first.body).unwrap();
    assert_eq!(body["type"], "program.changed");
    assert_eq!(body["data"]["version"], 2);
    assert!(
        partners
            .claim_deliveries(10, later, lease)
            .await
            .unwrap()
            .is_empty(),
        "leased"
    );

    let schedule = RetrySchedule(vec![Duration::from_secs(10)]);
    let failed = AttemptOutcome::of_status(503);
    assert_eq!(
        partners
            .record_attempt(&first, &failed, &schedule, later)
            .await
            .unwrap(),
        DeliveryStatus::Retrying
    );
    assert!(
        partners
            .claim_deliveries(10, later, lease)
            .await
            .unwrap()
            .is_empty(),
        "waits"
    );
    let retry_at = later + chrono::Duration::seconds(13);
    let second = partners.claim_deliveries(10, retry_at, lease).await.unwrap();
    assert_eq!(
        (second[0].id.as_str(), second[0].attempt),
        (first.id.as_str(), 2),
        "same webhook-id"
    );
    assert_eq!(
        partners
            .record_attempt(&second[0], &failed, &schedule, retry_at)
            .await
            .unwrap(),
        DeliveryStatus::Dead
    );
    assert!(
        partners
            .claim_deliveries(10, lease, lease)
            .await
            .unwrap()
            .is_empty(),
        "dead stays dead"
    );

    partners.redrive(partner.id, &first.id, retry_at).await.unwrap();
    let third = partners.claim_deliveries(10, retry_at, lease).await.unwrap();
    assert_eq!(third[0].id, first.id);
    let delivered = AttemptOutcome::of_status(204);
    assert_eq!(
        partners
            .record_attempt(&third[0], &delivered, &schedule, retry_at)
            .await
            .unwrap(),
        DeliveryStatus::Delivered
    );
    let views = partners.deliveries(partner.id, 10).await.unwrap();
    assert_eq!(
        (views.len(), views[0].status, views[0].last_status),
        (1, DeliveryStatus::Delivered, Some(204))
    );
    assert!(matches!(
        partners.redrive(partner.id, &first.id, retry_at).await,
        Err(PartnersError::DeliveryNotFound(_))
    ));
}
