//! Control characters in text people send: which ones the service refuses, where they hide in a
//! JSON document, and how text is cleaned before it is kept for statistics. U+0000 is the one
//! that matters most: PostgreSQL refuses it in text and JSONB, SQLite would keep it, so it must
//! be refused before storage on both. Tab, line feed and carriage return are text, where a field
//! may hold several lines.

/// The Japanese and English words for a refused control character, shared by every edge that
/// refuses one.
pub const CONTROL_CHARACTER_JA: &str =
    "制御文字（U+0000 など）は入力できません。コピーした文字に含まれていないか確認してください";
pub const CONTROL_CHARACTER_EN: &str =
    "control characters other than tab, line feed and carriage return are not accepted";

/// A control character (C0, DEL, C1) other than tab, line feed and carriage return.
pub fn is_refused_control(c: char) -> bool {
    c.is_control() && !matches!(c, '\t' | '\n' | '\r')
}

/// Whether `text` holds a control character other than tab, line feed and carriage return.
pub fn has_refused_control(text: &str) -> bool {
    text.chars().any(is_refused_control)
}

/// The JSON pointers (RFC 6901) of every string, object keys included, that holds a refused
/// control character, up to `max` of them.
pub fn control_character_pointers(value: &serde_json::Value, max: usize) -> Vec<String> {
    let mut found = Vec::new();
    collect_pointers(value, &mut String::new(), max, &mut found);
    found
}

fn collect_pointers(value: &serde_json::Value, pointer: &mut String, max: usize, found: &mut Vec<String>) {
    let parent = pointer.len();
    match value {
        serde_json::Value::String(text) if has_refused_control(text) && found.len() < max => {
            found.push(pointer.clone());
        }
        serde_json::Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                pointer.push_str(&format!("/{index}"));
                collect_pointers(item, pointer, max, found);
                pointer.truncate(parent);
            }
        }
        serde_json::Value::Object(members) => {
            for (key, item) in members {
                pointer.push('/');
                pointer.push_str(&key.replace('~', "~0").replace('/', "~1"));
                if has_refused_control(key) && found.len() < max {
                    found.push(pointer.clone());
                }
                collect_pointers(item, pointer, max, found);
                pointer.truncate(parent);
            }
        }
        _ => {}
    }
}

/// `text` without terminal escape sequences (ESC `[` … as ANSI colours are written, and ESC with
/// one following character) and with every other control character, tab and line breaks
/// included, turned into a space: text kept for statistics, never shown raw to a terminal.
pub fn without_control_characters(text: &str) -> String {
    let mut cleaned = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            // ESC and one character (ESC c, ESC 7, …), or ESC [ and a control sequence.
            '\u{1b}' => {
                if chars.next() == Some('[') {
                    skip_control_sequence(&mut chars);
                }
            }
            // The C1 control sequence introducer, the one-character form of ESC [.
            '\u{9b}' => skip_control_sequence(&mut chars),
            c if c.is_control() => cleaned.push(' '),
            c => cleaned.push(c),
        }
    }
    cleaned
}

/// Parameters and intermediates up to the final character, @ to ~.
fn skip_control_sequence(chars: &mut std::str::Chars<'_>) {
    for next in chars.by_ref() {
        if ('\u{40}'..='\u{7e}').contains(&next) {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn tab_and_line_breaks_are_text() {
        assert!(!has_refused_control("一行目\n二行目\r\n\t字下げ"));
        assert!(has_refused_control("a\u{0}b"));
        assert!(has_refused_control("\u{1b}[31m"));
        assert!(has_refused_control("\u{85}"));
    }

    #[test]
    fn pointers_name_every_string_and_key() {
        let value = json!({"a": ["ok", "x\u{0}"], "b\u{7}": 1, "c/d": {"e": "\u{1f}"}});
        assert_eq!(
            control_character_pointers(&value, 10),
            ["/a/1", "/b\u{7}", "/c~1d/e"]
        );
        assert_eq!(control_character_pointers(&value, 1).len(), 1);
    }

    #[test]
    fn escape_sequences_and_controls_are_removed() {
        assert_eq!(
            without_control_characters("\u{1b}[1;31m保育\u{1b}[0m\u{0}園\u{7}\tです\u{1b}c"),
            "保育 園  です"
        );
        assert_eq!(without_control_characters("\u{9b}2J一時預かり"), "一時預かり");
        assert_eq!(without_control_characters("末尾\u{1b}"), "末尾");
    }
}
