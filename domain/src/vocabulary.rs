//! Closed lists of values (categories, statuses, kinds …): each value's stored id is its strum
//! name in snake_case, the same as its serde name, and its Japanese label is its strum message,
//! so that one attribute on one variant says both. Every such enum derives
//! `strum::{IntoStaticStr, VariantArray, EnumMessage}` with `serialize_all = "snake_case"` and
//! gets `id`, `label_ja` and `parse` from here. A name with digits is spelled `up_to360` by
//! both derives: where the id is `up_to_360`, the variant names it explicitly for both, and every
//! crate's tests check with [`serde_names_agree`] that serde and the id agree for each list.
//!
//! People write a value by its id, its label or an everyday word for it (就学前 for 未就学): the
//! everyday words are strum `serialize` names on the variant, beside `to_string`, which keeps
//! the id (`#[strum(to_string = "preschool", serialize = "就学前", message = "未就学")]`).
//! [`vocabulary_deserialize!`] gives a list a serde `Deserialize` that accepts all three, so the
//! JSON API takes what a clerk types; serialization stays the id.

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

    /// The value named by its id, its Japanese label or an everyday word for it, as people and
    /// spreadsheets write any of them.
    fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        Self::VARIANTS.iter().copied().find(|value| {
            value.id() == text || value.label_ja() == text || value.get_serializations().contains(&text)
        })
    }
}

/// Reads a value of a closed list from a string with [`Vocabulary::parse`]; anything else is
/// refused with serde's own wording (`unknown variant …, expected one of …`), which the API
/// turns into Japanese. Use it through [`vocabulary_deserialize!`].
pub fn deserialize_vocabulary<'de, T: Vocabulary, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    struct Visitor<T>(std::marker::PhantomData<T>);

    impl<T: Vocabulary> serde::de::Visitor<'_> for Visitor<T> {
        type Value = T;

        fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            formatter.write_str("a value's id or Japanese label")
        }

        fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<T, E> {
            T::parse(text).ok_or_else(|| {
                let ids: Vec<String> = T::VARIANTS
                    .iter()
                    .map(|value| format!("`{}`", value.id()))
                    .collect();
                E::custom(format_args!(
                    "unknown variant `{text}`, expected one of {}",
                    ids.join(", ")
                ))
            })
        }
    }

    deserializer.deserialize_str(Visitor(std::marker::PhantomData))
}

/// `impl Deserialize` for closed lists, through [`deserialize_vocabulary`]: their ids, Japanese
/// labels and everyday words are all accepted. The list keeps deriving `Serialize` (the id).
#[macro_export]
macro_rules! vocabulary_deserialize {
    ($($list:ty),+ $(,)?) => {$(
        impl<'de> $crate::__serde::Deserialize<'de> for $list {
            fn deserialize<D: $crate::__serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::deserialize_vocabulary(deserializer)
            }
        }
    )+};
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
        for name in [value.id(), value.label_ja()]
            .into_iter()
            .chain(value.get_serializations().iter().copied())
        {
            if T::parse(name).is_none_or(|parsed| parsed.id() != value.id()) {
                return Err(format!("{value:?}: {name:?} names another value"));
            }
        }
    }
    Ok(())
}
