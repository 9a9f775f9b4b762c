//! GovTech Tokyo's 子育て支援制度レジストリ open-data JSON (CC BY 4.0): a top-level array of
//! records with 34 keys each. See docs/formats/tokyo-registry.md for the field list and the quirks
//! of the published data. Reading is lenient (missing keys, trailing tabs, several phone numbers
//! in one field); writing emits every key. Import and export are chosen so that importing an
//! export changes nothing.

use kosodate_domain::Vocabulary;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ImportError, ImportErrors, ImportRecord, ParsedFile, non_empty_lines, parse_date_loose};
use crate::model::{
    ApplicationMethod, ApplicationMethodKind, ApplicationWindow, Benefit, Category, Contact, LifeEvent,
    Program, ProgramInput, ProgramStatus,
};

const SUMMARY_MAX: usize = 400;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Record {
    institution_name: InstitutionName,
    summary: Option<String>,
    description: Option<String>,
    target: Target,
    support: Support,
    procedure_method: Option<String>,
    procedure_period: Period,
    electronic_submission: Option<bool>,
    belongings: Option<String>,
    procedure_counter: Option<String>,
    local_government_link: Link,
    form_link: Vec<Link>,
    contact: TokyoContact,
    area: Area,
    update_date: Option<String>,
    tag: Tag,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct InstitutionName {
    canonical_name: Option<String>,
    short_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Target {
    target_persons: Option<String>,
    conditions: Option<String>,
    less_than: AgeBound,
    less_than_or_equal_to: AgeBound,
    greater_than_or_equal_to: AgeBound,
    greater_than: AgeBound,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct AgeBound {
    target_age: Option<u32>,
    target_age_of_months: Option<u32>,
}

impl AgeBound {
    fn describe(&self) -> Option<String> {
        match (self.target_age, self.target_age_of_months) {
            (None, None) => None,
            (Some(years), None | Some(0)) => Some(format!("{years}歳")),
            (None | Some(0), Some(months)) => Some(format!("{months}か月")),
            (Some(years), Some(months)) => Some(format!("{years}歳{months}か月")),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Support {
    description: Option<String>,
    monetary_support: Option<String>,
    materially_support: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Period {
    #[serde(rename = "fromYMD")]
    from_ymd: Option<String>,
    #[serde(rename = "toYMD")]
    to_ymd: Option<String>,
    conditions: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Link {
    uri: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct TokyoContact {
    contact_name: Option<String>,
    contact_phone: Option<String>,
    contact_email: Option<String>,
    contact_url: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Area {
    area_code: Option<String>,
    area_text: Option<String>,
}

/// National programs have no area code; they are written with this area text instead.
const NATIONAL_AREA_TEXT: &str = "全国";

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Tag {
    category_code: Option<Vec<String>>,
    target_code: Option<Vec<String>>,
}

/// Parses a Tokyo registry file (a JSON array of records): the records that could be read and the
/// problems of those that could not. Only a file that is not a JSON array is refused at once.
pub fn parse(bytes: &[u8]) -> Result<ParsedFile, ImportErrors> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let values: Vec<Value> = serde_json::from_slice(bytes).map_err(|error| {
        ImportErrors(vec![ImportError::new(
            error.line(),
            "",
            "JSONを読めません。東京都 子育て支援制度レジストリ形式（レコードの配列）を指定してください",
            format!("invalid JSON: {error}"),
        )])
    })?;
    let mut records = Vec::new();
    let mut errors = Vec::new();
    for (index, value) in values.into_iter().enumerate() {
        let position = index + 1;
        match serde_path_to_error::deserialize::<_, Record>(value) {
            Ok(record) => records.push(record_to_import(position, &record)),
            Err(error) => errors.push(ImportError::new(
                position,
                format!("/{}", error.path().to_string().replace('.', "/")),
                "値の型が正しくありません",
                error.inner().to_string(),
            )),
        }
    }
    Ok(ParsedFile {
        records,
        problems: errors,
        columns: Vec::new(),
    })
}

fn clean(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(|v| v.replace("\r\n", "\n"))
}

fn record_to_import(position: usize, record: &Record) -> ImportRecord {
    let canonical = clean(record.institution_name.canonical_name.as_deref());
    let local_name = clean(record.institution_name.short_name.as_deref());
    let name = local_name.or_else(|| canonical.clone()).unwrap_or_default();
    let short_name = canonical.filter(|canonical| *canonical != name);
    let description = clean(record.description.as_deref());
    let summary = clean(record.summary.as_deref())
        .or_else(|| description.clone())
        .map(|summary| truncate(&summary, SUMMARY_MAX))
        .unwrap_or_else(|| name.clone());
    let owner = match (
        record.area.area_code.as_deref(),
        record.area.area_text.as_deref().map(str::trim),
    ) {
        (Some(code), _) => code.split(';').next().unwrap_or_default().trim().to_owned(),
        (None, Some(NATIONAL_AREA_TEXT)) => crate::model::NATIONAL_OWNER.to_owned(),
        (None, _) => String::new(),
    };
    let input = ProgramInput {
        owner,
        name,
        short_name,
        categories: categories_from_tags(&record.tag),
        // GovTech Tokyo's format has no 制度類型 of ours; an imported program starts without one.
        program_type: None,
        summary,
        description,
        eligibility_summary: eligibility_text(&record.target),
        eligibility: crate::model::default_eligibility(),
        benefit: benefit_from(&record.support),
        application_window: window_from(&record.procedure_period),
        application_methods: methods_from(record),
        documents: record
            .belongings
            .as_deref()
            .map(non_empty_lines)
            .unwrap_or_default(),
        contact: Contact {
            section: first_item(record.contact.contact_name.as_deref()),
            phone: first_item(record.contact.contact_phone.as_deref()),
            email: clean(record.contact.contact_email.as_deref())
                .map(|e| e.replace("(at)", "@").replace("＠", "@")),
            url: first_url(record.contact.contact_url.as_deref()),
        },
        source_url: first_url(record.local_government_link.uri.as_deref()),
        last_reviewed_on: record.update_date.as_deref().and_then(parse_date_loose),
        review_cycle_months: None,
        license: None,
    };
    ImportRecord {
        line: position,
        id: None,
        status: None,
        input,
    }
}

fn truncate(text: &str, max: usize) -> String {
    match text.chars().count() > max {
        true => text.chars().take(max - 1).chain(['…']).collect(),
        false => text.to_owned(),
    }
}

/// Contact names and phones may be comma-joined lists; the first is the main desk.
fn first_item(value: Option<&str>) -> Option<String> {
    clean(value)?
        .split([',', '，', '、', '\n'])
        .map(str::trim)
        .find(|item| !item.is_empty())
        .map(str::to_owned)
}

fn first_url(value: Option<&str>) -> Option<String> {
    clean(value)?
        .split_whitespace()
        .find(|token| token.starts_with("http://") || token.starts_with("https://"))
        .map(str::to_owned)
}

fn eligibility_text(target: &Target) -> Option<String> {
    let bounds: Vec<String> = [
        (&target.greater_than_or_equal_to, "以上"),
        (&target.greater_than, "超"),
        (&target.less_than_or_equal_to, "以下"),
        (&target.less_than, "未満"),
    ]
    .iter()
    .filter_map(|(bound, word)| bound.describe().map(|age| format!("{age}{word}")))
    .collect();
    let mut parts: Vec<String> = Vec::new();
    for text in [&target.target_persons, &target.conditions]
        .into_iter()
        .filter_map(|t| clean(t.as_deref()))
    {
        if !parts.contains(&text) {
            parts.push(text);
        }
    }
    if !bounds.is_empty() {
        parts.push(format!("（対象年齢: {}）", bounds.join("・")));
    }
    (!parts.is_empty()).then(|| parts.join("\n"))
}

fn benefit_from(support: &Support) -> Benefit {
    let amount_yen = clean(support.monetary_support.as_deref())
        .and_then(|text| text.strip_suffix('円').map(|n| n.replace(',', "")))
        .and_then(|n| n.parse().ok());
    let mut parts: Vec<String> = Vec::new();
    let monetary = match amount_yen {
        Some(_) => None,
        None => clean(support.monetary_support.as_deref()),
    };
    for text in [
        clean(support.description.as_deref()),
        monetary,
        clean(support.materially_support.as_deref()),
    ]
    .into_iter()
    .flatten()
    {
        if !parts.contains(&text) {
            parts.push(text);
        }
    }
    Benefit {
        description: (!parts.is_empty()).then(|| parts.join("\n")),
        amount_yen,
    }
}

fn window_from(period: &Period) -> ApplicationWindow {
    let from = period.from_ymd.as_deref().and_then(parse_date_loose);
    let to = period.to_ymd.as_deref().and_then(parse_date_loose);
    if from.is_some() || to.is_some() {
        return ApplicationWindow::Fixed { from, to };
    }
    let conditions = clean(period.conditions.as_deref()).unwrap_or_default();
    relative_window(&conditions).unwrap_or(ApplicationWindow::Always)
}

/// Recognises "出生日から15日以内"-style deadlines, which is how the data states most of them.
fn relative_window(text: &str) -> Option<ApplicationWindow> {
    let (event, rest) = [
        ("出生", LifeEvent::Birth),
        ("転入", LifeEvent::MoveIn),
        ("妊娠の届出", LifeEvent::PregnancyReport),
    ]
    .into_iter()
    .find_map(|(word, event)| text.find(word).map(|at| (event, &text[at + word.len()..])))?;
    let digits_start = rest.find(|c: char| c.is_ascii_digit())?;
    let digits: String = rest[digits_start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let after = &rest[digits_start + digits.len()..];
    match after.starts_with("日以内") {
        true => Some(ApplicationWindow::Relative {
            event,
            within_days: digits.parse().ok()?,
        }),
        false => None,
    }
}

fn methods_from(record: &Record) -> Vec<ApplicationMethod> {
    let method_text = clean(record.procedure_method.as_deref()).unwrap_or_default();
    let mut methods = Vec::new();
    let counter = clean(record.procedure_counter.as_deref());
    if counter.is_some() || method_text.contains("窓口") {
        methods.push(ApplicationMethod {
            kind: ApplicationMethodKind::Counter,
            url: None,
            note: counter,
        });
    }
    if method_text.contains("郵送") {
        methods.push(ApplicationMethod {
            kind: ApplicationMethodKind::Mail,
            url: None,
            note: None,
        });
    }
    if record.electronic_submission == Some(true) {
        let url = record
            .form_link
            .iter()
            .find_map(|link| first_url(link.uri.as_deref()))
            .or_else(|| first_url(record.local_government_link.uri.as_deref()));
        methods.push(ApplicationMethod {
            kind: ApplicationMethodKind::Online,
            url,
            note: None,
        });
    }
    methods
}

/// Tokyo's category tags (CSC_個人向けカテゴリー) and target tags (CBF_対象者) to ours.
fn categories_from_tags(tag: &Tag) -> Vec<Category> {
    let codes = tag
        .category_code
        .iter()
        .chain(tag.target_code.iter())
        .flatten()
        .flat_map(|code| {
            code.split([',', '，', '、'])
                .map(str::trim)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter_map(|code| code.parse::<u32>().ok());
    let mut categories: Vec<Category> = codes.filter_map(category_for_code).collect();
    categories.sort();
    categories.dedup();
    if categories.is_empty() {
        categories.push(Category::Other);
    }
    categories
}

fn category_for_code(code: u32) -> Option<Category> {
    Some(match code {
        2 | 86 => Category::PregnancyBirth,
        3 | 87 => Category::Infant,
        4 | 5 => Category::ChildcareEducation,
        27 | 15 => Category::Medical,
        25 | 90 | 98 => Category::Disability,
        88 => Category::SingleParent,
        _ => return None,
    })
}

/// Our categories as Tokyo category and target codes (the inverse of `category_for_code`).
fn tags_for(categories: &[Category]) -> (Vec<String>, Vec<String>) {
    let mut category_codes = Vec::new();
    let mut target_codes = Vec::new();
    for category in categories {
        let (category_code, target_code) = match category {
            Category::PregnancyBirth => (Some("002"), Some("086")),
            Category::Infant => (Some("003"), None),
            Category::ChildcareEducation => (Some("004"), None),
            Category::Medical => (Some("027"), None),
            Category::Disability => (Some("025"), Some("090")),
            Category::SingleParent => (None, Some("088")),
            Category::Allowance | Category::Consultation | Category::HealthCheckup | Category::Other => {
                (None, None)
            }
        };
        category_codes.extend(category_code.map(str::to_owned));
        target_codes.extend(target_code.map(str::to_owned));
    }
    (category_codes, target_codes)
}

/// A program as a Tokyo registry record, every key present.
pub(crate) fn record_for(program: &Program, owner_name: &str) -> Value {
    let content = &program.content;
    let method = |kind| {
        content
            .application_methods
            .iter()
            .find(|m: &&ApplicationMethod| m.kind == kind)
    };
    let method_words: Vec<&str> = content
        .application_methods
        .iter()
        .map(|m| m.kind.label_ja())
        .collect();
    let (from_ymd, to_ymd, conditions) = match &content.application_window {
        ApplicationWindow::Always => (None, None, Some("随時".to_owned())),
        ApplicationWindow::Fixed { from, to } => {
            (from.map(|d| d.to_string()), to.map(|d| d.to_string()), None)
        }
        ApplicationWindow::Relative { event, within_days } => (
            None,
            None,
            Some(format!("{}から{within_days}日以内", event.label_ja())),
        ),
    };
    let online = method(ApplicationMethodKind::Online);
    let form_link: Vec<Value> = online
        .and_then(|m| m.url.as_ref())
        .map(|url| json!({"uri": url, "title": online.and_then(|m| m.note.clone())}))
        .into_iter()
        .collect();
    let (category_codes, target_codes) = tags_for(&content.categories);
    let null_age = json!({"targetAge": null, "targetAgeOfMonths": null});
    let (area_code, area_text) = match content.owner {
        crate::model::ProgramOwner::National => (Value::Null, Value::from(NATIONAL_AREA_TEXT)),
        crate::model::ProgramOwner::Local(code) => (Value::from(format!("{code};{owner_name}")), Value::Null),
    };
    json!({
        "institutionName": {"canonicalName": content.short_name.clone().unwrap_or_else(|| content.name.clone()), "shortName": content.name},
        "summary": content.summary,
        "description": content.description,
        "target": {
            "targetPersons": content.eligibility_summary,
            "lessThan": null_age, "lessThanOrEqualTo": null_age,
            "greaterThanOrEqualTo": null_age, "greaterThan": null_age,
            "conditions": null
        },
        "support": {
            "description": content.benefit.description,
            "monetarySupport": content.benefit.amount_yen.map(|amount| format!("{amount}円")),
            "materiallySupport": null
        },
        "cost": null, "costConditions": null,
        "implementationPeriod": {"fromYMD": null, "fromHM": null, "toYMD": null, "toHM": null, "conditions": null},
        "implementationPlace": {"implementationName": null, "implementationAddress": null},
        "capacity": null,
        "utilizationTime": {"fromHM": null, "toHM": null, "condiutilizationConditionstions": null},
        "specificDate": null, "holiday": null, "utilization": null, "procedurePersons": null,
        "procedureMethod": (!method_words.is_empty()).then(|| method_words.join("、")),
        "procedurePeriod": {"fromYMD": from_ymd, "fromHM": null, "toYMD": to_ymd, "toHM": null, "conditions": conditions},
        "electronicSubmission": online.is_some(),
        "belongings": (!content.documents.is_empty()).then(|| content.documents.join("\n")),
        "procedureDocumentsCode": {"code": null, "others": null},
        "procedureCounter": method(ApplicationMethodKind::Counter).and_then(|m| m.note.clone()),
        "relatedLink": [],
        "localGovernmentLink": {"uri": content.source_url, "title": content.name},
        "formLink": form_link,
        "contact": {
            "contactName": content.contact.section, "contactPhone": content.contact.phone,
            "contactEx": null, "contactEmail": content.contact.email, "contactUrl": content.contact.url,
            "contactComment": null, "zipCode": null, "contactAddress": null
        },
        "area": {"areaCode": area_code, "areaText": area_text},
        "class": 1,
        "remarks": null,
        "regulation": {"regulationName": null, "regulationArticle": null},
        "basicInformation": {"psid": format!("kosodate+{}", program.id), "organization": null, "compartment": null, "compartmentCode": null, "institutionType": 1},
        "updateDate": content.last_reviewed_on.map(|d| d.to_string()),
        "odInformation": {"updateDate": kosodate_domain::japan::date_of(program.updated_at).to_string(), "updater": null, "content": null},
        "tag": {"categoryCode": category_codes, "targetCode": target_codes, "contentsCode": []},
        "useConsiderationFlag": program.status != ProgramStatus::Published
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_sample_parses() {
        let bytes = include_bytes!("../../tests/fixtures/tokyo-registry-sample.json");
        let records = parse(bytes).unwrap().records;
        assert_eq!(records.len(), 5);
        let first = &records[0].input;
        assert_eq!(first.owner, "131130");
        assert_eq!(first.name, "まちのこども園 代々木上原");
        assert_eq!(first.short_name.as_deref(), Some("一時預かり（一時保育）"));
        assert!(
            first
                .eligibility_summary
                .as_deref()
                .unwrap()
                .contains("5か月以上")
        );
        for record in &records {
            assert!(record.input.summary.chars().count() <= SUMMARY_MAX);
            assert!(!record.input.categories.is_empty());
        }
    }

    #[test]
    fn relative_deadlines_are_recognised() {
        assert_eq!(
            relative_window("出生日の翌日から15日以内に申請"),
            Some(ApplicationWindow::Relative {
                event: LifeEvent::Birth,
                within_days: 15
            })
        );
        assert_eq!(relative_window("随時"), None);
    }

    #[test]
    fn the_update_date_is_the_day_in_japan() {
        let record = parse(include_bytes!("../../tests/fixtures/tokyo-registry-sample.json"))
            .unwrap()
            .records
            .remove(0);
        let content = record.input.validate().unwrap();
        // 00:30 on 1 April in Japan is still 31 March in UTC.
        let updated_at = chrono::DateTime::parse_from_rfc3339("2026-03-31T15:30:00Z")
            .unwrap()
            .to_utc();
        let program = crate::changes::created(content, kosodate_domain::ProgramId::default(), updated_at)
            .unwrap()
            .snapshot;
        let written = record_for(&program, "青森市");
        assert_eq!(written["odInformation"]["updateDate"], "2026-04-01");
    }

    #[test]
    fn malformed_json_names_the_line() {
        let errors = parse(b"[\n{\"summary\": 1}\n]").unwrap().problems;
        assert_eq!(errors[0].line, 1);
        assert_eq!(errors[0].field, "/summary");
        assert!(parse(b"[\n{").is_err());
    }
}
