//! A household's windows and deadlines as an iCalendar feed (RFC 5545) that Google Calendar and
//! iOS subscribe to: one all-day event per date a parent acts on (an application period opens or
//! closes, the household becomes or stops being eligible), each linking back to the program's
//! page. Line folding, escaping and CRLF are the `icalendar` crate's. Nothing personal goes in:
//! no nickname, no birth date, only the program and the date.

use std::collections::BTreeSet;

use chrono::{DateTime, Days, NaiveDate, Utc};
use icalendar::{Calendar, Component, Event, EventLike, Property};
use kosodate_domain::ProgramId;
use kosodate_matcher::{Eligibility, Reason, japanese_date};
use kosodate_matching::Finding;
use sha2::{Digest, Sha256};

/// The feed's own name in the parent's calendar app.
const CALENDAR_NAME: &str = "子育て支援の申請日程（青森県）";
/// How often calendar apps should fetch the feed again; the response's `max-age` agrees.
pub const REFRESH_SECONDS: i64 = 3600;

/// What happens on a day of the feed, in the order a day's events are listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Milestone {
    ApplicationCloses,
    ApplicationOpens,
    EligibilityStarts,
    EligibilityEnds,
}

impl Milestone {
    fn label(self) -> &'static str {
        match self {
            Milestone::ApplicationOpens => "申請開始",
            Milestone::ApplicationCloses => "申請期限",
            Milestone::EligibilityStarts => "対象になる日",
            Milestone::EligibilityEnds => "対象期間の最終日",
        }
    }

    fn explanation(self) -> &'static str {
        match self {
            Milestone::ApplicationOpens => "この日から申請できます。",
            Milestone::ApplicationCloses => "申請はこの日までです。",
            Milestone::EligibilityStarts => "この日から対象になる見込みです。",
            Milestone::EligibilityEnds => {
                "この日で対象期間が終わる見込みです。申請が必要な制度は、この日までに申請してください。"
            }
        }
    }

    fn uid_part(self) -> &'static str {
        match self {
            Milestone::ApplicationOpens => "opens",
            Milestone::ApplicationCloses => "closes",
            Milestone::EligibilityStarts => "starts",
            Milestone::EligibilityEnds => "ends",
        }
    }
}

/// The dates of one program worth an event, from `today` on. A start on `today` is no news (the
/// window is computed from today). An application period that opens or closes with the
/// eligibility itself (a program one applies to whenever eligible) is told as the eligibility's
/// start or end: 「申請期限」 would be wrong for a program with nothing to apply for.
fn milestones(finding: &Finding, today: NaiveDate) -> BTreeSet<(NaiveDate, Milestone)> {
    let mut dates = BTreeSet::new();
    let eligible = finding
        .found
        .detail
        .windows
        .iter()
        .filter(|window| window.eligibility == Eligibility::Eligible);
    for window in eligible {
        if window.from > today {
            dates.insert((window.from, Milestone::EligibilityStarts));
        }
        if let Some(until) = window.until {
            dates.insert((until, Milestone::EligibilityEnds));
        }
    }
    for period in &finding.found.detail.periods {
        if period.opens > today && !dates.contains(&(period.opens, Milestone::EligibilityStarts)) {
            dates.insert((period.opens, Milestone::ApplicationOpens));
        }
        if let Some(closes) = period.closes
            && !dates.contains(&(closes, Milestone::EligibilityEnds))
        {
            dates.insert((closes, Milestone::ApplicationCloses));
        }
    }
    dates
}

/// Where the feed's links point and what makes its event ids unique.
#[derive(Debug)]
pub struct FeedSite<'a> {
    pub public_url: &'a url::Url,
    /// Distinguishes this household's events from another's without naming it.
    pub household_tag: String,
}

impl FeedSite<'_> {
    /// A tag from the household id: the same across replaced feeds, so that a calendar app
    /// subscribed again sees the same events, and no way back to the household.
    pub fn household_tag(household: &str) -> String {
        let digest = Sha256::digest(format!("calendar-feed:{household}").as_bytes());
        hex::encode(&digest[..8])
    }

    fn program_url(&self, id: ProgramId) -> String {
        self.public_url
            .join(&format!("programs/{id}"))
            .map_or_else(|_| format!("/programs/{id}"), String::from)
    }

    fn uid(&self, id: ProgramId, on: NaiveDate, milestone: Milestone) -> String {
        let host = self.public_url.host_str().unwrap_or("kosodate");
        format!(
            "{id}-{}-{}-{}@{host}",
            milestone.uid_part(),
            on.format("%Y%m%d"),
            self.household_tag
        )
    }
}

impl Milestone {
    fn starts(self) -> bool {
        matches!(self, Milestone::ApplicationOpens | Milestone::EligibilityStarts)
    }
}

/// The children (by birth order) a date is about: those with a condition of the rule that starts
/// or ends on it. A parent of two reads 「第2子」, never a nickname or a birth date.
fn children_of(reason: &Reason, on: NaiveDate, milestone: Milestone, children: &mut BTreeSet<u8>) {
    let bound = if milestone.starts() {
        reason.from
    } else {
        reason.until
    };
    if let (Some(child), true) = (reason.child, bound == Some(on)) {
        children.insert(child);
    }
    for detail in &reason.details {
        children_of(detail, on, milestone, children);
    }
}

/// 「児童手当（第1子の対象期間の最終日）」, or without a child when the date is not one child's.
fn summary(finding: &Finding, on: NaiveDate, milestone: Milestone) -> String {
    let mut children = BTreeSet::new();
    children_of(&finding.reason, on, milestone, &mut children);
    let whose: Vec<String> = children.iter().map(|child| format!("第{child}子")).collect();
    let name = &finding.program.content.name;
    match whose.as_slice() {
        [] => format!("{name}（{}）", milestone.label()),
        _ => format!("{name}（{}の{}）", whose.join("・"), milestone.label()),
    }
}

fn event(
    site: &FeedSite<'_>,
    finding: &Finding,
    on: NaiveDate,
    milestone: Milestone,
    now: DateTime<Utc>,
) -> Event {
    let program = &finding.program;
    let link = site.program_url(program.id);
    let description = format!(
        "{}（{}）\n{}\n\n{}\n詳しくは: {link}",
        milestone.explanation(),
        japanese_date(on),
        program.content.name,
        program.content.summary,
    );
    Event::new()
        .uid(&site.uid(program.id, on, milestone))
        .timestamp(now)
        .starts(on)
        .ends(on.checked_add_days(Days::new(1)).unwrap_or(on))
        .summary(&summary(finding, on, milestone))
        .description(&description)
        .url(&link)
        .append_property(Property::new("TRANSP", "TRANSPARENT"))
        .done()
}

/// One day of a children's event the household said it will go to (「行く」).
#[derive(Debug, Clone)]
pub struct EventDay {
    pub event_id: uuid::Uuid,
    pub title: String,
    /// Where, in words.
    pub location: Option<String>,
    pub starts: DateTime<Utc>,
    pub ends: Option<DateTime<Utc>>,
}

/// A timed event of the feed for one day of a children's event.
fn event_day(site: &FeedSite<'_>, day: &EventDay, now: DateTime<Utc>) -> Event {
    let host = site.public_url.host_str().unwrap_or("kosodate");
    let link = site
        .public_url
        .join(&format!("events/{}", day.event_id))
        .map_or_else(|_| format!("/events/{}", day.event_id), String::from);
    let mut event = Event::new();
    event
        .uid(&format!(
            "{}-{}-{}@{host}",
            day.event_id,
            day.starts.format("%Y%m%dT%H%M"),
            site.household_tag
        ))
        .timestamp(now)
        .starts(day.starts)
        .ends(day.ends.unwrap_or(day.starts + chrono::Duration::hours(1)))
        .summary(&day.title)
        .description(&format!("{}\n詳しくは: {link}", day.title))
        .url(&link);
    if let Some(location) = &day.location {
        event.location(location);
    }
    event.done()
}

/// The feed for `findings` (one household's, on `today`) and the days of the events it goes
/// to, as the text of a `.ics` file.
pub fn render(
    site: &FeedSite<'_>,
    findings: &[Finding],
    events: &[EventDay],
    today: NaiveDate,
    now: DateTime<Utc>,
) -> String {
    let mut calendar = Calendar::empty();
    calendar
        .append_property(Property::new("VERSION", "2.0"))
        .append_property(Property::new("PRODID", "-//kosodate//子育て支援 申請日程//JA"))
        .append_property(Property::new("CALSCALE", "GREGORIAN"))
        .append_property(Property::new("METHOD", "PUBLISH"))
        .name(CALENDAR_NAME)
        .ttl(&chrono::Duration::seconds(REFRESH_SECONDS));
    for finding in findings {
        for (on, milestone) in milestones(finding, today) {
            calendar.push(event(site, finding, on, milestone, now));
        }
    }
    for day in events {
        calendar.push(event_day(site, day, now));
    }
    calendar.done().to_string()
}
