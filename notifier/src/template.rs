//! The templates: a notice's content in Japanese, laid out once for every channel. Each channel
//! then formats the [`RenderedNotice`] in its own way (a mail, a LINE message, a push
//! notification).

use std::fmt::Write;
use std::time::Duration;

use chrono::NaiveDate;
use kosodate_domain::Vocabulary;
use kosodate_domain::japan::format_date_with_weekday;
use uuid::Uuid;

use crate::channel::{Link, RenderedNotice, Urgency};
use crate::content::{EventNotice, NoticeContent, NoticeKind, ProgramNotice};
use crate::links::{LinkSigner, NoticeAction};

/// A notice to render: its own id (for its action links) and content.
#[derive(Debug, Clone, Copy)]
pub struct NoticeToRender<'a> {
    pub id: Uuid,
    pub content: &'a NoticeContent,
}

const SERVICE_NAME: &str = "青森県 子育て支援制度のお知らせ";

/// Renders one notice. `digest_members`: for a digest, the notices it gathers.
pub fn render(
    signer: &LinkSigner,
    notice: NoticeToRender<'_>,
    digest_members: &[NoticeToRender<'_>],
    my_page: &url::Url,
) -> RenderedNotice {
    let members: Vec<NoticeToRender<'_>> = if notice.content.kind == NoticeKind::Digest {
        digest_members.to_vec()
    } else {
        vec![notice]
    };
    let mut body = format!("{SERVICE_NAME}です。\n");
    let mut actions = Vec::new();
    for member in &members {
        body.push('\n');
        body.push_str(&lead(member.content));
        for (position, program) in (0u8..).zip(&member.content.programs) {
            body.push_str(&program_section(program));
            if member.content.kind != NoticeKind::FirstMatch {
                actions.extend(program_actions(signer, member.id, position, program));
            }
        }
        for event in &member.content.events {
            body.push_str(&event_section(event));
        }
    }
    let about_programs = members.iter().any(|member| {
        !matches!(
            member.content.kind,
            NoticeKind::CommunityAnswer | NoticeKind::WeeklyEvents | NoticeKind::WeeklyEventsAdded
        )
    });
    if about_programs {
        body.push_str(&format!(
            "\n各制度の詳細と対象になる理由は、マイページでご確認いただけます。\n{my_page}\n"
        ));
    }
    let urgent = members.iter().any(|member| member.content.kind.is_urgent());
    RenderedNotice {
        kind: notice.content.kind,
        due_on: members
            .iter()
            .flat_map(|member| &member.content.programs)
            .filter_map(|program| program.closes_on)
            .min(),
        title: format!("【子育て支援】{}", title(notice.content, members.len())),
        short: short(notice.content, members.len()),
        body,
        link: Some(main_link(notice.content, my_page)),
        actions,
        unsubscribe: signer.url(notice.id, NoticeAction::Unsubscribe, 0),
        urgency: if urgent { Urgency::High } else { Urgency::Normal },
        // A deadline reminder that arrives after the deadline is noise; others may wait a week.
        time_to_live: if urgent {
            Duration::from_secs(24 * 3600)
        } else {
            Duration::from_secs(7 * 24 * 3600)
        },
    }
}

/// Where the notice's button leads: the answered question, or the parent's page.
fn main_link(content: &NoticeContent, my_page: &url::Url) -> Link {
    match (&content.kind, &content.question) {
        (NoticeKind::CommunityAnswer, Some(question)) => Link {
            label: "回答を読む".into(),
            url: question.url.clone(),
        },
        _ => Link {
            label: "マイページで確認する".into(),
            url: my_page.clone(),
        },
    }
}

/// The question's title as a notice's title quotes it: long titles are cut, since the title is
/// what a phone's lock screen shows.
fn question_title(content: &NoticeContent) -> String {
    const LONGEST: usize = 30;
    let title = content
        .question
        .as_ref()
        .map_or("", |question| question.title.as_str());
    match title.chars().count() > LONGEST {
        true => format!("{}…", title.chars().take(LONGEST).collect::<String>()),
        false => title.to_owned(),
    }
}

fn program_actions(signer: &LinkSigner, notice: Uuid, position: u8, program: &ProgramNotice) -> [Link; 2] {
    [NoticeAction::Applied, NoticeAction::NotInterested].map(|action| Link {
        label: format!("{}（{}）", action.label_ja(), program.name),
        url: signer.url(notice, action, position),
    })
}

fn first_name(content: &NoticeContent) -> &str {
    content
        .programs
        .first()
        .map_or("子育て支援制度", |program| program.name.as_str())
}

fn first_closes(content: &NoticeContent) -> Option<NaiveDate> {
    content.programs.first().and_then(|program| program.closes_on)
}

fn title(content: &NoticeContent, members: usize) -> String {
    let name = first_name(content);
    match content.kind {
        NoticeKind::FirstMatch => format!("利用できる制度が{}件あります", content.programs.len()),
        NoticeKind::NewlyEligible => format!("{name}の対象になりました"),
        NoticeKind::NewProgram => format!("新しい制度「{name}」の対象です"),
        NoticeKind::ProgramChanged => format!("{name}の内容が変わりました"),
        NoticeKind::WindowOpensSoon => match content.programs.first().and_then(|p| p.opens_on) {
            Some(opens) => format!(
                "{name}の申請受付が{}から始まります",
                format_date_with_weekday(opens)
            ),
            None => format!("{name}の申請受付がまもなく始まります"),
        },
        NoticeKind::DeadlineNear => match first_closes(content) {
            Some(closes) => format!("{name}の申請期限は{}です", format_date_with_weekday(closes)),
            None => format!("{name}の申請期限が近づいています"),
        },
        NoticeKind::DeadlineImminent => format!("まもなく締切：{name}"),
        NoticeKind::NoLongerEligible => format!("{name}の対象ではなくなりました"),
        NoticeKind::Digest => format!("今日のお知らせ（{members}件）"),
        NoticeKind::ChannelDisabled => "お知らせの配信先を停止しました".into(),
        NoticeKind::CommunityAnswer => format!("質問「{}」に回答がありました", question_title(content)),
        NoticeKind::WeeklyEvents => format!(
            "今週、お子さんの月齢に合ったイベントが{}件あります",
            content.events.len()
        ),
        NoticeKind::WeeklyEventsAdded => format!(
            "今週、お子さんの月齢に合ったイベントが{}件追加されました",
            content.events.len()
        ),
    }
}

fn short(content: &NoticeContent, members: usize) -> String {
    match content.kind {
        NoticeKind::Digest => format!("子育て支援制度のお知らせが{members}件あります。"),
        NoticeKind::FirstMatch => {
            let names: Vec<&str> = content.programs.iter().take(3).map(|p| p.name.as_str()).collect();
            format!("{}など、利用できる制度があります。", names.join("、"))
        }
        NoticeKind::ChannelDisabled => "配信できなくなった連絡先を停止しました。".into(),
        _ => title(content, members),
    }
}

/// The sentence that opens a notice's part of the message.
fn lead(content: &NoticeContent) -> String {
    let name = first_name(content);
    match content.kind {
        NoticeKind::FirstMatch => format!(
            "ご登録の内容から、利用できる子育て支援制度が{}件見つかりました。\n",
            content.programs.len()
        ),
        NoticeKind::NewlyEligible => format!("{name}の対象になりました。\n"),
        NoticeKind::NewProgram => format!("新しく始まった制度「{name}」の対象です。\n"),
        NoticeKind::ProgramChanged => {
            format!("{name}の内容（支給内容・申請期間・申請方法など）が変わりました。\n")
        }
        NoticeKind::WindowOpensSoon => format!("{name}の申請受付がまもなく始まります。\n"),
        NoticeKind::DeadlineNear => format!("{name}の申請期限が近づいています。まだの方はお早めに。\n"),
        NoticeKind::DeadlineImminent => {
            format!("{name}の申請期限がまもなくです。申請がまだの方はお急ぎください。\n")
        }
        NoticeKind::NoLongerEligible => format!("{name}の対象ではなくなりました。\n"),
        NoticeKind::Digest => String::new(),
        NoticeKind::ChannelDisabled => format!(
            "{}にお知らせを届けられなくなったため、この配信先を停止しました。\
             マイページで配信先を確認・再登録できます。\n",
            content.disabled_channel.as_deref().unwrap_or("ご登録の配信先")
        ),
        NoticeKind::CommunityAnswer => match &content.question {
            Some(question) => format!(
                "子育てコミュニティで、あなたの質問「{}」に回答がありました。\n回答を読む：{}\n\
                 回答のお知らせは、コミュニティの「自分の投稿」でいつでも止められます。\n",
                question.title, question.url
            ),
            None => "子育てコミュニティで、あなたの質問に回答がありました。\n".into(),
        },
        NoticeKind::WeeklyEvents => {
            "今週、お住まいの地域で、お子さんの月齢・学年に合ったイベントがあります。\n\
             申込みや持ち物は、各イベントのページでご確認ください。\n\
             このお知らせは、マイページの「お知らせの設定」でいつでも止められます。\n"
                .into()
        }
        NoticeKind::WeeklyEventsAdded => {
            "今週のイベントのお知らせのあとに、お子さんの月齢・学年に合ったイベントが\
             新しく掲載されました。\n\
             申込みや持ち物は、各イベントのページでご確認ください。\n\
             このお知らせは、マイページの「お知らせの設定」でいつでも止められます。\n"
                .into()
        }
    }
}

fn event_section(event: &EventNotice) -> String {
    let mut section = format!("\n■ {}\n", event.title);
    // Writing to a String cannot fail.
    let mut line = |label: &str, value: &str| {
        let _ = writeln!(section, "{label}：{value}");
    };
    line("日時", &event.days.join("、"));
    line("場所", &event.venue);
    if !event.children.is_empty() {
        line("対象のお子さん", &event.children.join("、"));
    }
    if let Some(sign_up) = &event.sign_up {
        line("申込み", sign_up);
    }
    line("詳しくは", event.url.as_str());
    section
}

fn program_section(program: &ProgramNotice) -> String {
    let mut section = format!("\n■ {}（{}）\n{}\n", program.name, program.owner, program.summary);
    // Writing to a String cannot fail.
    let mut line = |label: &str, value: &str| {
        let _ = writeln!(section, "{label}：{value}");
    };
    if !program.children.is_empty() {
        line("対象のお子さん", &program.children.join("、"));
    }
    if let Some(benefit) = &program.benefit {
        line("内容", benefit);
    }
    match (program.opens_on, program.closes_on) {
        (Some(opens), Some(closes)) => line(
            "申請期間",
            &format!(
                "{}〜{}",
                format_date_with_weekday(opens),
                format_date_with_weekday(closes)
            ),
        ),
        (None, Some(closes)) => line("申請期限", &format_date_with_weekday(closes)),
        (Some(opens), None) => line("申請受付開始", &format_date_with_weekday(opens)),
        (None, None) => {}
    }
    if !program.how_to_apply.is_empty() {
        line("申請方法", &program.how_to_apply.join("／"));
    }
    if let Some(contact) = &program.contact {
        line("問い合わせ", contact);
    }
    if let Some(url) = &program.url {
        line("詳しくは", url.as_str());
    }
    section
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program(name: &str) -> ProgramNotice {
        ProgramNotice {
            program_id: Uuid::now_v7().to_string(),
            name: name.into(),
            owner: "弘前市".into(),
            summary: "中学生までの医療費を助成します。".into(),
            children: vec!["はなこ".into()],
            benefit: Some("保険診療の自己負担分".into()),
            opens_on: Some(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default()),
            closes_on: Some(NaiveDate::from_ymd_opt(2027, 1, 31).unwrap_or_default()),
            how_to_apply: vec!["窓口".into(), "郵送".into()],
            url: url::Url::parse("https://www.city.hirosaki.aomori.jp/").ok(),
            contact: Some("こども家庭課 0172-00-0000".into()),
        }
    }

    fn signer() -> LinkSigner {
        LinkSigner::new(
            url::Url::parse("https://kosodate.example/").unwrap_or_else(|_| unreachable!()),
            vec![1; 32],
        )
    }

    #[test]
    fn a_deadline_notice_says_what_when_how_and_whom_to_ask() {
        let content = NoticeContent {
            kind: NoticeKind::DeadlineNear,
            programs: vec![program("子ども医療費助成")],
            disabled_channel: None,
            question: None,
            events: Vec::new(),
        };
        let my_page = url::Url::parse("https://kosodate.example/me").unwrap_or_else(|_| unreachable!());
        let id = Uuid::now_v7();
        let rendered = render(
            &signer(),
            NoticeToRender {
                id,
                content: &content,
            },
            &[],
            &my_page,
        );
        assert_eq!(
            rendered.title,
            "【子育て支援】子ども医療費助成の申請期限は2027年1月31日（日）です"
        );
        for expected in [
            "対象のお子さん：はなこ",
            "申請方法：窓口／郵送",
            "問い合わせ：こども家庭課",
            "詳しくは：https://www.city.hirosaki",
        ] {
            assert!(
                rendered.body.contains(expected),
                "{expected} missing in {}",
                rendered.body
            );
        }
        assert_eq!(rendered.urgency, Urgency::High);
        assert_eq!(rendered.actions.len(), 2);
        let token = rendered.actions[0]
            .url
            .path()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        assert_eq!(signer().verify(&token), Some((id, NoticeAction::Applied, 0)));
    }

    #[test]
    fn a_digest_gathers_its_members_with_their_own_actions() {
        let first = NoticeContent {
            kind: NoticeKind::NewlyEligible,
            programs: vec![program("児童手当")],
            disabled_channel: None,
            question: None,
            events: Vec::new(),
        };
        let second = NoticeContent {
            kind: NoticeKind::WindowOpensSoon,
            programs: vec![program("一時預かり")],
            disabled_channel: None,
            question: None,
            events: Vec::new(),
        };
        let digest = NoticeContent {
            kind: NoticeKind::Digest,
            programs: Vec::new(),
            disabled_channel: None,
            question: None,
            events: Vec::new(),
        };
        let members = [
            NoticeToRender {
                id: Uuid::now_v7(),
                content: &first,
            },
            NoticeToRender {
                id: Uuid::now_v7(),
                content: &second,
            },
        ];
        let my_page = url::Url::parse("https://kosodate.example/me").unwrap_or_else(|_| unreachable!());
        let rendered = render(
            &signer(),
            NoticeToRender {
                id: Uuid::now_v7(),
                content: &digest,
            },
            &members,
            &my_page,
        );
        assert_eq!(rendered.title, "【子育て支援】今日のお知らせ（2件）");
        assert!(rendered.body.contains("児童手当の対象になりました"));
        assert!(rendered.body.contains("一時預かりの申請受付がまもなく始まります"));
        assert_eq!(rendered.actions.len(), 4);
    }

    #[test]
    fn a_weekly_events_notice_lists_each_event_with_its_days_place_and_child() {
        let content = NoticeContent {
            kind: NoticeKind::WeeklyEvents,
            programs: Vec::new(),
            disabled_channel: None,
            question: None,
            events: vec![crate::content::EventNotice {
                title: "離乳食教室（後期）".into(),
                days: vec!["12月8日（火）10:00〜11:30".into()],
                venue: "青森市保健所".into(),
                children: vec!["はなちゃん".into()],
                sign_up: Some("電話で申込み（12月7日まで）".into()),
                url: url::Url::parse("https://kosodate.example/events/1").unwrap_or_else(|_| unreachable!()),
            }],
        };
        let my_page = url::Url::parse("https://kosodate.example/me").unwrap_or_else(|_| unreachable!());
        let id = Uuid::now_v7();
        let rendered = render(
            &signer(),
            NoticeToRender {
                id,
                content: &content,
            },
            &[],
            &my_page,
        );
        assert_eq!(
            rendered.title,
            "【子育て支援】今週、お子さんの月齢に合ったイベントが1件あります"
        );
        for expected in [
            "■ 離乳食教室（後期）",
            "日時：12月8日（火）10:00〜11:30",
            "場所：青森市保健所",
            "対象のお子さん：はなちゃん",
            "申込み：電話で申込み（12月7日まで）",
            "詳しくは：https://kosodate.example/events/1",
        ] {
            assert!(
                rendered.body.contains(expected),
                "{expected} missing from {}",
                rendered.body
            );
        }
        assert!(
            !rendered.body.contains("各制度の詳細"),
            "an events notice is not about programs"
        );
        assert!(
            rendered.actions.is_empty(),
            "events have no applied / not interested buttons"
        );
    }

    #[test]
    fn an_answer_notice_names_the_question_and_links_to_it() {
        let url = url::Url::parse("https://kosodate.example/community/questions/1")
            .unwrap_or_else(|_| unreachable!());
        let content = NoticeContent {
            kind: NoticeKind::CommunityAnswer,
            programs: Vec::new(),
            disabled_channel: None,
            question: Some(crate::content::QuestionNotice {
                title: "夜泣きがひどくて眠れません。みなさんはどうしていますか、教えてください".into(),
                url: url.clone(),
            }),
            events: Vec::new(),
        };
        let my_page = url::Url::parse("https://kosodate.example/me").unwrap_or_else(|_| unreachable!());
        let id = Uuid::now_v7();
        let rendered = render(
            &signer(),
            NoticeToRender {
                id,
                content: &content,
            },
            &[],
            &my_page,
        );
        assert_eq!(
            rendered.title,
            "【子育て支援】質問「夜泣きがひどくて眠れません。みなさんはどうしていますか、教え…」に回答がありました"
        );
        assert!(
            rendered
                .body
                .contains("あなたの質問「夜泣きがひどくて眠れません。")
        );
        assert!(rendered.body.contains(url.as_str()));
        assert!(!rendered.body.contains("マイページでご確認"), "{}", rendered.body);
        assert_eq!(rendered.link.map(|link| link.url), Some(url));
        assert!(rendered.actions.is_empty());
        let token = rendered
            .unsubscribe
            .path()
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        assert_eq!(signer().verify(&token), Some((id, NoticeAction::Unsubscribe, 0)));
    }
}
