//! The message catalogues of the web application (`web/src/i18n/*.json`;
//! `ru.json` is read by the command line only, for now), read by the reports
//! the command line makes, so a report and the screen say the same things in
//! the same words. A key missing in a language falls back to English; missing
//! in English, the key itself shows. The test below checks every `doc.*` key
//! is in every language; `tests/treaty.rs` reads the Ukrainian workbook.

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

    #[test]
    fn every_catalogue_parses_and_every_report_key_is_in_every_language() {
        for l in [Lang::En, Lang::Az, Lang::Uk, Lang::Ru] {
            let c: Catalogue = serde_json::from_str(l.text()).unwrap_or_else(|e| panic!("{l:?}: {e}"));
            let en = &CATALOGUES[&Lang::En];
            for key in en.keys().filter(|k| k.starts_with("doc.")) {
                assert!(c.contains_key(key), "{l:?} lacks {key}");
            }
        }
    }
}
