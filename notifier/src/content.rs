//! What a notice says, as data: stored with the notice when it is planned and rendered by the
//! templates when it is delivered.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

pub use kosodate_domain::NoticeKind;

/// The content of one notice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeContent {
    pub kind: NoticeKind,
    /// The programs it is about: one, or all of a household's first results.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub programs: Vec<ProgramNotice>,
    /// For `ChannelDisabled`: which channel, in words ("メール（h***@example.jp）").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_channel: Option<String>,
    /// For `CommunityAnswer`: the parent's question that was answered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub question: Option<QuestionNotice>,
    /// For `WeeklyEvents`: the week's events that suit the household's children.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventNotice>,
}

impl NoticeContent {
    /// The same notice without the names of the children it is for: what may leave for a
    /// partner app.
    pub fn without_children(&self) -> Self {
        // Named field by field, so that a new part of a notice must be thought about here.
        let Self {
            kind,
            mut programs,
            disabled_channel,
            question,
            mut events,
        } = self.clone();
        for program in &mut programs {
            program.children.clear();
        }
        for event in &mut events {
            event.children.clear();
        }
        Self {
            kind,
            programs,
            disabled_channel,
            question,
            events,
        }
    }
}

/// The community question a `CommunityAnswer` notice is about: its title and where to read the
/// answer. Never the answer's text: a notice repeats nobody else's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionNotice {
    pub title: String,
    pub url: url::Url,
}

/// One event as a notice presents it: what, on which days of the week, where, for which child,
/// how to sign up and where to read more.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventNotice {
    pub title: String,
    /// Its days this week in words: 「12月8日（火）10:00〜11:30」.
    pub days: Vec<String>,
    /// Where, in words: a place's name, or the venue as staff wrote it.
    pub venue: String,
    /// Which of the household's children it suits, as the parent named them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<String>,
    /// How to sign up, in words (「電話で申込み（12月5日まで）」); none when nobody needs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sign_up: Option<String>,
    /// The event's page.
    pub url: url::Url,
}

/// One program as a notice presents it: what it is, why this household, what it gives, by when
/// and how to apply, whom to ask.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgramNotice {
    pub program_id: String,
    pub name: String,
    /// Who runs it: "弘前市", "青森県", "国".
    pub owner: String,
    pub summary: String,
    /// Which of the household's children it is for, as the parent named them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub benefit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opens_on: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closes_on: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub how_to_apply: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<url::Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn a_partner_copy_names_no_child_of_a_program_or_an_event() {
        let url = url::Url::parse("https://kosodate.example/events/1").unwrap();
        let content = NoticeContent {
            kind: NoticeKind::WeeklyEvents,
            programs: vec![ProgramNotice {
                program_id: "p".into(),
                name: "児童手当".into(),
                owner: "青森市".into(),
                summary: String::new(),
                children: vec!["はなこ".into()],
                benefit: None,
                opens_on: None,
                closes_on: None,
                how_to_apply: Vec::new(),
                url: None,
                contact: None,
            }],
            disabled_channel: None,
            question: None,
            events: vec![EventNotice {
                title: "離乳食教室".into(),
                days: vec!["12月8日（火）".into()],
                venue: "つどいの広場".into(),
                children: vec!["たろう".into()],
                sign_up: None,
                url,
            }],
        };
        let copy = content.without_children();
        let text = serde_json::to_string(&copy).unwrap();
        assert!(!text.contains("はなこ") && !text.contains("たろう"), "{text}");
        assert_eq!(copy.events[0].title, "離乳食教室");
        assert_eq!(copy.programs[0].name, "児童手当");
    }
}
