//! `treaty apmbc|ccm`: every figure of a year's Article 7 report recomputed
//! independently (tests/oracle/treaty_figures.py, in Python, from the layers
//! `export --as-of` writes for 31 December of the year and of the year
//! before: what the year recorded is what the second holds and the first
//! does not; and the victims read with sqlite3) and compared; the workbook read
//! by openpyxl; the PDF read by poppler (`pdftotext`, `pdffonts`): its totals,
//! its embedded fonts, its Azerbaijani and Ukrainian letters; the cover's
//! history head the one `audit verify` prints; a report made twice the same
//! but for its production time.

mod common;
use common::*;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// The oracle's figures for `scope` in `year`.
fn oracle_figures(db: &Path, dir: &Path, scope: &str, year: i32) -> Value {
    let export = |layer: &str, day: String| {
        let out = dir.join(format!("{layer}-{day}.geojson"));
        ok(
            db,
            &[
                "export",
                "--layer",
                layer,
                "--format",
                "geojson",
                "--as-of",
                &day,
                "--force",
                out.to_str().unwrap(),
            ],
        );
        out
    };
    let (before, end) = (format!("{}-12-31", year - 1), format!("{year}-12-31"));
    let files: Vec<std::path::PathBuf> = ["hazards", "eo_finds", "eore_sessions", "accidents"]
        .iter()
        .flat_map(|layer| [export(layer, before.clone()), export(layer, end.clone())])
        .collect();
    let out = Command::new("python3")
        .arg(repo_file("tests/oracle/treaty_figures.py"))
        .args([scope, &year.to_string()])
        .arg(db)
        .args(&files)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A form's `destroyed` list as {type: quantity}, the oracle's shape.
fn by_type(form: &Value) -> Value {
    let items = form["destroyed"].as_array().unwrap().iter();
    Value::Object(
        items.map(|i| (i["eo_type"].as_str().unwrap().to_string(), i["quantity"].clone())).collect(),
    )
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-6 * b.abs().max(1.0)
}

/// Form F (release) against the oracle: per district and in total.
fn assert_release(f: &Value, o: &Value) {
    let mut total = [0.0; 3];
    for d in f["districts"].as_array().unwrap() {
        let name = d["district"].as_str().unwrap();
        let want = &o["released"][name];
        for (i, k) in ["cancelled", "reduced", "cleared"].iter().enumerate() {
            let ours = d["released_m2"][k].as_f64().unwrap();
            assert!(close(ours, want[i].as_f64().unwrap()), "{name} {k}: {ours} against {}", want[i]);
            total[i] += ours;
        }
        for (k, kind) in [("sha", "SHA"), ("cha", "CHA")] {
            let (ours, want) =
                (d["remaining_m2"][k].as_f64().unwrap(), o["remaining"][name][kind].as_f64().unwrap());
            assert!(close(ours, want), "{name} remaining {kind}: {ours} against {want}");
        }
    }
    assert_eq!(f["districts"].as_array().unwrap().len(), o["released"].as_object().unwrap().len());
    for (i, k) in ["cancelled", "reduced", "cleared"].iter().enumerate() {
        assert!(close(f["released_m2"][k].as_f64().unwrap(), total[i]), "total {k}");
    }
}

#[test]
fn an_apmbc_report_holds_the_registers_figures_for_the_year() {
    let test = "an_apmbc_report_holds_the_registers_figures_for_the_year";
    if !require("python3", "python3", test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("register.gpkg");
    ok(&db, &["demo", "--scale", "30", "--no-serve"]);
    let year = 2024;
    let report: Value = serde_json::from_str(&ok(&db, &["treaty", "apmbc", "--year", "2024", "-"])).unwrap();
    let o = oracle_figures(&db, dir.path(), "AP", year);
    let forms = &report["forms"];

    // Form C: the AP areas with ground left to release, each with its centre.
    let codes: Vec<&str> =
        forms["C"].as_array().unwrap().iter().map(|a| a["code"].as_str().unwrap()).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    assert_eq!(serde_json::json!(sorted), o["areas"]);
    assert!(!codes.is_empty(), "the demo has AP areas in {year}");
    for a in forms["C"].as_array().unwrap() {
        assert!(a["lat"].as_f64().is_some_and(|l| (38.0..42.0).contains(&l)), "{a}");
        assert!(a["kind"] == "SHA" || a["kind"] == "CHA");
    }
    assert_release(&forms["F"], &o);
    // Form G: AP mines destroyed in the year, by type.
    assert_eq!(by_type(&forms["G"]), o["destroyed"]);
    // Form I: risk education in the year.
    assert_eq!(forms["I"]["sessions"], o["sessions"]);
    assert_eq!(forms["I"]["reached"], o["reach"]);
    assert_eq!(forms["I"]["with_disability"], o["with_disability"]);
    assert_eq!(forms["I"]["sessions_counting_disability"], o["counting_disability"]);
    // Form J: casualties, by sex and age group from the victims.
    assert_eq!(forms["J"]["casualties"]["killed"], o["killed"]);
    assert_eq!(forms["J"]["casualties"]["injured"], o["injured"]);
    for g in forms["J"]["by_sex_age"].as_array().unwrap() {
        let key = format!("{}/{}", g["sex"].as_str().unwrap(), g["age_group"].as_str().unwrap());
        assert_eq!(serde_json::json!([g["killed"], g["injured"]]), o["by_sex_age"][&key], "{key}");
    }
    let by_disability = forms["J"]["by_disability"].as_array().unwrap();
    assert_eq!(by_disability.len(), o["by_disability"].as_object().unwrap().len(), "{by_disability:?}");
    for g in by_disability {
        let key = g["disability"].as_str().unwrap();
        assert_eq!(serde_json::json!([g["killed"], g["injured"]]), o["by_disability"][key], "{key}");
    }
    assert_eq!(forms["J"]["victims_assisted"], o["assisted"]);
    // Not a comparison of nothings: the demo worked in 2024.
    assert!(forms["F"]["released_m2"]["cleared"].as_f64().unwrap() > 0.0, "{}", forms["F"]);
    assert!(forms["G"]["total"].as_i64().unwrap() > 0 && forms["I"]["sessions"].as_i64().unwrap() > 0);
    let disabled = &forms["I"]["with_disability"];
    assert!(
        ["girls", "boys", "women", "men"].iter().any(|k| disabled[k].as_i64().unwrap() > 0),
        "{disabled}"
    );
    assert!(
        forms["J"]["casualties"]["killed"].as_i64().unwrap()
            + forms["J"]["casualties"]["injured"].as_i64().unwrap()
            > 0
    );
    for letter in ["A", "B", "D", "E", "H"] {
        assert!(forms[letter]["not_in_register"].is_string(), "Form {letter}");
    }

    // The cover cites the sealed history's head, as `audit verify` prints it.
    let head = &report["cover"]["history_head"];
    let verify = ok(&db, &["audit", "verify"]);
    assert!(
        verify.contains(&format!("Head: event {} {}", head["seq"], head["hash"].as_str().unwrap())),
        "{verify}\n{head}"
    );
    // Made twice, the same but for the time it was made.
    let mut again: Value =
        serde_json::from_str(&ok(&db, &["treaty", "apmbc", "--year", "2024", "-"])).unwrap();
    let mut first = report.clone();
    for r in [&mut first, &mut again] {
        r["cover"]["produced_at"] = Value::Null;
    }
    assert_eq!(first, again);

    // The workbook: a sheet per form, numbers as numbers, in the language asked.
    if require("pypi:openpyxl", "openpyxl (pip)", test) {
        let book = dir.path().join("apmbc-2024.xlsx");
        ok(
            &db,
            &[
                "treaty",
                "apmbc",
                "--year",
                "2024",
                "--format",
                "xlsx",
                "--lang",
                "uk",
                book.to_str().unwrap(),
            ],
        );
        let script = r#"
import json, openpyxl, sys
wb = openpyxl.load_workbook(sys.argv[1])
report = json.loads(sys.argv[2])
names = wb.sheetnames
assert names[0] == "Cover" and all(f"Form {l}" in names for l in "ABCDEFGHIJ"), names
cover = list(wb["Cover"].iter_rows(values_only=True))
assert cover[1][0].startswith("Звіт за статтею 7"), cover
f = list(wb["Form F"].iter_rows(values_only=True))
assert f[0][0] == "Район", f[0]
total = f[-1]
assert total[0] == "Усього", total
want = report["forms"]["F"]
assert isinstance(total[3], float) and abs(total[3] - want["released_m2"]["cleared"]) < 1e-6, (total, want)
assert abs(total[5] - want["remaining_m2"]["cha"]) < 1e-6, total
c = list(wb["Form C"].iter_rows(values_only=True))
assert len(c) - 2 == len(report["forms"]["C"]), len(c)
assert c[-1][0] == "Усього" and abs(c[-1][3] - sum(a["area_m2"] for a in report["forms"]["C"])) < 1e-6, c[-1]
assert wb["Form C"].freeze_panes == "A2"
"#;
        let out =
            Command::new("python3").args(["-c", script]).arg(&book).arg(report.to_string()).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    if require("pdftotext", "poppler-utils", test) {
        pdf_holds_the_report(&db, dir.path(), &report);
    }
}

/// The PDF: A4, its fonts embedded, its totals those of the JSON report, its
/// letters those of the language, the same when made again but for its time.
fn pdf_holds_the_report(db: &Path, dir: &Path, report: &Value) {
    let pdf = dir.join("apmbc-2024.pdf");
    let make = |lang: &str, out: &Path| {
        let args = ["treaty", "apmbc", "--year", "2024", "--format", "pdf", "--lang", lang, "--force"];
        ok(db, &[&args[..], &[out.to_str().unwrap()]].concat());
    };
    make("en", &pdf);
    let text = pdf_text(&pdf);
    let f = &report["forms"]["F"];
    // Form F's totals row: cancelled, reduced, cleared, remaining SHA and CHA.
    let totals: Vec<String> = ["cancelled", "reduced", "cleared"]
        .iter()
        .map(|k| en_number(f["released_m2"][k].as_f64().unwrap()))
        .chain(["sha", "cha"].iter().map(|k| en_number(f["remaining_m2"][k].as_f64().unwrap())))
        .collect();
    let row = text
        .lines()
        .filter(|l| l.trim_start().starts_with("Total"))
        .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        .find(|l| *l == totals.join(" "));
    assert!(row.is_some(), "no totals row {totals:?} in\n{text}");
    // Form C's areas, Form G's total, Form J's casualties.
    for a in report["forms"]["C"].as_array().unwrap() {
        assert!(text.contains(a["code"].as_str().unwrap()), "{a}");
    }
    let g = report["forms"]["G"]["total"].as_i64().unwrap();
    assert!(
        text.lines().any(|l| l.split_whitespace().collect::<Vec<_>>() == ["Total", &g.to_string()]),
        "G {g}"
    );
    assert!(text.contains("Form J — Other relevant matters"));
    let info = Command::new("pdfinfo").arg(&pdf).output().unwrap();
    assert!(String::from_utf8_lossy(&info.stdout).contains("595.28 x 841.89 pts (A4)"));
    assert_fonts_embedded(&pdf);
    // Made again: the same text but for the time it was made.
    let again = dir.join("apmbc-2024-again.pdf");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    make("en", &again);
    let strip = |t: &str| t.lines().filter(|l| !l.contains("Produced (UTC)")).collect::<Vec<_>>().join("\n");
    assert_eq!(strip(&text), strip(&pdf_text(&again)));
    // Azerbaijani and Ukrainian letters come out as they went in.
    let az = dir.join("apmbc-2024-az.pdf");
    make("az", &az);
    let text = pdf_text(&az);
    for word in ["Minalanmış ərazilərin yeri", "Ləğv", "Səhifə", "çəkilib", "öz", "üzrə"] {
        assert!(text.contains(word), "{word} not in the Azerbaijani PDF:\n{text}");
    }
    let uk = dir.join("apmbc-2024-uk.pdf");
    make("uk", &uk);
    let text = pdf_text(&uk);
    for word in ["Розташування замінованих районів", "історії", "зберігає", "Сторінка"]
    {
        assert!(text.contains(word), "{word} not in the Ukrainian PDF:\n{text}");
    }
}

#[test]
fn a_ccm_report_counts_cluster_munition_remnants_only() {
    let test = "a_ccm_report_counts_cluster_munition_remnants_only";
    if !require("python3", "python3", test) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("register.gpkg");
    ok(&db, &["demo", "--scale", "30", "--no-serve"]);
    let report: Value = serde_json::from_str(&ok(&db, &["treaty", "ccm", "--year", "2023", "-"])).unwrap();
    let o = oracle_figures(&db, dir.path(), "CMR", 2023);
    let f = &report["forms"]["F"];
    assert_release(f, &o);
    let mut codes: Vec<&str> =
        f["areas"].as_array().unwrap().iter().map(|a| a["code"].as_str().unwrap()).collect();
    codes.sort();
    assert_eq!(serde_json::json!(codes), o["areas"]);
    assert_eq!(by_type(&f["destroyed"]), o["destroyed"]);
    assert_eq!(report["forms"]["G"]["sessions"], o["sessions"]);
    assert_eq!(report["forms"]["H"]["casualties"]["killed"], o["killed"]);
    assert!(report["forms"]["C"]["not_in_register"].is_string());
    // Not a comparison of nothings: the demo cleared CMR ground and destroyed submunitions in 2023.
    assert!(
        f["released_m2"]["cleared"].as_f64().unwrap() > 0.0 && f["destroyed"]["total"].as_i64().unwrap() > 0,
        "{f}"
    );
}

#[test]
fn a_year_out_of_range_or_a_workbook_to_stdout_is_refused_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("register.gpkg");
    ok(&db, &["init"]);
    let err = fails(&db, &["treaty", "apmbc", "--year", "1990", "-"]);
    assert!(err.contains("--year 1990 is not a reporting year"), "{err}");
    let err = fails(&db, &["treaty", "apmbc", "--year", "2024", "--format", "xlsx", "-"]);
    assert!(err.contains("a workbook or a PDF goes to a file"), "{err}");
    let err = fails(&db, &["treaty", "apmbc", "--year", "2024", "--format", "pdf", "-"]);
    assert!(err.contains("a workbook or a PDF goes to a file"), "{err}");
    let out = dir.path().join("r.json");
    std::fs::write(&out, "keep").unwrap();
    let err = fails(&db, &["treaty", "apmbc", "--year", "2024", "--format", "json", out.to_str().unwrap()]);
    assert!(err.contains("exists: add --force"), "{err}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "keep");
    // An empty register reports nothing, but reports.
    let r: Value = serde_json::from_str(&ok(&db, &["treaty", "apmbc", "--year", "2024", "-"])).unwrap();
    assert_eq!(r["forms"]["C"], serde_json::json!([]));
    assert_eq!(r["forms"]["F"]["released_m2"]["cleared"], 0.0);
    // And prints: no map, no chart, the forms' empty tables.
    let pdf = dir.path().join("empty.pdf");
    ok(&db, &["treaty", "apmbc", "--year", "2024", "--format", "pdf", pdf.to_str().unwrap()]);
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF-"));
    if require(
        "pdftotext",
        "poppler-utils",
        "a_year_out_of_range_or_a_workbook_to_stdout_is_refused_with_what_to_do",
    ) {
        let text = pdf_text(&pdf);
        assert!(text.contains("Form C — Location of mined areas") && text.contains("Form J"), "{text}");
        assert!(
            !text.contains("The areas as they stood")
                && !text.contains("Land released in the year by district")
        );
    }
}
