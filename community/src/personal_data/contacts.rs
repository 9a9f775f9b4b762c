//! Email addresses (also written with ＠, アットマーク or (at)), URLs that are not an official
//! public site, and accounts on social networks (@handle after インスタ, a LINE ID).

use std::sync::LazyLock;

use regex::Regex;

use super::view::View;
use super::{Detections, PersonalDataKind};

const LABEL: &str = r"[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?";

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    let at = r"(?:@|\(at\)|\[at\]|<at>|アットマーク|あっとまーく|アット|あっと)";
    let dot = r"(?:\.|\(dot\)|\[dot\]|ドット|どっと)";
    compile(&format!(
        r"[a-z0-9][a-z0-9._%+\-]*\s*{at}\s*{LABEL}(?:\s*{dot}\s*{LABEL})+"
    ))
});

/// Characters a URL's path and query are made of (RFC 3986), in the lower-cased view.
const URL_CHARS: &str = r"[a-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]";

/// Top-level domains a bare host (without https:// or www.) is recognised by; `lin.ee` and
/// `line.me` are why ee and me are here.
const BARE_TLDS: &str =
    "com|net|org|info|biz|jp|me|io|ee|tv|cc|co|ly|to|app|dev|page|blog|link|site|xyz|online|shop";

static URL: LazyLock<Regex> = LazyLock::new(|| {
    compile(&format!(
        r"(?:https?://|www\.){URL_CHARS}+|(?:{LABEL}\.)+(?:{BARE_TLDS})(?:/{URL_CHARS}*)?"
    ))
});

/// An @handle, counted as an account when a social network is named just before it.
static HANDLE: LazyLock<Regex> = LazyLock::new(|| compile(r"@[a-z0-9_][a-z0-9_.]{1,29}"));

static LINE_ID: LazyLock<Regex> = LazyLock::new(|| {
    compile(r"(?:line|ライン|らいん)\s*(?:id|アイディー|アイディ)\s*[:は]?\s*[a-z0-9_.\-]{4,20}")
});

const NETWORK_WORDS: &[&str] = &[
    "instagram",
    "インスタ",
    "いんすた",
    "twitter",
    "ツイッター",
    "tiktok",
    "ティックトック",
    "threads",
    "facebook",
    "フェイスブック",
    "line",
    "ライン",
    "sns",
    "アカウント",
    "ブログ",
];

/// How far before an @handle (in bytes of the view) the network's name is looked for.
const NETWORK_CONTEXT_BYTES: usize = 45;

fn compile(pattern: &str) -> Regex {
    // The patterns are constants of this module: the unit tests compile every one of them.
    Regex::new(pattern).unwrap_or_else(|error| panic!("personal data pattern: {error}"))
}

pub(super) fn detect(view: &View, found: &mut Detections) {
    for email in EMAIL.find_iter(&view.text) {
        found.push((PersonalDataKind::EmailAddress, email.range()));
    }
    for url in URL.find_iter(&view.text) {
        let text = url
            .as_str()
            .trim_end_matches(['.', ',', ';', ':', '!', '?', '\'', ')']);
        let followed_by_word = view.text[url.end()..]
            .chars()
            .next()
            .is_some_and(|next| next.is_ascii_alphanumeric());
        if followed_by_word || is_official(host(text)) {
            continue;
        }
        found.push((
            PersonalDataKind::PersonalUrl,
            url.start()..url.start() + text.len(),
        ));
    }
    for handle in HANDLE.find_iter(&view.text) {
        let mut context_start = handle.start().saturating_sub(NETWORK_CONTEXT_BYTES);
        while !view.text.is_char_boundary(context_start) {
            context_start += 1;
        }
        let context = &view.text[context_start..handle.start()];
        if NETWORK_WORDS.iter().any(|word| context.contains(word)) {
            found.push((PersonalDataKind::PersonalUrl, handle.range()));
        }
    }
    for line_id in LINE_ID.find_iter(&view.text) {
        found.push((PersonalDataKind::PersonalUrl, line_id.range()));
    }
}

fn host(url: &str) -> &str {
    let without_scheme = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .unwrap_or(url);
    let authority = without_scheme
        .split(['/', '?', '#'])
        .next()
        .unwrap_or(without_scheme);
    let host = authority.rsplit('@').next().unwrap_or(authority);
    host.split(':').next().unwrap_or(host)
}

/// Government, prefecture and municipal sites (the 地方公共団体 domains, city.hirosaki.aomori.jp,
/// and LGJP), and those of public bodies, schools and universities: what they publish is not
/// anyone's personal page.
fn is_official(host: &str) -> bool {
    const PUBLIC_SECOND_LEVEL: [&str; 5] = [".go.jp", ".lg.jp", ".or.jp", ".ac.jp", ".ed.jp"];
    if PUBLIC_SECOND_LEVEL.iter().any(|suffix| host.ends_with(suffix)) {
        return true;
    }
    let labels: Vec<&str> = host.split('.').collect();
    match labels.as_slice() {
        [.., kind, _name, _prefecture, "jp"] => matches!(*kind, "city" | "town" | "vill" | "pref"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<(PersonalDataKind, String)> {
        crate::personal_data::found_by(detect, text)
    }

    #[test]
    fn email_addresses_in_every_spelling() {
        for address in [
            "hanako.mama@example.jp",
            "ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｃｏｍ",
            "Hanako_01@Mail.Example.co.jp",
            "hanako アットマーク example.com",
            "hanako(at)example.ne.jp",
            "hanako[at]example[dot]com",
        ] {
            let text = format!("メールは{address}へ");
            let emails: Vec<_> = found(&text)
                .into_iter()
                .filter(|(kind, _)| *kind == PersonalDataKind::EmailAddress)
                .collect();
            assert_eq!(
                emails,
                [(PersonalDataKind::EmailAddress, address.to_owned())],
                "{text}"
            );
        }
    }

    #[test]
    fn personal_urls_but_not_official_sites() {
        let url = |text: &str| vec![(PersonalDataKind::PersonalUrl, text.to_owned())];
        assert_eq!(
            found("見てね https://ameblo.jp/hanako-mama/"),
            url("https://ameblo.jp/hanako-mama/")
        );
        assert_eq!(
            found("instagram.com/hanako_mama です"),
            url("instagram.com/hanako_mama")
        );
        assert_eq!(found("（https://lin.ee/AbCd）"), url("https://lin.ee/AbCd"));
        assert_eq!(
            found("ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏｍ"),
            url("ｗｗｗ．ｅｘａｍｐｌｅ．ｃｏｍ")
        );
        assert_eq!(found("インスタ @hanako.mama で"), url("@hanako.mama"));
        assert_eq!(found("LINE ID: hanako0101"), url("LINE ID: hanako0101"));
        for official in [
            "https://www.pref.aomori.lg.jp/soshiki/kenko/",
            "https://www.city.hirosaki.aomori.jp/kosodate/",
            "www.mhlw.go.jp",
            "https://www.cfa.go.jp/policies/",
            "photo.jpg",
            "Vue.js",
            "保育園@青森市",
        ] {
            assert_eq!(found(official), [], "{official}");
        }
    }
}
