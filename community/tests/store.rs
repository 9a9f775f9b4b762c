//! The community's rules against real databases: every test runs on SQLite and on PostgreSQL
//! (a scratch database on the server `KOSODATE_TEST_POSTGRES_URL` names).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use chrono::{DateTime, Duration, TimeZone, Utc};
use kosodate_community::{
    AnswerInput, Community, CommunityError, Departure, DisplayName, Masking, ModerationAction, PostKind,
    PostRef, PostStatus, Profession, QuestionCategory, QuestionFeedPosition, QuestionFilter, QuestionIndex,
    QuestionInput, Region, ReportReason, Viewer,
};
use kosodate_database::{ScratchDatabase, connect};
use kosodate_domain::{AgeBand, MunicipalityCode};
use kosodate_migrations::{Migrator, MigratorTrait};
use uuid::Uuid;

#[derive(Debug, Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

/// A migrated database of the test's own, and what keeps it alive.
struct Fixture {
    community: Community,
    _directory: tempfile::TempDir,
}

async fn open(backend: Backend) -> Fixture {
    let directory = tempfile::tempdir().expect("temporary directory");
    let url = match backend {
        Backend::Sqlite => format!(
            "sqlite://{}?mode=rwc",
            directory.path().join("community.sqlite").display()
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
        community: Community::new(db),
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

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()
}

fn name(text: &str) -> DisplayName {
    DisplayName::parse(text).unwrap_or_else(|error| panic!("{text}: {error}"))
}

async fn member(community: &Community, display_name: &str) -> Uuid {
    let account = Uuid::now_v7();
    community
        .join(account, &name(display_name), true, t0())
        .await
        .expect("joins");
    account
}

fn question(title: &str, body: &str) -> QuestionInput {
    QuestionInput {
        category: QuestionCategory::Infant,
        municipality: None,
        region: None,
        age_band: None,
        title: title.into(),
        body: body.into(),
    }
}

fn answer(body: &str) -> AnswerInput {
    AnswerInput { body: body.into() }
}

/// `asker`'s question about night crying, asked at [`t0`].
async fn night_crying(community: &Community, asker: Uuid) -> Uuid {
    community
        .ask(
            asker,
            &question("夜泣き", "夜泣きがひどいです"),
            Masking::Ask,
            t0(),
        )
        .await
        .expect("asked")
}

/// The id of `account`'s answer to `question`.
async fn reply(community: &Community, account: Uuid, question: Uuid, body: &str, at: DateTime<Utc>) -> Uuid {
    community
        .answer(account, question, &answer(body), Masking::Ask, at)
        .await
        .expect("answered")
        .answer
}

both_backends!(
    members_have_one_display_name_each,
    one_account_joining_twice_at_once_is_one_member,
    a_question_is_asked_and_answered,
    personal_data_is_stored_only_masked,
    members_post_within_their_rate_limits,
    concurrent_posts_share_one_rate_limit,
    answers_at_once_are_all_counted,
    experts_answer_with_the_badge_staff_gave,
    hidden_questions_are_closed_and_seen_by_few,
    lists_filter_and_page_without_repeats,
    edits_keep_every_earlier_text,
    helpful_marks_and_the_accepted_answer,
    reports_reach_the_queue_and_decisions_are_kept,
    a_departing_member_is_anonymised_or_removed,
    the_evidence_pages_read_each_days_questions,
    the_question_index_follows_the_store,
    the_example_community_loads_once,
);

async fn members_have_one_display_name_each(fixture: Fixture) {
    let community = &fixture.community;
    let account = member(community, "りんごママ").await;
    let found = community.member(account).await.unwrap().expect("a member");
    assert_eq!(found.display_name, "りんごママ");
    assert!(found.notify_answers);
    assert!(matches!(
        community.join(account, &name("別の名前"), false, t0()).await,
        Err(CommunityError::AlreadyMember)
    ));
    assert!(
        matches!(
            community
                .join(Uuid::now_v7(), &name("リンゴ ママ"), false, t0())
                .await,
            Err(CommunityError::DisplayNameTaken)
        ),
        "look-alike names are one name"
    );
    let other = member(community, "ねぶたパパ").await;
    assert!(matches!(
        community.rename(other, &name("りんごまま")).await,
        Err(CommunityError::DisplayNameTaken)
    ));
    let renamed = community.rename(other, &name("ねぶたパパ2")).await.unwrap();
    assert_eq!(renamed.display_name, "ねぶたパパ2");
    let quiet = community.set_notify_answers(other, false).await.unwrap();
    assert!(!quiet.notify_answers);
    assert!(community.member(Uuid::now_v7()).await.unwrap().is_none());
}

async fn a_question_is_asked_and_answered(fixture: Fixture) {
    let community = &fixture.community;
    let stranger = Uuid::now_v7();
    assert!(matches!(
        community
            .ask(
                stranger,
                &question("夜泣き", "夜泣きがひどいです"),
                Masking::Ask,
                t0()
            )
            .await,
        Err(CommunityError::NotMember)
    ));
    let asker = member(community, "りんごママ").await;
    let other = member(community, "ねぶたパパ").await;
    let id = community
        .ask(
            asker,
            &question("夜泣きがひどい", "毎晩2時間おきに起きます"),
            Masking::Ask,
            t0(),
        )
        .await
        .unwrap();
    let posted = community
        .answer(
            other,
            id,
            &answer("うちもそうでした"),
            Masking::Ask,
            t0() + Duration::minutes(5),
        )
        .await
        .unwrap();
    assert_eq!(posted.question, id);
    assert_eq!(posted.question_title, "夜泣きがひどい");
    assert_eq!(posted.notify, Some(asker), "the asker wants to hear of answers");
    assert_eq!(posted.expert, None);
    let own = community
        .answer(
            asker,
            id,
            &answer("ありがとうございます"),
            Masking::Ask,
            t0() + Duration::minutes(6),
        )
        .await
        .unwrap();
    assert_eq!(own.notify, None, "nobody is told of their own answer");
    let view = community.question(id, Viewer::Public).await.unwrap();
    assert_eq!(view.title, "夜泣きがひどい");
    assert_eq!(view.author.display_name, "りんごママ");
    assert_eq!(view.answers.len(), 2);
    assert_eq!(view.answers[0].author.display_name, "ねぶたパパ", "oldest first");
    let as_asker = community.question(id, Viewer::Account(asker)).await.unwrap();
    assert!(as_asker.asked_by_viewer);
    assert!(as_asker.answers[1].answered_by_viewer);
    assert!(matches!(
        community.question(Uuid::now_v7(), Viewer::Public).await,
        Err(CommunityError::QuestionNotFound(_))
    ));
}

const PHONE_TEXT: &str = "連絡は09012345678までお願いします";

async fn personal_data_is_stored_only_masked(fixture: Fixture) {
    let community = &fixture.community;
    let asker = member(community, "りんごママ").await;
    let refused = community
        .ask(asker, &question("電話ください", PHONE_TEXT), Masking::Ask, t0())
        .await
        .expect_err("personal data is caught");
    let CommunityError::PersonalData {
        findings,
        masked_title,
        masked_body,
    } = refused
    else {
        panic!("{refused:?}");
    };
    assert!(findings.iter().all(|finding| finding.pointer == "/body"));
    assert!(!findings.is_empty());
    assert_eq!(masked_title.as_deref(), Some("電話ください"));
    assert!(!masked_body.contains("09012345678"), "{masked_body}");
    let mine = community.mine(asker).await.unwrap();
    assert!(
        mine.questions.is_empty(),
        "nothing is stored until the poster decides"
    );

    let id = community
        .ask(
            asker,
            &question("電話ください", PHONE_TEXT),
            Masking::Accept,
            t0(),
        )
        .await
        .unwrap();
    let stored = community.question(id, Viewer::Public).await.unwrap();
    assert_eq!(stored.body, masked_body, "the stored text is the masked one");
    assert!(!stored.body.contains("1234"));

    let other = member(community, "ねぶたパパ").await;
    assert!(matches!(
        community
            .answer(other, id, &answer(PHONE_TEXT), Masking::Ask, t0())
            .await,
        Err(CommunityError::PersonalData { .. })
    ));
    community
        .answer(other, id, &answer(PHONE_TEXT), Masking::Accept, t0())
        .await
        .unwrap();
    let view = community.question(id, Viewer::Public).await.unwrap();
    assert!(!view.answers[0].body.contains("09012345678"));
}

async fn members_post_within_their_rate_limits(fixture: Fixture) {
    let community = &fixture.community;
    let asker = member(community, "りんごママ").await;
    let mut last = None;
    for minute in 0..5 {
        let at = t0() + Duration::minutes(minute * 10);
        last = Some(
            community
                .ask(asker, &question("質問です", "本文です"), Masking::Ask, at)
                .await
                .unwrap(),
        );
    }
    let refused = community
        .ask(
            asker,
            &question("質問です", "本文です"),
            Masking::Ask,
            t0() + Duration::minutes(45),
        )
        .await
        .expect_err("five questions an hour");
    let CommunityError::RateLimited { retry_after } = refused else {
        panic!("{refused:?}");
    };
    assert_eq!(
        retry_after.as_secs(),
        15 * 60,
        "when the first of the five is an hour old"
    );
    assert!(community.mine(asker).await.unwrap().questions.len() == 5);
    let other = member(community, "ねぶたパパ").await;
    community
        .ask(
            other,
            &question("別の人", "本文です"),
            Masking::Ask,
            t0() + Duration::minutes(45),
        )
        .await
        .expect("limits are per member");
    // 20 a day: 5 an hour for four hours, then the next waits for the day's first to age.
    for hour in 1..4 {
        for minute in 0..5 {
            let at = t0() + Duration::hours(hour) + Duration::minutes(minute * 10 + 1);
            community
                .ask(asker, &question("質問です", "本文です"), Masking::Ask, at)
                .await
                .unwrap();
        }
    }
    let late = t0() + Duration::hours(10);
    assert!(matches!(
        community.ask(asker, &question("質問です", "本文です"), Masking::Ask, late).await,
        Err(CommunityError::RateLimited { retry_after }) if retry_after.as_secs() == 14 * 3600
    ));
    let next_day = t0() + Duration::hours(24) + Duration::minutes(1);
    community
        .ask(asker, &question("質問です", "本文です"), Masking::Ask, next_day)
        .await
        .unwrap();

    let question_id = last.expect("asked");
    for n in 0..30 {
        let at = t0() + Duration::minutes(n);
        community
            .answer(other, question_id, &answer("回答です"), Masking::Ask, at)
            .await
            .unwrap();
    }
    assert!(matches!(
        community
            .answer(
                other,
                question_id,
                &answer("回答です"),
                Masking::Ask,
                t0() + Duration::minutes(30)
            )
            .await,
        Err(CommunityError::RateLimited { .. })
    ));
}

async fn experts_answer_with_the_badge_staff_gave(fixture: Fixture) {
    let community = &fixture.community;
    let asker = member(community, "りんごママ").await;
    let nurse = member(community, "ひろさき見守り隊").await;
    assert!(matches!(
        community.verify_expert(nurse, "県 担当者", t0()).await,
        Err(CommunityError::NoExpertRequest)
    ));
    community
        .request_expert(nurse, Profession::PublicHealthNurse, "弘前市 保健センター", t0())
        .await
        .unwrap();
    let requests = community.expert_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].profession, Profession::PublicHealthNurse);
    assert_eq!(requests[0].display_name, "ひろさき見守り隊");
    let id = night_crying(community, asker).await;
    let before = community
        .answer(nurse, id, &answer("まだ確認前です"), Masking::Ask, t0())
        .await
        .unwrap();
    assert_eq!(before.expert, None, "no badge before staff verify");
    let verified = community.verify_expert(nurse, "県 担当者", t0()).await.unwrap();
    assert_eq!(
        verified.verified_profession(),
        Some(Profession::PublicHealthNurse)
    );
    assert_eq!(
        verified.expert.as_ref().and_then(|e| e.verified_by.as_deref()),
        Some("県 担当者")
    );
    assert!(community.expert_requests().await.unwrap().is_empty());
    let after = community
        .answer(nurse, id, &answer("保健師として答えます"), Masking::Ask, t0())
        .await
        .unwrap();
    assert_eq!(after.expert, Some(Profession::PublicHealthNurse));
    community.revoke_expert(nurse).await.unwrap();
    let view = community.question(id, Viewer::Public).await.unwrap();
    let badges: Vec<_> = view
        .answers
        .iter()
        .map(|a| (a.body.as_str(), a.author.expert))
        .collect();
    assert!(
        badges.contains(&("保健師として答えます", Some(Profession::PublicHealthNurse))),
        "{badges:?}"
    );
    assert!(badges.contains(&("まだ確認前です", None)));
    assert_eq!(
        community
            .member(nurse)
            .await
            .unwrap()
            .unwrap()
            .verified_profession(),
        None
    );
}

async fn hidden_questions_are_closed_and_seen_by_few(fixture: Fixture) {
    let community = &fixture.community;
    let asker = member(community, "りんごママ").await;
    let other = member(community, "ねぶたパパ").await;
    let id = night_crying(community, asker).await;
    community
        .hide(PostRef::question(id), "宣伝のため", "県 担当者", t0())
        .await
        .unwrap();
    assert!(matches!(
        community
            .answer(other, id, &answer("回答です"), Masking::Ask, t0())
            .await,
        Err(CommunityError::QuestionClosed)
    ));
    for viewer in [Viewer::Public, Viewer::Account(other)] {
        assert!(matches!(
            community.question(id, viewer).await,
            Err(CommunityError::QuestionNotFound(_))
        ));
    }
    assert_eq!(
        community
            .question(id, Viewer::Account(asker))
            .await
            .unwrap()
            .status,
        PostStatus::Hidden
    );
    assert_eq!(
        community.question(id, Viewer::Moderator).await.unwrap().status,
        PostStatus::Hidden
    );
    assert!(
        community
            .questions(&QuestionFilter::default(), None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(community.visible_questions(&[id]).await.unwrap().is_empty());
}

fn tagged(
    category: QuestionCategory,
    municipality: Option<&str>,
    region: Option<Region>,
    age: Option<AgeBand>,
) -> QuestionInput {
    QuestionInput {
        category,
        municipality: municipality.map(str::to_owned),
        region,
        age_band: age,
        title: "保育園のこと".into(),
        body: "入れるか心配です".into(),
    }
}

async fn lists_filter_and_page_without_repeats(fixture: Fixture) {
    let community = &fixture.community;
    let mut askers = Vec::new();
    for n in 0..3 {
        askers.push(member(community, &format!("メンバー{n}")).await);
    }
    let aomori = Some("022012");
    let inputs = [
        tagged(
            QuestionCategory::ChildcareEducation,
            aomori,
            Some(Region::Tosei),
            Some(AgeBand::Age0),
        ),
        tagged(QuestionCategory::Money, None, Some(Region::Sanpachi), None),
        tagged(
            QuestionCategory::ChildcareEducation,
            None,
            None,
            Some(AgeBand::Age1To2),
        ),
        tagged(
            QuestionCategory::Health,
            aomori,
            Some(Region::Tosei),
            Some(AgeBand::Age0),
        ),
    ];
    let mut ids = Vec::new();
    for round in 0..3 {
        for (n, input) in inputs.iter().enumerate() {
            // Two questions share each instant, so that the id breaks ties.
            let at = t0() + Duration::minutes(round * 10 + i64::try_from(n / 2).unwrap());
            ids.push(
                community
                    .ask(askers[usize::try_from(round).unwrap()], input, Masking::Ask, at)
                    .await
                    .unwrap(),
            );
        }
    }
    let wanted = [ids[3], Uuid::now_v7(), ids[0]];
    let found = community.visible_questions(&wanted).await.unwrap();
    assert_eq!(
        found.iter().map(|q| q.id).collect::<Vec<_>>(),
        [ids[3], ids[0]],
        "in the order asked"
    );
    let filter = QuestionFilter::default();
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = community.questions(&filter, after.as_deref(), 5).await.unwrap();
        let more = page.len() > 5;
        seen.extend(page.iter().take(5).map(|q| q.id));
        if !more {
            break;
        }
        after = Some(page[4].cursor_key());
    }
    assert_eq!(seen.len(), 12, "every question once: {seen:?}");
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 12);
    let all = community.questions(&filter, None, 100).await.unwrap();
    assert!(
        all.windows(2)
            .all(|w| (w[0].created_at, w[0].id) > (w[1].created_at, w[1].id)),
        "newest first"
    );

    let count =
        |filter: QuestionFilter| async move { community.questions(&filter, None, 100).await.unwrap().len() };
    let childcare = QuestionFilter {
        category: Some(QuestionCategory::ChildcareEducation),
        ..QuestionFilter::default()
    };
    assert_eq!(count(childcare).await, 6);
    let in_aomori = QuestionFilter {
        municipality: Some(MunicipalityCode::parse("022012").unwrap()),
        ..QuestionFilter::default()
    };
    assert_eq!(count(in_aomori).await, 6);
    let sanpachi = QuestionFilter {
        region: Some(Region::Sanpachi),
        ..QuestionFilter::default()
    };
    assert_eq!(count(sanpachi).await, 3);
    let babies = QuestionFilter {
        age_band: Some(AgeBand::Age0),
        ..QuestionFilter::default()
    };
    assert_eq!(count(babies).await, 6);
    let other = member(community, "こたえる人").await;
    community
        .answer(other, ids[0], &answer("回答です"), Masking::Ask, t0())
        .await
        .unwrap();
    let unanswered = QuestionFilter {
        unanswered: true,
        ..QuestionFilter::default()
    };
    let open = community.questions(&unanswered, None, 100).await.unwrap();
    assert_eq!(open.len(), 11);
    assert!(open.iter().all(|q| q.id != ids[0]));
    assert!(matches!(
        community.questions(&filter, Some("not a cursor"), 5).await,
        Err(CommunityError::InvalidCursor)
    ));
}

async fn edits_keep_every_earlier_text(fixture: Fixture) {
    let community = &fixture.community;
    let asker = member(community, "りんごママ").await;
    let other = member(community, "ねぶたパパ").await;
    let id = community
        .ask(asker, &question("夜泣き", "最初の本文"), Masking::Ask, t0())
        .await
        .unwrap();
    assert!(matches!(
        community
            .edit_question(other, id, &question("横取り", "他人の編集"), Masking::Ask, t0())
            .await,
        Err(CommunityError::NotAuthor(_))
    ));
    let later = t0() + Duration::hours(1);
    community
        .edit_question(
            asker,
            id,
            &question("夜泣きについて", "二番目の本文"),
            Masking::Ask,
            later,
        )
        .await
        .unwrap();
    assert!(matches!(
        community
            .edit_question(asker, id, &question("夜泣き", PHONE_TEXT), Masking::Ask, later)
            .await,
        Err(CommunityError::PersonalData { .. })
    ));
    let view = community.question(id, Viewer::Public).await.unwrap();
    assert_eq!(
        (view.title.as_str(), view.body.as_str()),
        ("夜泣きについて", "二番目の本文")
    );
    assert!(view.edited);
    let history = community.revisions(PostKind::Question, id).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].title.as_deref(), Some("夜泣き"));
    assert_eq!(history[0].body, "最初の本文");

    let posted = community
        .answer(other, id, &answer("最初の回答"), Masking::Ask, t0())
        .await
        .unwrap();
    assert!(matches!(
        community
            .edit_answer(asker, posted.answer, &answer("書き換え"), Masking::Ask, later)
            .await,
        Err(CommunityError::NotAuthor(_))
    ));
    community
        .edit_answer(other, posted.answer, &answer("直した回答"), Masking::Ask, later)
        .await
        .unwrap();
    let history = community
        .revisions(PostKind::Answer, posted.answer)
        .await
        .unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(
        (history[0].title.as_deref(), history[0].body.as_str()),
        (None, "最初の回答")
    );
    let view = community.question(id, Viewer::Public).await.unwrap();
    assert_eq!(view.answers[0].body, "直した回答");
    assert!(view.answers[0].edited);
}

async fn helpful_marks_and_the_accepted_answer(fixture: Fixture) {
    let community = &fixture.community;
    let asker = member(community, "りんごママ").await;
    let first = member(community, "ねぶたパパ").await;
    let second = member(community, "こたえる人").await;
    let id = night_crying(community, asker).await;
    let early = reply(community, first, id, "早い回答", t0()).await;
    let helpful = reply(community, second, id, "役に立つ回答", t0() + Duration::minutes(1)).await;
    let late = reply(community, first, id, "遅い回答", t0() + Duration::minutes(2)).await;
    assert!(matches!(
        community.mark_helpful(second, helpful, t0()).await,
        Err(CommunityError::OwnAnswer)
    ));
    assert!(community.mark_helpful(asker, helpful, t0()).await.unwrap());
    assert!(
        !community.mark_helpful(asker, helpful, t0()).await.unwrap(),
        "once per member"
    );
    assert!(community.mark_helpful(first, helpful, t0()).await.unwrap());
    assert!(community.mark_helpful(asker, late, t0()).await.unwrap());
    assert!(community.unmark_helpful(asker, late).await.unwrap());
    assert!(!community.unmark_helpful(asker, late).await.unwrap());
    let view = community.question(id, Viewer::Account(asker)).await.unwrap();
    let order: Vec<_> = view.answers.iter().map(|a| (a.id, a.helpful_count)).collect();
    assert_eq!(
        order,
        [(helpful, 2), (early, 0), (late, 0)],
        "most helpful, then oldest"
    );
    assert!(view.answers[0].marked_helpful_by_viewer);

    assert!(matches!(
        community.accept(first, late).await,
        Err(CommunityError::NotAuthor(_))
    ));
    community.accept(asker, late).await.unwrap();
    let view = community.question(id, Viewer::Public).await.unwrap();
    assert_eq!(view.accepted_answer, Some(late));
    assert_eq!(view.answers[0].id, late, "the accepted answer first");
    assert!(view.answers[0].accepted);
    community.accept(asker, early).await.unwrap();
    let view = community.question(id, Viewer::Public).await.unwrap();
    assert_eq!(
        view.accepted_answer,
        Some(early),
        "the asker may change their mind"
    );
    assert_eq!(view.answers.iter().filter(|a| a.accepted).count(), 1);
}

async fn reports_reach_the_queue_and_decisions_are_kept(fixture: Fixture) {
    let community = &fixture.community;
    let asker = member(community, "りんごママ").await;
    let reporters = [
        member(community, "ねぶたパパ").await,
        member(community, "こたえる人").await,
    ];
    let id = night_crying(community, asker).await;
    let spam = community
        .answer(
            reporters[0],
            id,
            &answer("このサイトで買えます"),
            Masking::Ask,
            t0(),
        )
        .await
        .unwrap()
        .answer;
    assert!(community.moderation_queue().await.unwrap().is_empty());
    let post = PostRef::answer(spam);
    community
        .report(asker, post, ReportReason::Spam, Some("宣伝です"), t0())
        .await
        .unwrap();
    community
        .report(asker, post, ReportReason::Spam, None, t0())
        .await
        .unwrap();
    community
        .report(
            reporters[1],
            post,
            ReportReason::Misinformation,
            None,
            t0() + Duration::minutes(1),
        )
        .await
        .unwrap();
    community
        .report(
            reporters[1],
            PostRef::question(id),
            ReportReason::Other,
            None,
            t0() + Duration::minutes(2),
        )
        .await
        .unwrap();
    let queue = community.moderation_queue().await.unwrap();
    assert_eq!(queue.len(), 2);
    assert_eq!(queue[0].post, post, "oldest report first");
    assert_eq!(
        queue[0].reports, 2,
        "a member's second report of a post is not counted"
    );
    assert_eq!(queue[0].notes, ["宣伝です"]);
    assert!(queue[0].reasons.contains(&(ReportReason::Spam, 1)));
    assert_eq!(queue[0].question_title, "夜泣き");

    let decision = community
        .hide(post, "宣伝のため", "県 担当者", t0())
        .await
        .unwrap();
    assert_eq!(
        (decision.action, decision.reports_resolved),
        (ModerationAction::Hide, 2)
    );
    assert_eq!(decision.staff_name, "県 担当者");
    assert!(matches!(
        community.hide(post, "もう一度", "県 担当者", t0()).await,
        Err(CommunityError::NothingToModerate { .. })
    ));
    let queue = community.moderation_queue().await.unwrap();
    assert_eq!(queue.len(), 1);
    let view = community.question(id, Viewer::Public).await.unwrap();
    assert!(view.answers.is_empty(), "a hidden answer is not shown");
    let author_view = community
        .question(id, Viewer::Account(reporters[0]))
        .await
        .unwrap();
    assert_eq!(
        author_view.answers[0].status,
        PostStatus::Hidden,
        "its author still sees it"
    );
    let summary = community
        .questions(&QuestionFilter::default(), None, 10)
        .await
        .unwrap();
    assert_eq!(summary[0].answer_count, 0, "hidden answers are not counted");

    community
        .restore(post, "確認の結果問題なし", "県 担当者", t0())
        .await
        .unwrap();
    assert_eq!(
        community
            .question(id, Viewer::Public)
            .await
            .unwrap()
            .answers
            .len(),
        1
    );
    let dismissed = community
        .dismiss_reports(PostRef::question(id), "問題なし", "県 担当者", t0())
        .await
        .unwrap();
    assert_eq!(dismissed.reports_resolved, 1);
    assert!(community.moderation_queue().await.unwrap().is_empty());
    assert!(matches!(
        community
            .dismiss_reports(PostRef::question(id), "問題なし", "県 担当者", t0())
            .await,
        Err(CommunityError::NothingToModerate { .. })
    ));
    assert!(matches!(
        community
            .report(
                asker,
                PostRef::answer(Uuid::now_v7()),
                ReportReason::Spam,
                None,
                t0()
            )
            .await,
        Err(CommunityError::AnswerNotFound(_))
    ));
    // Twenty reports a day: the reporter made two already.
    for n in 0..19 {
        let target = reply(community, asker, id, "回答です", t0() + Duration::minutes(n)).await;
        let reported = community
            .report(
                reporters[1],
                PostRef::answer(target),
                ReportReason::Other,
                None,
                t0() + Duration::hours(1),
            )
            .await;
        match n {
            18 => assert!(
                matches!(reported, Err(CommunityError::RateLimited { .. })),
                "{reported:?}"
            ),
            _ => reported.unwrap(),
        }
    }
}

async fn a_departing_member_is_anonymised_or_removed(fixture: Fixture) {
    let community = &fixture.community;
    let asker = member(community, "りんごママ").await;
    let leaving = member(community, "ねぶたパパ").await;
    let erasing = member(community, "こたえる人").await;
    let id = night_crying(community, asker).await;
    let kept = reply(community, leaving, id, "残る回答", t0()).await;
    let gone = reply(community, erasing, id, "消える回答", t0()).await;
    community
        .edit_answer(erasing, gone, &answer("消える回答（直し）"), Masking::Ask, t0())
        .await
        .unwrap();
    let own = community
        .ask(erasing, &question("自分の質問", "消える本文"), Masking::Ask, t0())
        .await
        .unwrap();
    community.mark_helpful(leaving, gone, t0()).await.unwrap();
    community.mark_helpful(erasing, kept, t0()).await.unwrap();
    community
        .report(erasing, PostRef::question(id), ReportReason::Other, None, t0())
        .await
        .unwrap();

    let export = community.export(erasing).await.unwrap().expect("a member");
    assert_eq!(export.member.display_name, "こたえる人");
    assert_eq!(export.questions.len(), 1);
    assert_eq!(export.answers.len(), 1);
    assert_eq!(export.helpful_marks, [kept]);
    assert_eq!(export.reports.len(), 1);

    let anonymised = community
        .depart(leaving, Departure::Anonymise, t0())
        .await
        .unwrap();
    assert_eq!((anonymised.questions, anonymised.answers), (0, 1));
    let removed = community.depart(erasing, Departure::Remove, t0()).await.unwrap();
    assert_eq!((removed.questions, removed.answers), (1, 1));
    assert!(community.member(leaving).await.unwrap().is_none());
    assert!(community.export(erasing).await.unwrap().is_none());
    assert!(matches!(
        community
            .ask(leaving, &question("また", "本文です"), Masking::Ask, t0())
            .await,
        Err(CommunityError::NotMember)
    ));

    let view = community.question(id, Viewer::Public).await.unwrap();
    assert_eq!(view.answers.len(), 1, "the removed answer is gone");
    assert_eq!(view.answers[0].body, "残る回答", "anonymised text is kept");
    assert_eq!(
        view.answers[0].author.display_name,
        kosodate_community::DEPARTED_MEMBER
    );
    assert!(view.answers[0].author.departed);
    assert_eq!(
        view.answers[0].helpful_count, 0,
        "the departed member's helpful mark is gone"
    );
    let moderator = community.question(id, Viewer::Moderator).await.unwrap();
    let erased = moderator
        .answers
        .iter()
        .find(|a| a.id == gone)
        .expect("still a row");
    assert_eq!((erased.status, erased.body.as_str()), (PostStatus::Removed, ""));
    assert!(
        community
            .revisions(PostKind::Answer, gone)
            .await
            .unwrap()
            .is_empty(),
        "history erased too"
    );
    assert!(matches!(
        community.question(own, Viewer::Public).await,
        Err(CommunityError::QuestionNotFound(_))
    ));
    let removed_question = community.question(own, Viewer::Moderator).await.unwrap();
    assert_eq!(
        (removed_question.title.as_str(), removed_question.body.as_str()),
        ("", "")
    );
    let listed = community
        .questions(&QuestionFilter::default(), None, 10)
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].answer_count, 1);
    assert_eq!(
        community.moderation_queue().await.unwrap().len(),
        1,
        "reports stay, without reporter"
    );
}

async fn the_evidence_pages_read_each_days_questions(fixture: Fixture) {
    let community = &fixture.community;
    let asker = member(community, "りんごママ").await;
    let mut input = tagged(
        QuestionCategory::Money,
        Some("022012"),
        Some(Region::Tosei),
        Some(AgeBand::Age0),
    );
    let first = community.ask(asker, &input, Masking::Ask, t0()).await.unwrap();
    input.title = "二つ目".into();
    let second = community
        .ask(asker, &input, Masking::Ask, t0() + Duration::hours(1))
        .await
        .unwrap();
    let third = community
        .ask(asker, &input, Masking::Ask, t0() + Duration::days(1))
        .await
        .unwrap();
    let later = t0() + Duration::days(2);
    community
        .hide(PostRef::question(first), "確認のため", "県 担当者", later)
        .await
        .unwrap();
    community.set_related_program_count(second, 3).await.unwrap();
    assert!(matches!(
        community.set_related_program_count(Uuid::now_v7(), 1).await,
        Err(CommunityError::QuestionNotFound(_))
    ));
    let other = member(community, "ねぶたパパ").await;
    community
        .answer(
            other,
            second,
            &answer("回答です"),
            Masking::Ask,
            t0() + Duration::hours(2),
        )
        .await
        .unwrap();
    let day = community
        .questions_created_between(t0(), t0() + Duration::days(1))
        .await
        .unwrap();
    assert_eq!(
        day.iter().map(|q| q.id).collect::<Vec<_>>(),
        [first, second],
        "half-open, any status"
    );
    assert_eq!(day[0].status, PostStatus::Hidden);
    assert_eq!(day[1].related_program_count, Some(3));
    assert_eq!(day[1].first_answered_at, Some(t0() + Duration::hours(2)));
    assert_eq!(day[1].author_key, Some(asker));
    assert_eq!(day[1].region, Some(Region::Tosei));
    assert_eq!(day[1].age_band, Some(AgeBand::Age0));
    assert_eq!(day[1].category, QuestionCategory::Money);
    assert_eq!(
        day[1].municipality.map(|c| c.to_string()).as_deref(),
        Some("022012")
    );
    let tomorrow = community
        .questions_created_between(t0() + Duration::days(1), t0() + Duration::days(2))
        .await
        .unwrap();
    assert_eq!(tomorrow.iter().map(|q| q.id).collect::<Vec<_>>(), [third]);
}

async fn concurrent_posts_share_one_rate_limit(fixture: Fixture) {
    let asker = member(&fixture.community, "りんごママ").await;
    let mut posts = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let community = fixture.community.clone();
        posts.spawn(async move {
            community
                .ask(asker, &question("質問です", "本文です"), Masking::Ask, t0())
                .await
        });
    }
    let (mut posted, mut limited) = (0, 0);
    while let Some(result) = posts.join_next().await {
        match result.expect("the task ends") {
            Ok(_) => posted += 1,
            Err(CommunityError::RateLimited { .. }) => limited += 1,
            Err(error) => panic!("{error:?}"),
        }
    }
    assert_eq!((posted, limited), (5, 5), "the limit holds for writers at once");
}

async fn one_account_joining_twice_at_once_is_one_member(fixture: Fixture) {
    let account = Uuid::now_v7();
    let mut joins = tokio::task::JoinSet::new();
    for n in 0..4 {
        let community = fixture.community.clone();
        joins.spawn(async move {
            community
                .join(account, &name(&format!("名前{n}")), true, t0())
                .await
        });
    }
    let mut outcomes = Vec::new();
    while let Some(result) = joins.join_next().await {
        outcomes.push(match result.expect("the task ends") {
            Ok(_) => "joined",
            Err(CommunityError::AlreadyMember) => "already",
            Err(error) => panic!("{error:?}"),
        });
    }
    outcomes.sort_unstable();
    assert_eq!(outcomes, ["already", "already", "already", "joined"]);
}

async fn answers_at_once_are_all_counted(fixture: Fixture) {
    let community = &fixture.community;
    let asker = member(community, "りんごママ").await;
    let id = night_crying(community, asker).await;
    let mut answers = tokio::task::JoinSet::new();
    for n in 0..8 {
        let account = member(community, &format!("こたえる人{n}")).await;
        let community = community.clone();
        answers.spawn(async move {
            let at = t0() + Duration::minutes(n);
            community
                .answer(account, id, &answer("うちもです"), Masking::Ask, at)
                .await
        });
    }
    while let Some(result) = answers.join_next().await {
        result.expect("the task ends").expect("answered");
    }
    let listed = community
        .questions(&QuestionFilter::default(), None, 10)
        .await
        .unwrap();
    assert_eq!(listed[0].answer_count, 8);
    let facts = community
        .questions_created_between(t0(), t0() + Duration::days(1))
        .await
        .unwrap();
    assert_eq!(facts[0].first_answered_at.map(|at| at >= t0()), Some(true));
}

async fn the_question_index_follows_the_store(fixture: Fixture) {
    let community = &fixture.community;
    let asker = member(community, "りんごママ").await;
    let mut input = tagged(
        QuestionCategory::Infant,
        Some("022012"),
        Some(Region::Tosei),
        Some(AgeBand::Age0),
    );
    input.title = "夜泣きで眠れません".into();
    let night = community.ask(asker, &input, Masking::Ask, t0()).await.unwrap();
    input.title = "保育園に入れない".into();
    input.category = QuestionCategory::ChildcareEducation;
    let nursery = community
        .ask(asker, &input, Masking::Ask, t0() + Duration::hours(1))
        .await
        .unwrap();
    input.title = "児童手当の申請".into();
    input.category = QuestionCategory::Money;
    let allowance = community
        .ask(asker, &input, Masking::Ask, t0() + Duration::days(1))
        .await
        .unwrap();

    let everything = community.questions_changed_after(None, 10).await.unwrap();
    assert_eq!(
        everything.iter().map(|q| q.id).collect::<Vec<_>>(),
        [night, nursery, allowance],
        "oldest change first"
    );
    assert_eq!(everything[0].category, "infant");
    assert_eq!(everything[0].municipality.as_deref(), Some("022012"));
    assert!(everything.iter().all(|q| q.visible));
    let page = community.questions_changed_after(None, 2).await.unwrap();
    let after = QuestionFeedPosition {
        updated_at: page[1].updated_at,
        id: Some(page[1].id),
    };
    let rest = community.questions_changed_after(Some(after), 10).await.unwrap();
    assert_eq!(rest.iter().map(|q| q.id).collect::<Vec<_>>(), [allowance]);

    let index = QuestionIndex::open_in_memory().unwrap();
    index.upsert(&everything).unwrap();
    assert_eq!(similar(&index, "夜泣きがひどい").first(), Some(&night));

    let later = t0() + Duration::days(2);
    community
        .hide(PostRef::question(night), "確認のため", "県 担当者", later)
        .await
        .unwrap();
    let since = QuestionFeedPosition {
        updated_at: later,
        id: None,
    };
    let changed = community.questions_changed_after(Some(since), 10).await.unwrap();
    assert_eq!(changed.len(), 1);
    assert_eq!((changed[0].id, changed[0].visible), (night, false));
    index.upsert(&changed).unwrap();
    assert!(
        !similar(&index, "夜泣きがひどい").contains(&night),
        "a hidden question leaves the index"
    );
    community.set_related_program_count(nursery, 2).await.unwrap();
    let unchanged = community.questions_changed_after(Some(since), 10).await.unwrap();
    assert_eq!(
        unchanged.len(),
        1,
        "a related-program count is not a change the index follows"
    );
}

fn similar(index: &QuestionIndex, text: &str) -> Vec<Uuid> {
    index
        .similar(text, 5)
        .unwrap()
        .iter()
        .map(|found| found.id)
        .collect()
}

/// The embedded default's example community goes through the parents' own rules, and a second
/// start, or a community somebody joined, is left alone.
async fn the_example_community_loads_once(fixture: Fixture) {
    let community = &fixture.community;
    let loaded = community
        .load_examples_if_empty(t0())
        .await
        .unwrap()
        .expect("an empty community gets the examples");
    assert_eq!((loaded.members, loaded.questions), (8, 7));
    assert_eq!(community.load_examples_if_empty(t0()).await.unwrap(), None);
    let listed = community
        .questions(&QuestionFilter::default(), None, 20)
        .await
        .unwrap();
    assert_eq!(listed.len(), 7);
    let unanswered = community
        .questions(
            &QuestionFilter {
                unanswered: true,
                ..QuestionFilter::default()
            },
            None,
            20,
        )
        .await
        .unwrap();
    assert_eq!(
        unanswered.len(),
        1,
        "the 病児保育 question waits for its first answer"
    );
    let night_crying = listed
        .iter()
        .find(|question| question.title.contains("夜泣き"))
        .expect("the 夜泣き question");
    let view = community.question(night_crying.id, Viewer::Public).await.unwrap();
    let accepted = view.answers.first().expect("answers");
    assert!(accepted.accepted);
    assert_eq!(accepted.author.expert, Some(Profession::PublicHealthNurse));
    assert_eq!(accepted.helpful_count, 3);
}
