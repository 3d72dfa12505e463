//! The message catalogues of the web application (`web/src/i18n/*.json`),
//! read by the reports
//! the command line makes, so a report and the screen say the same things in
//! the same words. Every key is in every language, with the same
//! placeholders (the test below); were one missing it would fall back to
//! English, and missing in English, the key itself would show.
//! `tests/treaty.rs` reads the Ukrainian workbook.

use clap::ValueEnum;
use std::collections::HashMap;
use std::sync::LazyLock;

/// The languages of the catalogues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum Lang {
    En,
    Az,
    Uk,
    Ru,
}

impl Lang {
    /// The language of a BCP 47 code (`en`, `az`, `uk`, `ru`), if it is one of ours.
    pub fn from_code(code: &str) -> Option<Lang> {
        [Lang::En, Lang::Az, Lang::Uk, Lang::Ru]
            .into_iter()
            .find(|l| l.code().eq_ignore_ascii_case(code.trim()))
    }

    /// The language's BCP 47 code (`en`, `az`, `uk`, `ru`).
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Az => "az",
            Lang::Uk => "uk",
            Lang::Ru => "ru",
        }
    }

    fn text(self) -> &'static str {
        match self {
            Lang::En => include_str!("../web/src/i18n/en.json"),
            Lang::Az => include_str!("../web/src/i18n/az.json"),
            Lang::Uk => include_str!("../web/src/i18n/uk.json"),
            Lang::Ru => include_str!("../web/src/i18n/ru.json"),
        }
    }
}

type Catalogue = HashMap<String, String>;

static CATALOGUES: LazyLock<HashMap<Lang, Catalogue>> = LazyLock::new(|| {
    [Lang::En, Lang::Az, Lang::Uk, Lang::Ru]
        .into_iter()
        .map(|l| (l, serde_json::from_str(l.text()).unwrap_or_default()))
        .collect()
});

/// The text of `key` in `lang`.
pub fn t(lang: Lang, key: &str) -> String {
    let of = |l: Lang| CATALOGUES.get(&l).and_then(|c| c.get(key)).cloned();
    of(lang).or_else(|| of(Lang::En)).unwrap_or_else(|| key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `{name}` placeholders of a message.
    fn placeholders(text: &str) -> std::collections::BTreeSet<&str> {
        text.split('{').skip(1).filter_map(|rest| rest.split_once('}').map(|(name, _)| name)).collect()
    }

    #[test]
    fn every_key_is_in_every_language_with_the_same_placeholders() {
        let en = &CATALOGUES[&Lang::En];
        for l in [Lang::En, Lang::Az, Lang::Uk, Lang::Ru] {
            let c: Catalogue = serde_json::from_str(l.text()).unwrap_or_else(|e| panic!("{l:?}: {e}"));
            let missing: Vec<&String> = en.keys().filter(|k| !c.contains_key(*k)).collect();
            assert!(missing.is_empty(), "{l:?} lacks {} key(s): {missing:?}", missing.len());
            let extra: Vec<&String> = c.keys().filter(|k| !en.contains_key(*k)).collect();
            assert!(extra.is_empty(), "{l:?} has key(s) English lacks: {extra:?}");
            for (key, text) in &c {
                assert!(!text.trim().is_empty(), "{l:?} {key} is empty");
                assert_eq!(placeholders(text), placeholders(&en[key]), "{l:?} {key}: {text}");
            }
        }
    }
}
