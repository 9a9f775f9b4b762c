//! `/staff/counter`: a resident without a smartphone registers at the municipal counter
//! (窓口代理登録). The clerk records the paper consent (which purposes the resident signed, to
//! the text versions shown here in full, on which numbered form and when), then the household
//! with the parents' own form (the municipality fixed to the clerk's). The answer is a one-page
//! summary to print and hand over: the household's programs and deadlines in large type, dates
//! in 和暦 and 西暦, and the receipt number the counter deletes the data with later. The summary
//! exists only as this response: staff never find the household again, and nothing new is kept
//! for it.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use kosodate_domain::{CalendarDate, MunicipalityCode, Vocabulary, japan};
use kosodate_households::consent_texts;
use kosodate_households::{ConsentPurpose, HouseholdId, PaperForm};
use kosodate_matcher::{Childcare, Eligibility, IncomeBand};
use kosodate_matching::Finding;
use kosodate_registry::{StaffAction, StaffRole};
use strum::VariantArray;

use super::StaffChrome;
use crate::counter;
use crate::error::ApiError;
use crate::extract::RequestContext;
use crate::pages::household_form::{
    ChildRow, HouseholdForm, RowAction, error_links, error_of, field, field_errors, labels,
};
use crate::pages::visitor::{SignedInStaff, StaffForm};
use crate::state::AppState;

const HERE: &str = "/staff/counter";

/// The longest form number the ledger keeps.
const FORM_NUMBER_MAX: usize = 64;

#[derive(Template)]
#[template(path = "staff/counter.html")]
struct CounterPage {
    chrome: StaffChrome,
    municipality: String,
    consents: Vec<ConsentRow>,
    paper: PaperFields,
    form: HouseholdForm,
    errors: BTreeMap<String, String>,
    income_bands: Vec<(&'static str, &'static str)>,
    childcare: Vec<(&'static str, &'static str)>,
}

impl CounterPage {
    fn error(&self, field: &str) -> Option<&str> {
        error_of(&self.errors, field)
    }

    fn error_links(&self) -> Vec<(String, &str)> {
        let anchors = [
            ("consents", "consent_matching"),
            ("single_parent", "single_parent_yes"),
        ];
        error_links(&self.errors, &anchors)
    }
}

/// One purpose of the consent form, with the text the resident signed.
#[derive(Debug)]
struct ConsentRow {
    id: &'static str,
    label: &'static str,
    version: i32,
    title: String,
    text: String,
    checked: bool,
}

/// The paper form's fields, as entered.
#[derive(Debug, Default)]
struct PaperFields {
    number: String,
    signed_on: String,
    kept: bool,
}

/// The municipality whose counter the clerk serves; others are refused here.
fn counter_municipality(staff: &SignedInStaff) -> Result<MunicipalityCode, ApiError> {
    match staff.identity.role {
        StaffRole::Municipal(code) if staff.identity.permits(StaffAction::RegisterAtCounter(code)) => {
            Ok(code)
        }
        _ => Err(ApiError::forbidden(
            "窓口での登録は、市町村の職員が自分の市町村の住民について行います",
            format!("{} may not register households at a counter", staff.identity.name),
        )),
    }
}

fn consent_rows(signed: &[(String, String)]) -> Vec<ConsentRow> {
    ConsentPurpose::VARIANTS
        .iter()
        // The community is joined online under a display name; a counter has nothing to do there.
        .filter(|purpose| **purpose != ConsentPurpose::Community)
        .filter_map(|purpose| {
            let text = consent_texts::current(*purpose)?;
            Some(ConsentRow {
                id: purpose.id(),
                label: purpose.label_ja(),
                version: text.version,
                title: text.title_ja.clone(),
                text: text.text_ja.clone(),
                checked: !field(signed, &format!("consent_{}", purpose.id())).is_empty(),
            })
        })
        .collect()
}

async fn render(
    state: &AppState,
    staff: &SignedInStaff,
    fields: &[(String, String)],
    mut form: HouseholdForm,
    errors: BTreeMap<String, String>,
    status: StatusCode,
) -> Result<Response, ApiError> {
    let code = counter_municipality(staff)?;
    form.show_errors(&errors);
    let page = CounterPage {
        chrome: StaffChrome::load(state, staff, HERE).await,
        municipality: state.registry.municipality(code).await?.name,
        consents: consent_rows(fields),
        paper: PaperFields {
            number: field(fields, "paper_form_number").to_owned(),
            signed_on: field(fields, "paper_form_signed_on").to_owned(),
            kept: field(fields, "paper_form_kept") == "yes",
        },
        form,
        errors,
        income_bands: labels::<IncomeBand>(),
        childcare: labels::<Childcare>(),
    };
    Ok(crate::pages::html(status, &page))
}

pub async fn page(State(state): State<AppState>, staff: SignedInStaff) -> Result<Response, ApiError> {
    let form = HouseholdForm {
        children: vec![ChildRow::default()],
        ..HouseholdForm::default()
    };
    render(&state, &staff, &[], form, BTreeMap::new(), StatusCode::OK).await
}

/// The paper consent as entered: the purposes signed (each to the version shown), and the form.
fn read_paper_consent(
    fields: &[(String, String)],
    today: NaiveDate,
    errors: &mut BTreeMap<String, String>,
) -> (Vec<ConsentPurpose>, Option<PaperForm>) {
    let mut consents = Vec::new();
    for row in consent_rows(fields).into_iter().filter(|row| row.checked) {
        let shown = field(fields, &format!("consent_{}", row.id));
        if shown != row.version.to_string() {
            errors.insert(
                format!("consent_{}", row.id),
                format!(
                    "「{}」の文面が改訂されました（第{}版）。新しい同意書で署名を受けてください",
                    row.label, row.version
                ),
            );
        }
        consents.extend(ConsentPurpose::parse(row.id));
    }
    if consents.is_empty() {
        errors.insert(
            "consents".into(),
            "署名された同意の目的を1つ以上選んでください".into(),
        );
    }
    let number = field(fields, "paper_form_number");
    if number.is_empty() || number.chars().count() > FORM_NUMBER_MAX || number.chars().any(char::is_control) {
        errors.insert(
            "paper_form_number".into(),
            format!("同意書の番号を{FORM_NUMBER_MAX}文字以内で入力してください"),
        );
    }
    let signed_on = CalendarDate::parse(field(fields, "paper_form_signed_on"))
        .ok()
        .filter(|date| date.date() <= today);
    if signed_on.is_none() {
        errors.insert(
            "paper_form_signed_on".into(),
            "署名の日付を「2026-12-05」のように、今日までの日付で入力してください".into(),
        );
    }
    if field(fields, "paper_form_kept") != "yes" {
        errors.insert(
            "paper_form_kept".into(),
            "署名された同意書を保管してから登録してください".into(),
        );
    }
    let form = signed_on.map(|signed_on| PaperForm {
        number: number.to_owned(),
        signed_on,
    });
    (consents, form)
}

/// Registers the household and answers with its summary, or shows the form again: with a child
/// row added or removed, or with every error at its field.
pub async fn register(
    State(state): State<AppState>,
    context: RequestContext,
    form: StaffForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let StaffForm { staff, fields } = form;
    let code = counter_municipality(&staff)?;
    let mut entered = HouseholdForm::from_fields(&fields);
    entered.municipality_code = code.to_string();
    if let Some(row_action) = RowAction::of(field(&fields, "action")) {
        entered.apply(row_action);
        return render(&state, &staff, &fields, entered, BTreeMap::new(), StatusCode::OK).await;
    }
    let today = japan::date_of(chrono::Utc::now());
    let mut errors = BTreeMap::new();
    let (consents, paper_form) = read_paper_consent(&fields, today, &mut errors);
    let (input, form_errors) = entered.to_input();
    errors.extend(form_errors);
    let valid = match input.validate(today) {
        Ok(valid) => Some(valid),
        Err(invalid) => {
            for (name, message) in field_errors(&invalid.0) {
                errors.entry(name).or_insert(message);
            }
            None
        }
    };
    let (Some(valid), true) = (valid, errors.is_empty()) else {
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return render(&state, &staff, &fields, entered, errors, status).await;
    };
    counter::authorize(&state, &staff.identity, &context, code).await?;
    let id = counter::register(&state, &staff.identity, &context, &valid, consents, paper_form).await?;
    summary(&state, &staff, code, id, today).await
}

#[derive(Template)]
#[template(path = "staff/counter_summary.html")]
struct SummaryPage {
    chrome: StaffChrome,
    municipality: String,
    receipt: String,
    today: String,
    /// `None` when the resident did not consent to matching: there is no list to make.
    programs: Option<Vec<SummaryItem>>,
}

/// One program on the resident's sheet.
#[derive(Debug)]
struct SummaryItem {
    name: String,
    status: &'static str,
    when: Vec<String>,
    contact: String,
    deadline: Option<NaiveDate>,
}

async fn summary(
    state: &AppState,
    staff: &SignedInStaff,
    code: MunicipalityCode,
    id: HouseholdId,
    today: NaiveDate,
) -> Result<Response, ApiError> {
    let findings = state.matching.findings_for(id, today).await?;
    let programs = findings.map(|findings| {
        let mut items: Vec<SummaryItem> = findings
            .iter()
            .filter_map(|finding| summary_item(finding, today))
            .collect();
        items.sort_by(|left, right| {
            (left.deadline.is_none(), left.deadline, &left.name).cmp(&(
                right.deadline.is_none(),
                right.deadline,
                &right.name,
            ))
        });
        items
    });
    let page = SummaryPage {
        chrome: StaffChrome::load(state, staff, HERE).await,
        municipality: state.registry.municipality(code).await?.name,
        receipt: id.to_string(),
        today: japan::format_date(today),
        programs,
    };
    Ok(crate::pages::html(StatusCode::CREATED, &page))
}

/// A finding as the sheet says it, or nothing when the program neither applies now nor will.
fn summary_item(finding: &Finding, today: NaiveDate) -> Option<SummaryItem> {
    let found = &finding.found;
    let status = match found.eligibility {
        Eligibility::Eligible => "対象です",
        Eligibility::Unknown => "窓口で確認してください",
        Eligibility::NotEligible if !found.detail.windows.is_empty() => "これから対象になります",
        Eligibility::NotEligible => return None,
    };
    // When to apply says what a resident must act on; the eligible period only when no
    // application period is known.
    let mut when: Vec<String> = found
        .detail
        .periods
        .iter()
        .map(|period| match (period.opens <= today, period.closes) {
            (true, Some(closes)) => format!("申請期限：{}", japan::format_date(closes)),
            (false, Some(closes)) => format!(
                "申請期間：{}から{}まで",
                japan::format_date(period.opens),
                japan::format_date(closes)
            ),
            (true, None) => "いつでも申請できます".to_owned(),
            (false, None) => format!("{}から申請できます", japan::format_date(period.opens)),
        })
        .collect();
    // Whether an unknown answer holds depends on what the counter asks; its periods would only
    // crowd the one page.
    if found.eligibility == Eligibility::Unknown {
        when.clear();
    } else if when.is_empty() {
        when.extend(found.detail.windows.iter().map(|window| match window.until {
            Some(until) => format!(
                "対象の期間：{}から{}まで",
                japan::format_date(window.from),
                japan::format_date(until)
            ),
            None => format!("対象の期間：{}から", japan::format_date(window.from)),
        }));
    }
    let contact = &finding.program.content.contact;
    let contact = [contact.section.as_deref(), contact.phone.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join("　");
    Some(SummaryItem {
        name: finding.program.content.name.clone(),
        status,
        when,
        contact,
        deadline: found
            .detail
            .periods
            .iter()
            .filter_map(|period| period.closes)
            .min(),
    })
}
