//! Closed lists of values (categories, statuses, kinds …): each value's stored id is its strum
//! name in snake_case, the same as its serde name, and its Japanese label is its strum message,
//! so that one attribute on one variant says both. Every such enum derives
//! `strum::{IntoStaticStr, VariantArray, EnumMessage}` with `serialize_all = "snake_case"` and
//! gets `id`, `label_ja` and `parse` from here. A name with digits is spelled `up_to360` by
//! both derives: where the id is `up_to_360`, the variant names it explicitly for both, and every
//! crate's tests check with [`serde_names_agree`] that serde and the id agree for each list.

/// A value of a closed list, with its id and Japanese label.
pub trait Vocabulary: Copy + 'static + strum::VariantArray + strum::EnumMessage + Into<&'static str> {
    /// The stored and exchanged name, e.g. `childcare_education`.
    fn id(self) -> &'static str {
        self.into()
    }

    /// What people read, e.g. `保育・教育`; the id when the list has no labels.
    fn label_ja(self) -> &'static str {
        self.get_message().unwrap_or_else(|| self.id())
    }

    /// The value named by its id or its Japanese label, as people and spreadsheets write either.
    fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        Self::VARIANTS
            .iter()
            .copied()
            .find(|value| value.id() == text || value.label_ja() == text)
    }
}

impl<T> Vocabulary for T where
    T: Copy + 'static + strum::VariantArray + strum::EnumMessage + Into<&'static str>
{
}

/// Whether serde names every value of `T` by its id, as stored data and the API need.
pub fn serde_names_agree<T: Vocabulary + serde::Serialize + std::fmt::Debug>() -> Result<(), String> {
    for value in T::VARIANTS {
        let serialized = serde_json::to_value(value).map_err(|error| error.to_string())?;
        if serialized != value.id() {
            return Err(format!(
                "{value:?}: serde says {serialized}, the id is {:?}",
                value.id()
            ));
        }
        if T::parse(value.id()).is_none_or(|parsed| parsed.id() != value.id()) {
            return Err(format!("{value:?}: its id does not parse back"));
        }
    }
    Ok(())
}
